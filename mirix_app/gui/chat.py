"""The chat window: the conversation, the answer streaming in token by token,
and under each answer the memories that were relevant to it, by type, each
openable (or a line saying none was). A turn the provider failed stays in the
conversation with the reason and a Retry button. Enter sends, Shift+Enter
starts a new line. History comes from the facade, so it survives a restart."""

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
    QMainWindow,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from agents.chat import new_session
from mirix_app.gui import theme
from mirix_app.gui.errors import describe, is_llm_unreachable
from mirix_app.gui.image_view import image_file
from mirix_app.gui.labels import kind_label
from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import Banner, EmptyState, button, label, shorten
from mirix_app.gui.worker import Jobs

BUBBLE_MAX = 540
CITATION = re.compile(r"\[((?:[a-z]+_[0-9a-z]+)(?:\s*,\s*[a-z]+_[0-9a-z]+)*)\]")


def link_style() -> str:
    return f"color:{theme.colors().accent}; text-decoration:none"


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
    """One turn; an answer also lists the memories relevant to it, and a question
    left unanswered says why, with Retry."""

    retry_requested = Signal()

    def __init__(self, role: str, text: str) -> None:
        super().__init__()
        self.role = role
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACE["xs"])
        self.label = label(text)
        self.label.setObjectName(f"bubble_{role}")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.set_role(self.label, "bubble-user" if role == "user" else "bubble-bot")
        self.label.setMaximumWidth(BUBBLE_MAX)
        self._fit()
        row = QHBoxLayout()
        if role == "user":
            row.addStretch(1)
        row.addWidget(self.label)
        if role != "user":
            row.addStretch(1)
        layout.addLayout(row)
        self.memories = label()
        self.memories.setObjectName("memories")
        self.memories.setMaximumWidth(BUBBLE_MAX + 80)
        theme.set_role(self.memories, "memories")
        self.memories.hide()
        # In a row, so the layout asks the label's height for the width it really
        # gets (its maximum), not the column's: a vertical box asks for the column's
        # width, and a wrapped line more (Chinese wraps more) was cut off.
        memories_row = QHBoxLayout()
        memories_row.addWidget(self.memories, 1)
        memories_row.addStretch(0)
        layout.addLayout(memories_row)
        self.problem = Banner(action=self.tr("Retry"), name="turn_failed")
        self.problem.button.setObjectName("button_retry")
        self.problem.button.setIcon(theme.icon("retry"))
        self.problem.acted.connect(self.retry_requested)
        layout.addWidget(self.problem)

    @property
    def retry_button(self) -> Any:
        return self.problem.button

    def failed(self, reason: str) -> None:
        """This question got no answer: say why, offer Retry."""
        self.problem.show_message(
            self.tr("Not answered: {0}").format(reason), kind="error", action=True
        )

    def clear_failure(self) -> None:
        self.problem.hide()

    def append(self, token: str) -> None:
        self.set_text(self.label.text() + token)

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        self._fit()

    def _fit(self, text: str | None = None) -> None:
        # A word-wrapped label in a box layout shrinks to its narrowest; give it the
        # width of its longest line, up to the bubble's maximum.
        metrics = self.label.fontMetrics()
        lines = (self.label.text() if text is None else text).splitlines() or [""]
        widest = max((metrics.horizontalAdvance(line) for line in lines), default=0)
        self.label.setMinimumWidth(min(widest + 32, BUBBLE_MAX))

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
                links.append(f"<a style='{link_style()}' href='{item_id}'><sup>{n}</sup></a>")
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
        self.label.setText(body.replace("\n", "<br>"))
        self._fit(CITATION.sub("", text))
        return numbers

    def show_memories(
        self, hits: list[Any], numbers: dict[str, int] | None = None, *, answered: bool = True
    ) -> None:
        """The memories that were relevant (each a link), by type; or a line saying
        that none was, so the answer came from the conversation alone."""
        numbers = numbers or {}
        muted = theme.colors().muted
        if not hits:
            text = (
                self.tr(
                    "No memory was close to this question; the answer draws on the "
                    "conversation alone."
                )
                if answered
                else self.tr("Nothing in your memories is close to this message.")
            )
            self.memories.setText(f"<span style='color:{muted}'>{html.escape(text)}</span>")
            self.memories.show()
            return
        groups: dict[str, list[str]] = defaultdict(list)
        for hit in hits:
            one_line = " ".join(str(hit.text).split())
            short = shorten(one_line, 48)
            mark = f"<sup>{numbers[hit.id]}</sup>&nbsp;" if hit.id in numbers else ""
            groups[hit.type].append(
                f"<a style='{link_style()}' href='{hit.id}'>{mark}{html.escape(short)}</a>"
            )
        rows = "".join(
            f"<tr><td style='padding:2px 10px 2px 0; white-space:nowrap' valign='top'>"
            f"<span style='color:{theme.KIND_COLORS.get(t, muted)}'>●</span>&nbsp;"
            f"<span style='color:{muted}'>{html.escape(kind_label(t))}</span></td>"
            f"<td style='padding:2px 0'>{' &nbsp;·&nbsp; '.join(links)}</td></tr>"
            for t, links in groups.items()
        )
        title = self.tr("Memories used ({0})").format(len(hits))
        self.memories.setText(
            f"<div style='font-weight:600'>{html.escape(title)}</div>"
            f"<table cellspacing='0' cellpadding='0'>{rows}</table>"
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
        self.setWindowTitle(self.tr("Chat — mirix-app"))
        self.resize(760, 800)
        self._build()
        self.jobs.submit(
            lambda _e: assistant.chat_history(limit=200),
            on_done=self._show_history,
            on_error=self._on_failed,
        )

    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(SPACE["l"], SPACE["m"], SPACE["l"], SPACE["l"])
        layout.setSpacing(SPACE["m"])
        self.banner = Banner(action=self.tr("Open settings"), name="llm_banner")
        self.banner_text = self.banner.text
        self.settings_button = self.banner.button
        self.settings_button.setObjectName("button_open_settings")
        self.settings_button.setIcon(theme.icon("settings"))
        self.banner.acted.connect(self._open_settings)
        layout.addWidget(self.banner)

        self.view = QWidget()
        self.turns = QVBoxLayout(self.view)
        self.turns.setContentsMargins(0, 0, SPACE["s"], 0)
        self.turns.setSpacing(SPACE["l"])
        self.turns.addStretch(1)
        self.empty = EmptyState("chat")
        self.empty.show_text(
            self.tr("Ask about anything you have seen or said"),
            self.tr(
                "“What did I decide about the launch date?” · “When is the vet?” · "
                "“Which invoice was due this week?” Answers draw on your memories and "
                "show which ones they used."
            ),
        )
        self.turns.insertWidget(0, self.empty)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setWidget(self.view)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.scroller, 1)

        row = QHBoxLayout()
        row.setSpacing(SPACE["s"])
        self.input = MessageInput()
        self.input.setObjectName("chat_input")
        self.input.setPlaceholderText(self.tr("Message (Enter sends, Shift+Enter a new line)"))
        self.input.setFixedHeight(76)
        self.input.submitted.connect(self.send)
        self.send_button = button(self.tr("Send"), "send", role="primary", name="button_send")
        self.send_button.setMinimumHeight(44)
        self.send_button.clicked.connect(self.send)
        row.addWidget(self.input, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(row)
        self.setCentralWidget(body)

    # -- conversation ------------------------------------------------------------------

    def _add(self, role: str, text: str) -> Bubble:
        self.empty.hide()
        bubble = Bubble(role, text)
        bubble.memories.linkActivated.connect(self._open_memory)
        bubble.label.linkActivated.connect(self._open_memory)
        bubble.retry_requested.connect(lambda: self.retry(bubble))
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
        last = self.bubbles[-1] if self.bubbles else None
        if last is not None and last.role == "user":
            # Asked in an earlier run and never answered (the provider failed then).
            self._offer_retry(last, self.tr("the answer did not arrive last time."))
        self.history_loaded.emit(len(records))

    def send(self) -> None:
        question = self.input.toPlainText().strip()
        if not question or self.jobs.busy:
            return
        self.input.clear()
        self._ask(self._add("user", question), question, retry=False)

    def retry(self, asked: Bubble) -> None:
        """Ask a question that got no answer again (it is stored already)."""
        if self.jobs.busy:
            return
        asked.clear_failure()
        self._ask(asked, asked.label.text(), retry=True)

    def _ask(self, asked: Bubble, question: str, *, retry: bool) -> None:
        self.banner.hide()
        answer = self._add("assistant", "")
        self.send_button.setEnabled(False)
        # The session is named before the first question, so a failed first turn can
        # be retried in it.
        if self.session is None:
            self.session = new_session()
        app, session = self.assistant, self.session

        def ask(emit: Any) -> Any:
            result = app.ask(question, session=session, on_token=emit, retry=retry)
            why = None if result.answered else app.settings.local_llm().reason
            return result, why

        def on_token(token: str) -> None:
            answer.append(token)
            self.streamed.emit(token)

        self.jobs.submit(
            ask,
            on_progress=on_token,
            on_done=lambda done: self._on_answer(answer, *done),
            on_error=lambda exc: self._on_ask_failed(asked, answer, exc),
        )

    def _on_answer(self, bubble: Bubble, result: Any, no_llm_reason: str | None) -> None:
        self.send_button.setEnabled(True)
        self.session = result.session
        relevant = set(getattr(result, "relevant", [h.id for h in result.memories]))
        shown = [h for h in result.memories if h.id in relevant]
        numbers: dict[str, int] = {}
        if result.answered:
            # the final text, whatever the stream said, with its citations as links
            numbers = bubble.show_answer(result.answer, list(result.memories))
            cited = [h for h in result.memories if h.id in numbers and h.id not in relevant]
            shown += cited
        else:
            bubble.set_text(
                self.tr(
                    "I have no language model to answer with yet; this is what your "
                    "memories hold about it."
                )
            )
            self.banner.show_message(
                self.tr(
                    "No language model is set up ({0}), so chat shows the memories that "
                    "match instead of answering. Choose a provider in Settings."
                ).format(no_llm_reason or self.tr("none configured")),
                kind="warning",
                action=True,
            )
        bubble.show_memories(shown, numbers, answered=result.answered)
        QTimer.singleShot(0, self._scroll_to_end)
        self.answered.emit(result.answer)

    def _on_ask_failed(self, asked: Bubble, answer: Bubble, exc: Exception) -> None:
        self.send_button.setEnabled(True)
        self.bubbles.remove(answer)
        answer.deleteLater()
        message = describe(exc)
        self._offer_retry(asked, message)
        if is_llm_unreachable(exc):
            self.banner.show_message(
                self.tr("{0} Check the language model in Settings.").format(message),
                kind="error",
                action=True,
            )
        self.failed.emit(message)

    def _offer_retry(self, asked: Bubble, reason: str) -> None:
        asked.failed(reason)

    def _on_failed(self, exc: Exception) -> None:
        message = describe(exc)
        self.banner.show_message(message, kind="error", action=is_llm_unreachable(exc))
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
