"""Screenshot search: query, time range and application filter; a grid of
thumbnails with time, app, window title and the screen text around the match
(marked); a click opens the full image; the activity timeline for the range."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from agents.screens.search import group_similar
from mirix_app.gui.errors import describe
from mirix_app.gui.forget import Forgetter, forgot_text
from mirix_app.gui.timeline import ActivityTimeline
from mirix_app.gui.worker import Jobs

RANGES: tuple[tuple[str, timedelta | None], ...] = (
    ("Last 24 hours", timedelta(days=1)),
    ("Last 7 days", timedelta(days=7)),
    ("Last 30 days", timedelta(days=30)),
    ("Any time", None),
)
ALL_APPS = "All applications"
THUMB_W, THUMB_H = 240, 150
RESULTS = 30
"""Cards shown for a search (each a group of frames showing the same text)."""


def mark(snippet: str, query: str) -> str:
    """The snippet as HTML with the query's words highlighted."""
    words = [w for w in re.findall(r"\w+", query) if len(w) > 1]
    text = html.escape(" ".join(snippet.split()))
    if not words:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")", re.IGNORECASE)
    return pattern.sub(r"<b style='background:#fde68a'>\1</b>", text)


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
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setStyleSheet(
            "#result_card { background:#ffffff; border:1px solid #e5e7eb; border-radius:8px }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(4)
        self.thumb = QLabel("…")
        self.thumb.setFixedSize(THUMB_W, THUMB_H)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setStyleSheet("background:#f3f4f6; border-radius:4px; color:#9ca3af")
        layout.addWidget(self.thumb)
        when = str(hit.at)[:16].replace("T", " ")
        meta = QLabel(
            f"<span style='color:#6b7280'>{html.escape(when)} · "
            f"{html.escape(str(hit.app or 'unknown app'))}</span>"
        )
        meta.setWordWrap(True)
        if self.alike:
            meta.setText(
                f"{meta.text()} <span style='color:#6b7280'>· +{len(self.alike)} alike</span>"
            )
            meta.setToolTip(
                "The same text was also on screen at "
                + ", ".join(str(h.at)[:16].replace("T", " ") for h in self.alike)
            )
        title = QLabel(f"<b>{html.escape(str(hit.title or ''))}</b>")
        title.setWordWrap(True)
        snippet = QLabel(mark(str(hit.snippet or ""), query))
        snippet.setObjectName("snippet")
        snippet.setWordWrap(True)
        snippet.setTextFormat(Qt.TextFormat.RichText)
        snippet.setStyleSheet("color:#374151; font-size:9pt")
        for w in (meta, title, snippet):
            w.setMaximumWidth(THUMB_W)
            layout.addWidget(w)
        layout.addStretch(1)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("button_delete")
        self.delete_button.setToolTip("Delete this screenshot (and the ones alike) for good")
        self.delete_button.clicked.connect(
            lambda: self.delete_requested.emit([h.screenshot_id for h in (hit, *self.alike)])
        )
        layout.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignRight)

    def set_thumbnail(self, image: QImage) -> None:
        if image.isNull():
            self.thumb.setText("image no longer stored")
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
        self.setObjectName("screen_search")
        self.setWindowTitle("Search screenshots — mirix-app")
        self.resize(1000, 760)
        self._build()
        self.load_activity()

    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 12, 12, 8)
        bar = QHBoxLayout()
        self.query = QLineEdit()
        self.query.setObjectName("query")
        self.query.setPlaceholderText(
            "What was on the screen? e.g. “invoice total”, “flight to Lisbon”"
        )
        self.query.returnPressed.connect(self.search)
        self.range = QComboBox()
        self.range.setObjectName("range")
        for label, _d in RANGES:
            self.range.addItem(label)
        self.range.setCurrentIndex(1)
        self.range.currentIndexChanged.connect(self._on_range)
        self.app_filter = QComboBox()
        self.app_filter.setObjectName("app_filter")
        self.app_filter.addItem(ALL_APPS)
        self.app_filter.setMinimumWidth(160)
        button = QPushButton("Search")
        button.setObjectName("button_search")
        button.clicked.connect(self.search)
        bar.addWidget(self.query, 1)
        bar.addWidget(self.range)
        bar.addWidget(self.app_filter)
        bar.addWidget(button)
        layout.addLayout(bar)
        self.timeline = ActivityTimeline()
        layout.addWidget(self.timeline)
        self.status = QLabel("Type what you remember seeing and press Enter.")
        self.status.setObjectName("status")
        self.status.setStyleSheet("color:#6b7280")
        layout.addWidget(self.status)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(12)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setWidget(self.grid_host)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.scroller, 1)
        self.setCentralWidget(body)

    def _bounds(self) -> tuple[str | None, str | None]:
        delta = RANGES[self.range.currentIndex()][1]
        if delta is None:
            return None, None
        return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%SZ"), None

    def _on_range(self, _index: int) -> None:
        self.load_activity()
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
        current = self.app_filter.currentText()
        apps = sorted({a for _h, a, _n in rows if a})
        self.app_filter.blockSignals(True)
        self.app_filter.clear()
        self.app_filter.addItems([ALL_APPS, *apps])
        if current in apps:
            self.app_filter.setCurrentText(current)
        self.app_filter.blockSignals(False)
        self.activity_shown.emit(len(rows))

    def search(self) -> None:
        text = self.query.text().strip()
        if not text:
            self.status.setText("Type what you remember seeing and press Enter.")
            return
        since, until = self._bounds()
        chosen = self.app_filter.currentText()
        app_name = None if chosen == ALL_APPS else chosen
        app = self.assistant
        self.status.setText("Searching…")
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
        columns = max(1, (self.scroller.viewport().width() - 12) // (THUMB_W + 30))
        hits = [group[0] for group in groups]
        for n, (hit, group) in enumerate(zip(hits, groups, strict=True)):
            card = ResultCard(hit, query, group[1:])
            card.clicked.connect(self._open)
            card.delete_requested.connect(self.forget)
            self.grid.addWidget(card, n // columns, n % columns)
            self.cards.append(card)
            thumb = str(hit.thumb_path or hit.path or "")
            if thumb:
                self.jobs.submit(_image_loader(thumb), on_done=card.set_thumbnail)
        frames = sum(len(group) for group in groups)
        alike = f" ({frames} frames; frames of one window showing the same text are one card)"
        self.status.setText(
            f"{len(hits)} screenshot(s) match “{query}”{alike if frames > len(hits) else ''}."
            if hits
            else f"No screenshot matches “{query}” in this range."
        )
        self.searched.emit(len(hits))

    def forget(self, screenshot_ids: list[str]) -> None:
        """Delete a card's screenshots for good, after a confirmation."""
        self.forgetter.ask("Delete for good?", ids=screenshot_ids)

    def _forgotten(self, report: Any) -> None:
        gone = set(report.plan.screenshots)
        for card in [c for c in self.cards if c.hit.screenshot_id in gone]:
            self.cards.remove(card)
            card.deleteLater()
        self.status.setText(forgot_text(report))
        self.load_activity()
        self.forgot.emit(len(gone))

    def _open(self, path: str) -> None:
        if path and self.desktop is not None:
            self.desktop.open_image(path)

    def _on_failed(self, exc: Exception) -> None:
        self._show_failure(describe(exc))

    def _show_failure(self, message: str) -> None:
        self.status.setText(message)
        self.failed.emit(message)
