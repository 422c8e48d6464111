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

from mirix_app.gui import assets, theme
from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import IconLabel, label

BUTTONS = ("chat", "search", "screens", "memories", "capture", "forget", "settings", "quit")


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
        layout.setContentsMargins(SPACE["xl"], SPACE["l"], SPACE["xl"], SPACE["l"])
        layout.setSpacing(SPACE["m"])

        head = IconLabel(48)
        head.set_icon(assets.app_icon())
        top = QGridLayout()
        top.setHorizontalSpacing(SPACE["m"])
        top.addWidget(head, 0, 0, 2, 1)
        top.addWidget(label("mirix-app", "title", wrap=False), 0, 1)
        top.addWidget(label(self.tr("your local memory assistant"), "muted", wrap=False), 1, 1)
        top.setColumnStretch(1, 1)
        layout.addLayout(top)

        self.state_label = QLabel()
        self.state_label.setObjectName("capture_state")
        self.notice = label("", "warning")
        self.notice.setObjectName("notice")
        self.notice.hide()
        layout.addWidget(self.state_label)
        layout.addWidget(self.notice)

        grid = QGridLayout()
        grid.setSpacing(SPACE["s"])
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
            button.setIcon(action.icon())
            button.setEnabled(action.isEnabled())

        action.changed.connect(sync)
        menu = action.menu()
        if isinstance(menu, QMenu):  # a menu of actions (Forget): the button opens it
            button.setMenu(menu)
        else:
            button.clicked.connect(action.trigger)
        sync()

    def show_state(self, state: str, label: str, reason: str) -> None:
        c = theme.colors()
        colour = {"capturing": c.success, "paused": c.warning, "error": c.danger}.get(
            state, c.muted
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
