"""A full screenshot in its own window, read from disk on a worker. It opens
fitted to the window (no scroll bars); 100 % shows it pixel for pixel, and
Ctrl + the wheel, Ctrl++ and Ctrl+- zoom. The one window shows the last image
asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import button, label
from mirix_app.gui.worker import Jobs

ZOOM_STEP = 1.25


def image_file(assistant: Any, record: Any) -> str:
    """A screenshot record's image as an absolute path (records keep it relative to
    the data directory)."""
    stored = record.fields.get("image_path")
    if not stored:
        raise FileNotFoundError(
            QCoreApplication.translate(
                "ImageWindow",
                "The image of {0} is no longer stored (the storage budget removed it).",
            ).format(record.id)
        )
    path = Path(str(stored))
    return str(path if path.is_absolute() else assistant.storage.data_dir / path)


class _ZoomArea(QScrollArea):
    zoomed = Signal(int)
    """+1 or -1: Ctrl and the wheel."""
    resized = Signal()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoomed.emit(1 if event.angleDelta().y() > 0 else -1)
            return
        super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.resized.emit()


class ImageWindow(QMainWindow):
    loaded = Signal(bool)

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.setObjectName("image_window")
        self.jobs = Jobs(self)
        self._image = QImage()
        self._path: Path | None = None
        self.fitting = True
        """Scaled to the window (the default); False: ``zoom`` times its size."""
        self.zoom = 1.0
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(SPACE["s"], SPACE["s"], SPACE["s"], SPACE["s"])
        layout.setSpacing(SPACE["s"])
        bar = QHBoxLayout()
        self.caption = label("", "caption", wrap=False)
        self.fit_button = button(self.tr("Fit"), "fit", name="button_fit", slot=self.fit)
        self.actual_button = button(
            self.tr("100 %"), "actual-size", name="button_actual", slot=self.actual_size
        )
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.fit_button)
        bar.addWidget(self.actual_button)
        layout.addLayout(bar)
        self.label = QLabel(self.tr("Loading…"))
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area = _ZoomArea()
        self.area.setWidget(self.label)
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area.zoomed.connect(self._zoom_by)
        self.area.resized.connect(self._render)
        layout.addWidget(self.area, 1)
        self.setCentralWidget(body)
        self.resize(1100, 720)
        for keys, slot in (
            (QKeySequence.StandardKey.ZoomIn, lambda: self._zoom_by(1)),
            (QKeySequence.StandardKey.ZoomOut, lambda: self._zoom_by(-1)),
            (QKeySequence("Ctrl+0"), self.fit),
            (QKeySequence("Ctrl+1"), self.actual_size),
        ):
            QShortcut(keys, self).activated.connect(slot)
        if path is not None:
            self.load(path)

    def load(self, path: Path) -> None:
        """Show ``path`` (read on a worker), fitted to the window."""
        self._path = path
        self.setWindowTitle(self.tr("{0} — mirix-app").format(path.name))
        self._image = QImage()
        self.label.setPixmap(QPixmap())
        self.label.setText(self.tr("Loading…"))
        self.fitting = True
        self.jobs.submit(
            lambda _e: QImage(str(path)),
            on_done=lambda image: self._show(path, image),
            on_error=lambda exc: self._fail(str(exc)),
        )

    def _show(self, path: Path, image: QImage) -> None:
        if path != self._path:
            return  # another image was asked for meanwhile
        if image.isNull():
            self._fail(
                self.tr(
                    "Cannot read the image {0} (moved, or deleted by the storage budget)."
                ).format(path)
            )
            return
        self._image = image
        self.caption.setText(f"{path.name} · {image.width()} x {image.height()}")
        self._render()
        self.loaded.emit(True)

    def fit(self) -> None:
        self.fitting = True
        self._render()

    def actual_size(self) -> None:
        self.fitting, self.zoom = False, 1.0
        self._render()

    def _zoom_by(self, step: int) -> None:
        if self._image.isNull():
            return
        if self.fitting:
            self.zoom = self.shown_scale()
            self.fitting = False
        self.zoom = max(0.05, min(8.0, self.zoom * (ZOOM_STEP if step > 0 else 1 / ZOOM_STEP)))
        self._render()

    def shown_scale(self) -> float:
        """How large the image is drawn, against its own size."""
        if self._image.isNull():
            return 1.0
        if not self.fitting:
            return self.zoom
        view = self.area.viewport().size()
        return min(
            1.0,
            (view.width() - 2) / self._image.width(),
            (view.height() - 2) / self._image.height(),
        )

    def _render(self) -> None:
        if self._image.isNull():
            return
        scale = self.shown_scale()
        self.area.setWidgetResizable(self.fitting)
        pixmap = QPixmap.fromImage(self._image)
        if abs(scale - 1.0) > 1e-3:
            pixmap = pixmap.scaled(
                max(1, round(self._image.width() * scale)),
                max(1, round(self._image.height() * scale)),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        self.label.setPixmap(pixmap)
        if not self.fitting:
            self.label.resize(pixmap.size())
        self.fit_button.setEnabled(not self.fitting)
        self.caption.setText(
            f"{self._path.name if self._path else ''} · "
            f"{self._image.width()} x {self._image.height()} · {round(scale * 100)} %"
        )

    def _fail(self, message: str) -> None:
        self.label.setText(message)
        self.loaded.emit(False)
