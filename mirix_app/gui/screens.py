"""Screenshot search: query, time range and application filter (changing either
searches again); a grid of cards, each a thumbnail with the time and app under
it, the window title and the screen text around the match (the query's words
marked); a click opens the full image; the activity timeline for the range."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from agents.screens.search import group_similar
from mirix_app.gui import theme
from mirix_app.gui.errors import describe
from mirix_app.gui.forget import Forgetter, forgot_text
from mirix_app.gui.i18n import QT_TRANSLATE_NOOP
from mirix_app.gui.theme import SPACE
from mirix_app.gui.timeline import ActivityTimeline
from mirix_app.gui.widgets import EmptyState, button, label
from mirix_app.gui.worker import Jobs
from storage.fts import query_terms

RANGES: tuple[tuple[str, timedelta | None], ...] = (
    (QT_TRANSLATE_NOOP("ScreenSearchWindow", "Last 24 hours"), timedelta(days=1)),
    (QT_TRANSLATE_NOOP("ScreenSearchWindow", "Last 7 days"), timedelta(days=7)),
    (QT_TRANSLATE_NOOP("ScreenSearchWindow", "Last 30 days"), timedelta(days=30)),
    (QT_TRANSLATE_NOOP("ScreenSearchWindow", "Any time"), None),
)
THUMB_W, THUMB_H = 256, 160
CARD_PAD = SPACE["s"]
RESULTS = 30
"""Cards shown for a search (each a group of frames showing the same text)."""


def mark(snippet: str, query: str) -> str:
    """The snippet as HTML with the query's words marked (the words search used:
    not "the", "of" or "to", which are on every screen)."""
    words = [w for w in query_terms(query) if len(w) > 1]
    text = html.escape(" ".join(snippet.split()))
    if not words:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE)
    return pattern.sub(rf"<b style='background:{theme.colors().mark}'>\1</b>", text)


def _image_loader(path: str) -> Any:
    return lambda _emit: QImage(path)


class ResultCard(QFrame):
    clicked = Signal(str)
    delete_requested = Signal(list)
    """The screenshot ids of this card (its frame and the ones alike) to forget."""

    def __init__(self, hit: Any, query: str, alike: list[Any] | None = None) -> None:
        super().__init__()
        self.hit = hit
        self.alike = alike or []
        """Lower-ranked frames of the same window showing the same text."""
        self.setObjectName("result_card")
        theme.set_role(self, "card")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedWidth(THUMB_W + 2 * CARD_PAD + 2)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(CARD_PAD, CARD_PAD, CARD_PAD, CARD_PAD)
        layout.setSpacing(SPACE["xs"])
        self.thumb = QLabel("…")
        self.thumb.setObjectName("thumb")
        self.thumb.setFixedSize(THUMB_W, THUMB_H)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        c = theme.colors()
        self.thumb.setStyleSheet(f"background:{c.subtle}; border-radius:6px; color:{c.muted}")
        layout.addWidget(self.thumb)
        layout.addSpacing(SPACE["xs"])
        when = str(hit.at)[:16].replace("T", " ")
        meta_text = f"{when} · {hit.app or self.tr('unknown app')}"
        if self.alike:
            meta_text += " · " + self.tr("+{0} alike").format(len(self.alike))
        self.meta = label(meta_text, "caption")
        self.meta.setObjectName("meta")
        self.meta.setTextFormat(Qt.TextFormat.PlainText)
        if self.alike:
            self.meta.setToolTip(
                self.tr("The same text was also on screen at {0}").format(
                    ", ".join(str(h.at)[:16].replace("T", " ") for h in self.alike)
                )
            )
        self.title = label(str(hit.title or ""))
        self.title.setObjectName("title")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setStyleSheet("font-weight: 600")
        self.snippet = label(mark(str(hit.snippet or ""), query), "caption")
        self.snippet.setObjectName("snippet")
        self.snippet.setTextFormat(Qt.TextFormat.RichText)
        for w in (self.meta, self.title, self.snippet):
            w.setFixedWidth(THUMB_W)
            w.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum)
            layout.addWidget(w)
        layout.addStretch(1)
        self.delete_button = button(self.tr("Delete…"), "delete", role="flat", name="button_delete")
        self.delete_button.setToolTip(
            self.tr("Delete this screenshot (and the ones alike) for good")
        )
        self.delete_button.clicked.connect(
            lambda: self.delete_requested.emit([h.screenshot_id for h in (hit, *self.alike)])
        )
        layout.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignRight)

    def set_thumbnail(self, image: QImage) -> None:
        if image.isNull():
            self.thumb.setText(self.tr("image no longer stored"))
            return
        pix = QPixmap.fromImage(image).scaled(
            THUMB_W,
            THUMB_H,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.thumb.setPixmap(pix)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit(str(self.hit.path or ""))
        super().mouseReleaseEvent(event)


class ScreenSearchWindow(QMainWindow):
    searched = Signal(int)
    """Number of results shown."""
    activity_shown = Signal(int)
    failed = Signal(str)
    forgot = Signal(int)
    """Screenshots forgotten from a card."""

    def __init__(self, assistant: Any, *, desktop: Any = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.desktop = desktop
        self.jobs = Jobs(self)
        self.cards: list[ResultCard] = []
        self.forgetter = Forgetter(assistant, self, window=self)
        self.forgetter.forgotten.connect(self._forgotten)
        self.forgetter.failed.connect(self._show_failure)
        self._laid_columns = 0
        self.setObjectName("screen_search")
        self.setWindowTitle(self.tr("Search screenshots — mirix-app"))
        self.resize(1120, 820)
        self._build()
        self.load_activity()

    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(SPACE["l"], SPACE["l"], SPACE["l"], SPACE["m"])
        layout.setSpacing(SPACE["m"])
        bar = QHBoxLayout()
        bar.setSpacing(SPACE["s"])
        self.query = QLineEdit()
        self.query.setObjectName("query")
        self.query.addAction(
            theme.icon("search", "muted"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.query.setPlaceholderText(
            self.tr("What was on the screen? e.g. “invoice total”, “flight to Lisbon”")
        )
        self.query.setClearButtonEnabled(True)
        self.query.returnPressed.connect(self.search)
        self.range = QComboBox()
        self.range.setObjectName("range")
        for text, _d in RANGES:
            self.range.addItem(QCoreApplication.translate("ScreenSearchWindow", text))
        self.range.setCurrentIndex(1)
        self.range.currentIndexChanged.connect(self._on_range)
        self.app_filter = QComboBox()
        self.app_filter.setObjectName("app_filter")
        self.app_filter.addItem(theme.icon("filter", "muted"), self.tr("All applications"), None)
        self.app_filter.setMinimumWidth(170)
        self.app_filter.currentIndexChanged.connect(self._on_app)
        search = button(self.tr("Search"), "search", role="primary", name="button_search")
        search.clicked.connect(self.search)
        bar.addWidget(self.query, 1)
        bar.addWidget(self.range)
        bar.addWidget(self.app_filter)
        bar.addWidget(search)
        layout.addLayout(bar)
        self.timeline = ActivityTimeline()
        layout.addWidget(self.timeline)
        self.status = label("", "caption")
        self.status.setObjectName("status")
        layout.addWidget(self.status)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(SPACE["m"])
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setWidget(self.grid_host)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.empty = EmptyState("screenshot")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(self.scroller)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(body)
        self._show_start()

    def _show_start(self) -> None:
        self.empty.set_icon("screenshot")
        self.empty.show_text(
            self.tr("Find a screen by what was on it"),
            self.tr(
                "Type words you remember seeing and press Enter. Narrow it down with the "
                "time range and the application; the chart shows when each app was on screen."
            ),
        )
        self.pages.setCurrentWidget(self.empty)

    @property
    def chosen_app(self) -> str | None:
        data = self.app_filter.currentData()
        return None if data is None else str(data)

    def _bounds(self) -> tuple[str | None, str | None]:
        delta = RANGES[self.range.currentIndex()][1]
        if delta is None:
            return None, None
        return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%SZ"), None

    def _on_range(self, _index: int) -> None:
        self.load_activity()
        if self.query.text().strip():
            self.search()

    def _on_app(self, _index: int) -> None:
        if self.query.text().strip():
            self.search()

    def load_activity(self) -> None:
        since, until = self._bounds()
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.screen_activity(since, until),
            on_done=self._show_activity,
            on_error=self._on_failed,
        )

    def _show_activity(self, rows: list[tuple[str, str, int]]) -> None:
        self.timeline.set_activity(list(rows))
        current = self.chosen_app
        apps = sorted({a for _h, a, _n in rows if a})
        self.app_filter.blockSignals(True)
        while self.app_filter.count() > 1:
            self.app_filter.removeItem(1)
        for name in apps:
            self.app_filter.addItem(name, name)
        index = self.app_filter.findData(current) if current in apps else 0
        self.app_filter.setCurrentIndex(max(0, index))
        self.app_filter.blockSignals(False)
        if not rows and not self.cards:
            self.empty.show_text(
                self.tr("No screenshots in this range"),
                self.tr(
                    "Screens are kept while capture runs (tray menu: Start capture). "
                    "Try a longer range."
                ),
            )
            self.pages.setCurrentWidget(self.empty)
        self.activity_shown.emit(len(rows))

    def search(self) -> None:
        text = self.query.text().strip()
        if not text:
            self.status.setText(self.tr("Type what you remember seeing and press Enter."))
            return
        since, until = self._bounds()
        app_name = self.chosen_app
        app = self.assistant
        theme.set_role(self.status, "caption")
        self.status.setText(self.tr("Searching…"))
        self.jobs.submit(
            lambda _e: group_similar(
                app.screens_search(text, since=since, until=until, app=app_name, limit=RESULTS * 3)
            )[:RESULTS],
            on_done=lambda groups: self._show(text, groups),
            on_error=self._on_failed,
        )

    def _show(self, query: str, groups: list[list[Any]]) -> None:
        """One card per group of frames showing the same text (its best match)."""
        for card in self.cards:
            card.deleteLater()
        self.cards = []
        hits = [group[0] for group in groups]
        for hit, group in zip(hits, groups, strict=True):
            card = ResultCard(hit, query, group[1:])
            card.clicked.connect(self._open)
            card.delete_requested.connect(self.forget)
            self.cards.append(card)
            thumb = str(hit.thumb_path or hit.path or "")
            if thumb:
                self.jobs.submit(_image_loader(thumb), on_done=card.set_thumbnail)
        frames = sum(len(group) for group in groups)
        where = self.range.currentText().lower()
        if self.chosen_app:
            where += ", " + self.chosen_app
        if hits:
            text = (
                self.tr("%n screenshot matches “{0}” ({1})", "", len(hits))
                if len(hits) == 1
                else self.tr("%n screenshots match “{0}” ({1}), best first", "", len(hits))
            ).format(query, where)
            if frames > len(hits):
                text += " · " + self.tr(
                    "{0} frames; frames of one window showing the same text are one card"
                ).format(frames)
            self.status.setText(text)
            self.pages.setCurrentWidget(self.scroller)
            self._lay_out()
        else:
            self.status.setText("")
            self.empty.set_icon("search")
            self.empty.show_text(
                self.tr("No screenshot matches “{0}”").format(query),
                self.tr(
                    "Searched {0}. Try other words, a longer range or all applications."
                ).format(where),
            )
            self.pages.setCurrentWidget(self.empty)
        self.searched.emit(len(hits))

    def forget(self, screenshot_ids: list[str]) -> None:
        """Delete a card's screenshots for good, after a confirmation."""
        self.forgetter.ask(self.tr("Delete for good?"), ids=screenshot_ids)

    def _forgotten(self, report: Any) -> None:
        gone = set(report.plan.screenshots)
        for card in [c for c in self.cards if c.hit.screenshot_id in gone]:
            self.cards.remove(card)
            self.grid.removeWidget(card)
            card.deleteLater()
        theme.set_role(self.status, "caption")
        self.status.setText(forgot_text(report))
        self._lay_out()
        self.load_activity()
        self.forgot.emit(len(gone))

    def _columns(self) -> int:
        width = self.pages.width() - 2 * SPACE["s"]
        return max(1, (width + SPACE["m"]) // (THUMB_W + 2 * CARD_PAD + 2 + SPACE["m"]))

    def _lay_out(self) -> None:
        """The cards in as many columns as the window is wide, top-aligned in rows."""
        columns = self._columns()
        self._laid_columns = columns
        for card in self.cards:
            self.grid.removeWidget(card)
        for n, card in enumerate(self.cards):
            self.grid.addWidget(card, n // columns, n % columns, Qt.AlignmentFlag.AlignTop)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.cards and self._laid_columns != self._columns():
            self._lay_out()

    def _open(self, path: str) -> None:
        if path and self.desktop is not None:
            self.desktop.open_image(path)

    def _on_failed(self, exc: Exception) -> None:
        self._show_failure(describe(exc))

    def _show_failure(self, message: str) -> None:
        theme.set_role(self.status, "error")
        self.status.setText(message)
        self.failed.emit(message)
