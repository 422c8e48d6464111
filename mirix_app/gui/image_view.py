"""A full screenshot in its own window, read from disk on a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea

from mirix_app.gui.worker import Jobs


def image_file(assistant: Any, record: Any) -> str:
    """A screenshot record's image as an absolute path (records keep it relative to
    the data directory)."""
    stored = record.fields.get("image_path")
    if not stored:
        raise FileNotFoundError(
            f"The image of {record.id} is no longer stored (the storage budget removed it)."
        )
    path = Path(str(stored))
    return str(path if path.is_absolute() else assistant.storage.data_dir / path)


class ImageWindow(QMainWindow):
    loaded = Signal(bool)

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.setObjectName("image_window")
        self.setWindowTitle(f"{path.name} — mirix-app")
        self.label = QLabel("Loading…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(self.label)
        scroll.setWidgetResizable(True)
        self.setCentralWidget(scroll)
        self.resize(1000, 700)
        self.jobs = Jobs(self)
        self.jobs.submit(
            lambda _e: QImage(str(path)),
            on_done=self._show,
            on_error=lambda exc: self._fail(str(exc)),
        )
        self._path = path

    def _show(self, image: QImage) -> None:
        if image.isNull():
            self._fail(
                f"Cannot read the image {self._path} (moved, or deleted by the storage budget)."
            )
            return
        self.label.setPixmap(QPixmap.fromImage(image))
        self.loaded.emit(True)

    def _fail(self, message: str) -> None:
        self.label.setText(message)
        self.loaded.emit(False)
