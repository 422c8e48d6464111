"""The small main window used where the desktop has no system tray: the tray
menu's actions as buttons, and the capture state as a line of text."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mirix_app.gui import assets

BUTTONS = ("chat", "screens", "memories", "capture", "forget", "settings", "quit")


class LauncherWindow(QMainWindow):
    closed = Signal()

    def __init__(self, actions: dict[str, QAction]) -> None:
        super().__init__()
        self.setObjectName("launcher")
        self.setWindowTitle("mirix-app")
        self.setWindowIcon(assets.app_icon())
        self._actions = actions
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(14)

        head = QLabel()
        head.setPixmap(assets.app_icon().pixmap(48, 48))
        title = QLabel("<b style='font-size:16pt'>mirix-app</b><br>your local memory assistant")
        top = QGridLayout()
        top.addWidget(head, 0, 0, 2, 1)
        top.addWidget(title, 0, 1, 2, 1)
        top.setColumnStretch(1, 1)
        layout.addLayout(top)

        self.state_label = QLabel()
        self.state_label.setObjectName("capture_state")
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #b45309")
        self.notice.hide()
        layout.addWidget(self.state_label)
        layout.addWidget(self.notice)

        grid = QGridLayout()
        grid.setSpacing(8)
        self.buttons: dict[str, QPushButton] = {}
        for n, key in enumerate(BUTTONS):
            button = QPushButton()
            button.setObjectName(f"button_{key}")
            button.setMinimumHeight(36)
            self._bind(button, actions[key])
            grid.addWidget(button, n // 2, n % 2)
            self.buttons[key] = button
        layout.addLayout(grid)
        self.setCentralWidget(body)
        self.setMinimumWidth(380)

    @staticmethod
    def _bind(button: QPushButton, action: QAction) -> None:
        def sync() -> None:
            if not shiboken6.isValid(button):
                return  # the launcher is gone; the action outlives it until quit ends
            button.setText(action.text())
            button.setEnabled(action.isEnabled())

        action.changed.connect(sync)
        menu = action.menu()
        if isinstance(menu, QMenu):  # a menu of actions (Forget): the button opens it
            button.setMenu(menu)
        else:
            button.clicked.connect(action.trigger)
        sync()

    def show_state(self, state: str, label: str, reason: str) -> None:
        colour = {"capturing": "#16a34a", "paused": "#d97706", "error": "#dc2626"}.get(
            state, "#6b7280"
        )
        text = f"<span style='color:{colour}'>●</span> {label}"
        if reason:
            text += f" — {reason}"
        self.state_label.setText(text)
        self.state_label.setTextFormat(Qt.TextFormat.RichText)
        self.setWindowIcon(assets.tray_icon(state))

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        self.closed.emit()  # closing the launcher quits, like Quit in a tray menu
