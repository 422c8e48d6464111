"""The chat window: the conversation, the answer streaming in token by token,
and under each answer the memories it was given, by type, each openable.
Enter sends, Shift+Enter starts a new line. History comes from the facade, so
it survives a restart."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mirix_app.gui.errors import describe, is_llm_unreachable
from mirix_app.gui.image_view import image_file
from mirix_app.gui.worker import Jobs
from storage import kind_named

NO_LLM_NOTICE = "I have no language model to answer with yet. These memories match your message:"
BUBBLE_MAX = 520
LINK = "color:#4656d9; text-decoration:none"
CITATION = re.compile(r"\[((?:[a-z]+_[0-9a-z]+)(?:\s*,\s*[a-z]+_[0-9a-z]+)*)\]")
USER_STYLE = "background:#4656d9; color:white; border-radius:12px; padding:8px 12px"
BOT_STYLE = "background:#f1f3f9; color:#111827; border-radius:12px; padding:8px 12px"


class MessageInput(QPlainTextEdit):
    """Enter sends; Shift+Enter inserts a line break."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class Bubble(QFrame):
    """One turn; an answer also lists the memories it was given."""

    def __init__(self, role: str, text: str) -> None:
        super().__init__()
        self.role = role
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.label = QLabel(text)
        self.label.setObjectName(f"bubble_{role}")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setStyleSheet(USER_STYLE if role == "user" else BOT_STYLE)
        self.label.setMaximumWidth(BUBBLE_MAX)
        self._fit()
        row = QHBoxLayout()
        if role == "user":
            row.addStretch(1)
        row.addWidget(self.label)
        if role != "user":
            row.addStretch(1)
        layout.addLayout(row)
        self.memories = QLabel()
        self.memories.setObjectName("memories")
        self.memories.setWordWrap(True)
        self.memories.setStyleSheet(
            "background:#fafafa; border:1px solid #e5e7eb; border-radius:8px; padding:6px 10px;"
            "font-size:9pt"
        )
        self.memories.hide()
        layout.addWidget(self.memories)

    def append(self, token: str) -> None:
        self.set_text(self.label.text() + token)

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        self._fit()

    def _fit(self) -> None:
        # A word-wrapped label in a box layout shrinks to its narrowest; give it the
        # width of its longest line, up to the bubble's maximum.
        metrics = self.label.fontMetrics()
        widest = max(
            (metrics.horizontalAdvance(line) for line in self.label.text().splitlines() or [""]),
            default=0,
        )
        self.label.setMinimumWidth(min(widest + 28, BUBBLE_MAX))

    def show_answer(self, text: str, hits: list[Any]) -> dict[str, int]:
        """The final answer, its citations ``[id]`` of given memories turned into
        numbered links; returns the numbers by id."""
        given = {h.id for h in hits}
        numbers: dict[str, int] = {}

        def cite(match: re.Match[str]) -> str:
            ids = [i.strip() for i in match.group(1).split(",")]
            if not all(i in given for i in ids):
                return match.group(0)
            links = []
            for item_id in ids:
                n = numbers.setdefault(item_id, len(numbers) + 1)
                links.append(f"<a style='{LINK}' href='{item_id}'><sup>{n}</sup></a>")
            return "".join(links)

        body = CITATION.sub(cite, html.escape(text))
        if not numbers:
            self.set_text(text)
            return numbers
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.set_text(body.replace("\n", "<br>"))
        self._fit_plain(CITATION.sub("", text))
        return numbers

    def _fit_plain(self, text: str) -> None:
        metrics = self.label.fontMetrics()
        widest = max(metrics.horizontalAdvance(line) for line in text.splitlines() or [""])
        self.label.setMinimumWidth(min(widest + 28, BUBBLE_MAX))

    def show_memories(self, hits: list[Any], numbers: dict[str, int] | None = None) -> None:
        if not hits:
            return
        numbers = numbers or {}
        groups: dict[str, list[str]] = defaultdict(list)
        for hit in hits:
            text = " ".join(str(hit.text).split())
            short = text if len(text) <= 44 else text[:43] + "…"
            mark = f"<sup>{numbers[hit.id]}</sup>&nbsp;" if hit.id in numbers else ""
            groups[hit.type].append(
                f"<a style='{LINK}' href='{hit.id}'>{mark}{html.escape(short)}</a>"
            )
        rows = "".join(
            f"<tr><td style='color:#6b7280; padding-right:10px'>{kind_named(t).label}</td>"
            f"<td>{' &nbsp;·&nbsp; '.join(links)}</td></tr>"
            for t, links in groups.items()
        )
        self.memories.setText(
            f"<div style='color:#374151; font-weight:600'>Memories used ({len(hits)})</div>"
            f"<table cellspacing='0' cellpadding='1'>{rows}</table>"
        )
        self.memories.show()


