"""The desktop app showing a window, in a process of its own, on a real X display:
what capture tests put beside another application's window.

    python -m tests.own_window chat DATA_DIR TEXT   # the chat window, TEXT typed in
    python -m tests.own_window vault DATA_DIR ID    # the memory browser, vault secret ID revealed

It runs the real :class:`mirix_app.gui.app.Desktop` (which registers the process
as one showing mirix-app windows) on the xcb platform, puts the window at the
left of the screen (0, 0, 600 x 700), prints ``ready`` once it shows what was
asked, and runs until killed. The assistant uses the tests' fake embedder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

GEOMETRY = (0, 0, 600, 700)


def main(mode: str, data_dir: str, value: str) -> int:
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox, QPlainTextEdit, QPushButton

    from agents import open_assistant
    from mirix_app.gui.app import Desktop
    from tests.fakes import FakeEmbedder

    app = QApplication(["mirix-app"])
    # The reveal of a high-sensitivity secret asks first: the user says yes.
    QMessageBox.question = lambda *_a, **_k: QMessageBox.StandardButton.Yes  # type: ignore[method-assign]
    desktop = Desktop(
        lambda: open_assistant(Path(data_dir), embedder=FakeEmbedder()),
        use_tray=True,
        show_first_run=False,
    )

    def ready() -> None:
        print("ready", flush=True)

    def place(window: Any) -> None:
        window.setGeometry(*GEOMETRY)
        window.raise_()
        window.activateWindow()

    def show() -> None:
        if mode == "chat":
            window = desktop.open_chat()
            place(window)
            window.findChild(QPlainTextEdit, "chat_input").setPlainText(value)
            QTimer.singleShot(800, ready)
        else:
            browser: Any = desktop.open_memories(value)
            place(browser)

            def reveal(_shown: str) -> None:
                browser.detail.findChild(QPushButton, "button_reveal").setChecked(True)
                QTimer.singleShot(800, ready)

            browser.shown.connect(reveal)

    desktop.ready.connect(show)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
