"""Search everything (Ctrl+K from any window): one box over every memory type, the
raw messages and the screenshots; the results by type with their icons, ranked;
Enter or a click opens one (a memory or a message in the memory browser, a
screenshot's image)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mirix_app.gui import theme
from mirix_app.gui.errors import describe
from mirix_app.gui.image_view import image_file
from mirix_app.gui.labels import kind_label
from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import EmptyState, label
from mirix_app.gui.worker import Jobs
from storage.cjk import has_cjk
from storage.periods import spoken_period

ID_ROLE = Qt.ItemDataRole.UserRole
RESULTS = 30
TYPING_PAUSE_MS = 250


class _QueryBox(QLineEdit):
    """Up and Down move through the results while the cursor stays in the box."""

    moved = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            self.moved.emit(1 if event.key() == Qt.Key.Key_Down else -1)
            return
        super().keyPressEvent(event)


class QuickSearch(QWidget):
    searched = Signal(int)
    """How many results are shown."""
    failed = Signal(str)

    def __init__(self, assistant: Any, *, desktop: Any = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.desktop = desktop
        self.jobs = Jobs(self)
        self._asked = ""
        self._typing = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self.setObjectName("quick_search")
        self.setWindowTitle(self.tr("Search everything — mirix-app"))
        self.resize(640, 480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE["l"], SPACE["l"], SPACE["l"], SPACE["l"])
        layout.setSpacing(SPACE["s"])
        self.query = _QueryBox()
        self.query.setObjectName("query")
        self.query.setPlaceholderText(self.tr("Search memories, messages and screenshots…"))
        self.query.addAction(
            theme.icon("search", "muted"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.query.setClearButtonEnabled(True)
        self.query.textChanged.connect(lambda _t: self._typing.start())
        self.query.returnPressed.connect(self.open_current)
        self.query.moved.connect(self._move)
        layout.addWidget(self.query)
        self.status = label("", "caption")
        self.status.setObjectName("status")
        layout.addWidget(self.status)
        self.pages = QStackedWidget()
        self.results = QListWidget()
        self.results.setObjectName("results")
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setIconSize(QSize(20, 20))
        self.results.itemActivated.connect(lambda _item: self.open_current())
        self.empty = EmptyState("search")
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.results)
        layout.addWidget(self.pages, 1)
        self._typing.timeout.connect(self.search)
        self._show_empty()

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def _show_empty(self) -> None:
        self.empty.set_icon("search")
        self.empty.show_text(
            self.tr("Search everything you have seen and said"),
            self.tr(
                "Type a few words: a name, a place, what a screen showed. Up and Down "
                "choose, Enter opens, Esc closes."
            ),
        )
        self.pages.setCurrentWidget(self.empty)
        self.status.clear()

    def search(self) -> None:
        text = self.query.text().strip()
        self._asked = text
        if not text:
            self.results.clear()
            self._show_empty()
            return
        app = self.assistant
        self.status.setText(self.tr("Searching…"))
        self.jobs.submit(
            lambda _e: app.search(text, limit=RESULTS),
            on_done=lambda hits: self._show(text, hits),
            on_error=self._on_failed,
        )

    def _show(self, text: str, hits: list[Any]) -> None:
        if text != self._asked:
            return  # the user typed on: a newer search is coming
        self.results.clear()
        for hit in hits:
            one_line = " ".join(str(hit.text).split())
            when = str(hit.at)[:16].replace("T", " ")
            item = QListWidgetItem(
                theme.kind_icon(hit.type), f"{one_line[:300]}\n{kind_label(hit.type)} · {when}"
            )
            item.setToolTip(f"{kind_label(hit.type)} · {hit.id}")
            item.setData(ID_ROLE, hit.id)
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
            self.pages.setCurrentWidget(self.results)
            count = (
                self.tr("%n result; Enter opens it.", "", len(hits))
                if len(hits) == 1
                else self.tr("%n results, best first; Enter opens the selected one.", "", len(hits))
            )
            self.status.setText(" ".join(p for p in (self._period_read(text), count) if p))
        else:
            self.empty.set_icon("search")
            self.empty.show_text(
                self.tr("Nothing matches “{query}”").format(query=text),
                self.tr("Try other words, or fewer of them."),
            )
            self.pages.setCurrentWidget(self.empty)
            self.status.clear()
        self.searched.emit(len(hits))

    def _period_read(self, text: str) -> str:
        """How a period the query speaks of was read ("last week": from the Monday
        before until now), which search prefers; empty when it names none."""
        period = spoken_period(text, datetime.now().astimezone())
        if period is None:
            return ""
        since, until = (t.astimezone().strftime("%Y-%m-%d") for t in (period.since, period.until))
        words = "、".join(period.words) if has_cjk(text) else ", ".join(period.words)
        return self.tr("What happened “{words}” ({since} – {until}) comes first.").format(
            words=words, since=since, until=until
        )

    def _move(self, step: int) -> None:
        count = self.results.count()
        if count:
            self.results.setCurrentRow(max(0, min(count - 1, self.results.currentRow() + step)))

    def open_current(self) -> None:
        item = self.results.currentItem()
        if item is None or self.desktop is None:
            return
        item_id = str(item.data(ID_ROLE))
        if item_id.startswith("scr_"):
            app = self.assistant
            self.jobs.submit(
                lambda _e: image_file(app, app.show(item_id)),
                on_done=self.desktop.open_image,
                on_error=self._on_failed,
            )
        else:
            self.desktop.open_memories(item_id)

    def _on_failed(self, exc: Exception) -> None:
        message = describe(exc)
        theme.set_role(self.status, "error")
        self.status.setText(message)
        self.failed.emit(message)