class ChatWindow(QMainWindow):
    answered = Signal(str)
    """The full answer, once it has finished streaming."""
    streamed = Signal(str)
    """Each piece of the answer as it arrives."""
    history_loaded = Signal(int)
    failed = Signal(str)

    def __init__(self, assistant: Any, *, desktop: Any = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.desktop = desktop
        self.jobs = Jobs(self)
        self.session: str | None = None
        self.bubbles: list[Bubble] = []
        self.setObjectName("chat_window")
        self.setWindowTitle("Chat — mirix-app")
        self.resize(720, 760)
        self._build()
        self.jobs.submit(
            lambda _e: assistant.chat_history(limit=200),
            on_done=self._show_history,
            on_error=self._on_failed,
        )

    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 12, 12, 12)
        self.banner = QWidget()
        self.banner.setObjectName("llm_banner")
        self.banner.setStyleSheet("background:#fee2e2; border-radius:6px")
        row = QHBoxLayout(self.banner)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.settings_button = QPushButton("Open settings")
        self.settings_button.setObjectName("button_open_settings")
        self.settings_button.clicked.connect(self._open_settings)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.settings_button)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.view = QWidget()
        self.turns = QVBoxLayout(self.view)
        self.turns.setSpacing(10)
        self.turns.addStretch(1)
        self.empty = QLabel(
            "Ask about anything you have seen or said — “what did I decide about the "
            "launch date?”. Answers draw on your memories."
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color:#6b7280; padding:40px")
        self.turns.insertWidget(0, self.empty)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setWidget(self.view)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.scroller, 1)

        row2 = QHBoxLayout()
        self.input = MessageInput()
        self.input.setObjectName("chat_input")
        self.input.setPlaceholderText("Message (Enter sends, Shift+Enter for a new line)")
        self.input.setFixedHeight(72)
        self.input.submitted.connect(self.send)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("button_send")
        self.send_button.setMinimumHeight(40)
        self.send_button.clicked.connect(self.send)
        row2.addWidget(self.input, 1)
        row2.addWidget(self.send_button)
        layout.addLayout(row2)
        self.setCentralWidget(body)

    # -- conversation ------------------------------------------------------------------

    def _add(self, role: str, text: str) -> Bubble:
        self.empty.hide()
        bubble = Bubble(role, text)
        bubble.memories.linkActivated.connect(self._open_memory)
        bubble.label.linkActivated.connect(self._open_memory)
        self.turns.insertWidget(self.turns.count() - 1, bubble)
        self.bubbles.append(bubble)
        QTimer.singleShot(0, self._scroll_to_end)
        return bubble

    def _scroll_to_end(self) -> None:
        bar = self.scroller.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _show_history(self, records: list[Any]) -> None:
        for record in records:
            role = str(record.fields.get("role") or "assistant")
            self._add("user" if role == "user" else "assistant", str(record.fields.get("text")))
            if record.fields.get("session"):
                self.session = str(record.fields["session"])
        self.history_loaded.emit(len(records))

    def send(self) -> None:
        question = self.input.toPlainText().strip()
        if not question or self.jobs.busy:
            return
        self.input.clear()
        self.banner.hide()
        self._add("user", question)
        answer = self._add("assistant", "")
        self.send_button.setEnabled(False)
        app, session = self.assistant, self.session

        def ask(emit: Any) -> Any:
            return app.ask(question, session=session, on_token=emit)

        def on_token(token: str) -> None:
            answer.append(token)
            self.streamed.emit(token)

        self.jobs.submit(
            ask,
            on_progress=on_token,
            on_done=lambda result: self._on_answer(answer, result),
            on_error=lambda exc: self._on_ask_failed(answer, exc),
        )

    def _on_answer(self, bubble: Bubble, result: Any) -> None:
        self.send_button.setEnabled(True)
        self.session = result.session
        numbers: dict[str, int] = {}
        if getattr(result, "answered", True):
            # the final text, whatever the stream said, with its citations as links
            numbers = bubble.show_answer(result.answer, list(result.memories))
        else:
            bubble.set_text(NO_LLM_NOTICE)
            self.banner_text.setText(
                "No language model is set up, so mirix-app can only show what it found. "
                "Choose a provider or the embedded local model in Settings."
            )
            self.settings_button.show()
            self.banner.show()
        bubble.show_memories(list(result.memories), numbers)
        QTimer.singleShot(0, self._scroll_to_end)
        self.answered.emit(result.answer)

    def _on_ask_failed(self, bubble: Bubble, exc: Exception) -> None:
        self.send_button.setEnabled(True)
        self.bubbles.remove(bubble)
        bubble.deleteLater()
        self._on_failed(exc)

    def _on_failed(self, exc: Exception) -> None:
        message = describe(exc)
        if is_llm_unreachable(exc):
            message += " Check the LLM settings, or turn on the embedded local model."
        self.banner_text.setText(message)
        self.settings_button.setVisible(is_llm_unreachable(exc))
        self.banner.show()
        self.failed.emit(message)

    def _open_settings(self) -> None:
        if self.desktop is not None:
            self.desktop.open_settings()

    def _open_memory(self, item_id: str) -> None:
        if self.desktop is None:
            return
        if item_id.startswith("scr_"):
            app = self.assistant
            self.jobs.submit(
                lambda _e: image_file(app, app.show(item_id)),
                on_done=self.desktop.open_image,
                on_error=self._on_failed,
            )
        else:
            self.desktop.open_memories(item_id)
