"""Small building blocks every window shares: labels in the type scale, an empty
state that says what to do, a banner for problems, and buttons with icons.
Colours come from :mod:`theme` roles, so all of them follow light and dark."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mirix_app.gui import theme
from mirix_app.gui.theme import SPACE


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns with "…" at the end where it is longer; a
    Chinese, Japanese or Korean character (East Asian wide) takes two columns, as
    on screen, so a cut line of Chinese is as wide as one of English."""
    columns = [2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text]
    if sum(columns) <= width:
        return text
    used = 0
    for n, column in enumerate(columns):
        if used + column > width - 1:
            return text[:n] + "…"
        used += column
    return text


def label(text: str = "", role: str | None = None, *, wrap: bool = True) -> QLabel:
    """A label in one of the type scale's roles (caption, muted, heading, title, ...)."""
    widget = QLabel(text)
    widget.setWordWrap(wrap)
    if role is not None:
        theme.set_role(widget, role)
    return widget


def button(
    text: str,
    icon: str | None = None,
    *,
    role: str | None = None,
    name: str | None = None,
    slot: Callable[[], object] | None = None,
) -> QPushButton:
    """A push button with an icon from assets/ and a style role (primary, danger, flat)."""
    widget = QPushButton(text)
    if icon is not None:
        widget.setIcon(theme.icon(icon, "on_accent" if role == "primary" else None))
    if role is not None:
        theme.set_role(widget, role)
    if name is not None:
        widget.setObjectName(name)
    if slot is not None:
        widget.clicked.connect(slot)
    return widget


class IconLabel(QWidget):
    """An icon drawn at paint time, so it follows the light or dark scheme."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._icon = QIcon()
        self._side = size
        self.setFixedSize(QSize(size, size))

    def set_icon(self, icon: QIcon) -> None:
        self._icon = icon
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self._icon.paint(painter, self.rect())
        painter.end()


class EmptyState(QWidget):
    """What an empty list or window shows instead of a blank: an icon, a line that
    says what is (not) here, one that says what to do, and maybe a button for it."""

    acted = Signal()

    def __init__(self, icon: str, *, action: str | None = None) -> None:
        super().__init__()
        self.setObjectName("empty_state")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE["xl"], SPACE["xxl"], SPACE["xl"], SPACE["xxl"])
        layout.setSpacing(SPACE["s"])
        layout.addStretch(1)
        self.picture = IconLabel(48)
        self.title = label("", "heading")
        self.title.setObjectName("empty_title")
        self.hint = label("", "muted")
        self.hint.setObjectName("empty_hint")
        for widget in (self.title, self.hint):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        self.action = QPushButton(action or "")
        self.action.setObjectName("empty_action")
        self.action.setVisible(action is not None)
        self.action.clicked.connect(self.acted)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.action)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self.set_icon(icon)

    def set_icon(self, name: str) -> None:
        self.picture.set_icon(theme.icon(name, theme.KIND_COLORS.get(name, "muted")))

    def show_text(self, title: str, hint: str = "", *, action: str | None = None) -> None:
        self.title.setText(title)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        if action is not None:
            self.action.setText(action)
        self.action.setVisible(bool(action) or (action is None and self.action.isVisibleTo(self)))


class Banner(QFrame):
    """A line across the top of a window: a problem and, when it can be fixed, the
    button that goes there."""

    acted = Signal()

    def __init__(self, *, action: str | None = None, name: str = "banner") -> None:
        super().__init__()
        self.setObjectName(name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(SPACE["m"], SPACE["s"], SPACE["s"], SPACE["s"])
        layout.setSpacing(SPACE["s"])
        self.picture = IconLabel(18)
        self.text = label()
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton(action or "")
        self.button.clicked.connect(self.acted)
        self.button.setVisible(action is not None)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_message(self, text: str, *, kind: str = "error", action: bool = False) -> None:
        """Show ``text``; ``kind`` is error, warning or info; ``action`` shows the button."""
        theme.set_role(self, f"banner-{kind}")
        tone = {"error": "danger", "warning": "warning"}.get(kind, "accent")
        self.picture.set_icon(theme.icon("warning" if kind != "info" else "info", tone))
        self.text.setText(text)
        self.button.setVisible(action)
        self.show()


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFixedHeight(1)
    theme.set_role(line, "separator")
    return line
