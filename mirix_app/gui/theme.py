"""The app's look, decided once: a light and a dark palette, one spacing scale and
one type scale, applied to the whole application (a Qt palette plus one style
sheet), and icons from assets/ drawn in the palette's colours.

Widgets never hard-code a colour: they take a *role* (``set_role(label,
"muted")``), which the style sheet below styles, or read :func:`colors` for the
few places that build rich text. The scheme follows the system's light or dark
setting (Qt's colour-scheme hint, updated live) unless the ``theme`` setting
chooses one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QByteArray, QObject, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from mirix_app.gui.assets import asset_path


@dataclass(frozen=True)
class Colors:
    window: str
    """The page behind everything."""
    surface: str
    """Inputs, lists, cards."""
    subtle: str
    """Panels set apart: the sidebar, a detail pane, hovered rows."""
    border: str
    text: str
    muted: str
    """Secondary text: captions, times, hints."""
    accent: str
    on_accent: str
    accent_soft: str
    """The selected row, a highlighted chip."""
    danger: str
    danger_soft: str
    success: str
    success_soft: str
    warning: str
    warning_soft: str
    mark: str
    """Behind the words of a query in a snippet."""
    bubble_user: str
    bubble_bot: str


LIGHT = Colors(
    window="#f6f7fb",
    surface="#ffffff",
    subtle="#eef0f6",
    border="#dde1ea",
    text="#1b2130",
    muted="#5f6878",
    accent="#4656d9",
    on_accent="#ffffff",
    accent_soft="#e3e7fc",
    danger="#b42318",
    danger_soft="#fde8e6",
    success="#17803d",
    success_soft="#e3f5e9",
    warning="#a15c07",
    warning_soft="#fdf0d5",
    mark="#fde68a",
    bubble_user="#4656d9",
    bubble_bot="#ffffff",
)
DARK = Colors(
    window="#15171d",
    surface="#1d2028",
    subtle="#242833",
    border="#343a48",
    text="#e6e8ee",
    muted="#9aa3b5",
    accent="#7d8bf5",
    on_accent="#0d1020",
    accent_soft="#2c3360",
    danger="#f28b82",
    danger_soft="#4a2320",
    success="#6fd08f",
    success_soft="#1d3a27",
    warning="#f0b762",
    warning_soft="#40311a",
    mark="#6b5410",
    bubble_user="#4c5bd4",
    bubble_bot="#242833",
)

SPACE = {"xs": 4, "s": 8, "m": 12, "l": 16, "xl": 24, "xxl": 32}
"""The only gaps and margins used, in pixels."""
TYPE_SCALE = {"caption": 0.88, "body": 1.0, "heading": 1.15, "title": 1.4, "display": 1.75}
"""Font sizes relative to the system's body font."""
RADIUS = 8

KIND_COLORS = {
    "core": "#8b5cf6",
    "episodic": "#3b82f6",
    "semantic": "#14b8a6",
    "procedural": "#f59e0b",
    "resource": "#6366f1",
    "knowledge_vault": "#ef4444",
    "message": "#22c55e",
    "screenshot": "#ec4899",
}
"""One hue per memory type and source, the same in both schemes (mid tones that
read on light and dark), for their icons and markers."""

_state: dict[str, Colors] = {"colors": LIGHT}
_CHOICES = ("system", "light", "dark")


def colors() -> Colors:
    """The palette in use now."""
    return _state["colors"]


def is_dark() -> bool:
    return colors() is DARK


def system_is_dark() -> bool:
    """The system's preference: Qt's colour-scheme hint, else the platform palette."""
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def apply(app: QApplication, choice: str = "system") -> Colors:
    """Style ``app`` in the scheme ``choice`` (system, light or dark) and return it."""
    if choice not in _CHOICES:
        choice = "system"
    dark = system_is_dark() if choice == "system" else choice == "dark"
    chosen = DARK if dark else LIGHT
    _state["colors"] = chosen
    style = QStyleFactory.create("Fusion")
    if style is not None:
        app.setStyle(style)
    app.setPalette(_palette(chosen))
    app.setStyleSheet(style_sheet(chosen, app.font().pointSizeF()))
    return chosen


def follow_system(app: QApplication, choice: str = "system") -> QObject:
    """Apply ``choice`` now and again whenever the system switches between light and
    dark (while ``choice`` is system); returns the hints object emitting the change."""
    apply(app, choice)
    hints = QGuiApplication.styleHints()
    app.setProperty("theme_choice", choice)

    def changed(_scheme: Qt.ColorScheme) -> None:
        current = str(app.property("theme_choice") or "system")
        if current == "system":
            apply(app, current)

    hints.colorSchemeChanged.connect(changed)
    return hints


def choose(app: QApplication, choice: str) -> None:
    """The ``theme`` setting changed: apply it and remember it for system changes."""
    app.setProperty("theme_choice", choice)
    apply(app, choice)


def _palette(c: Colors) -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, value in (
        (role.Window, c.window),
        (role.WindowText, c.text),
        (role.Base, c.surface),
        (role.AlternateBase, c.subtle),
        (role.Text, c.text),
        (role.Button, c.surface),
        (role.ButtonText, c.text),
        (role.Highlight, c.accent),
        (role.HighlightedText, c.on_accent),
        (role.ToolTipBase, c.surface),
        (role.ToolTipText, c.text),
        (role.PlaceholderText, c.muted),
        (role.Link, c.accent),
        (role.LinkVisited, c.accent),
        (role.Mid, c.border),
        (role.Midlight, c.subtle),
        (role.Light, c.surface),
        (role.Dark, c.border),
    ):
        p.setColor(r, QColor(value))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(disabled, r, QColor(c.muted))
    return p


def pt(size: float, step: str) -> str:
    return f"{size * TYPE_SCALE[step]:.1f}pt"


def style_sheet(c: Colors, base_pt: float) -> str:
    """Every widget's look, by class and by role (``set_role``)."""
    s, r = SPACE, RADIUS
    base = base_pt if base_pt > 0 else 10.0
    arrow_down = asset_path("chevron-down.svg").as_posix()
    arrow_up = asset_path("chevron-up.svg").as_posix()
    check_mark = asset_path("check-mark.svg").as_posix()
    return f"""
QWidget {{ color: {c.text}; }}
QMainWindow, QDialog {{ background: {c.window}; }}
QToolTip {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    padding: {s["xs"]}px {s["s"]}px; }}
QLabel[role="muted"] {{ color: {c.muted}; }}
QLabel[role="caption"] {{ color: {c.muted}; font-size: {pt(base, "caption")}; }}
QLabel[role="heading"] {{ font-size: {pt(base, "heading")}; font-weight: 600; }}
QLabel[role="title"] {{ font-size: {pt(base, "title")}; font-weight: 600; }}
QLabel[role="display"] {{ font-size: {pt(base, "display")}; font-weight: 600; }}
QLabel[role="error"] {{ color: {c.danger}; }}
QLabel[role="success"] {{ color: {c.success}; }}
QLabel[role="warning"] {{ color: {c.warning}; }}
QLabel[role="bubble-user"] {{ background: {c.bubble_user}; color: #ffffff;
    border-radius: 14px; padding: {s["s"]}px {s["m"]}px; }}
QLabel[role="bubble-bot"] {{ background: {c.bubble_bot}; color: {c.text};
    border: 1px solid {c.border}; border-radius: 14px; padding: {s["s"]}px {s["m"]}px; }}
QLabel[role="memories"] {{ background: {c.subtle}; border-radius: {r}px;
    padding: {s["s"]}px {s["m"]}px; font-size: {pt(base, "caption")}; }}
QFrame[role="banner-error"] {{ background: {c.danger_soft}; border-radius: {r}px; }}
QFrame[role="banner-warning"] {{ background: {c.warning_soft}; border-radius: {r}px; }}
QFrame[role="banner-info"] {{ background: {c.accent_soft}; border-radius: {r}px; }}
QFrame[role="card"] {{ background: {c.surface}; border: 1px solid {c.border};
    border-radius: {r}px; }}
QFrame[role="card"]:hover {{ border-color: {c.accent}; }}
QFrame[role="panel"] {{ background: {c.surface}; border: 1px solid {c.border};
    border-radius: {r}px; }}
QFrame[role="choice"] {{ background: {c.surface}; border: 1px solid {c.border};
    border-radius: {r}px; }}
QFrame[role="choice"][selected="true"] {{ border: 2px solid {c.accent};
    background: {c.accent_soft}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px;
    padding: 5px {s["s"]}px; selection-background-color: {c.accent};
    selection-color: {c.on_accent}; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QSpinBox:focus,
QDoubleSpinBox:focus, QComboBox:focus {{ border: 1px solid {c.accent}; }}
QLineEdit:read-only, QPlainTextEdit[readOnly="true"] {{ background: {c.subtle}; }}
QLineEdit:disabled, QPlainTextEdit:disabled, QSpinBox:disabled,
QDoubleSpinBox:disabled, QComboBox:disabled {{ color: {c.muted}; background: {c.subtle}; }}
QComboBox::drop-down {{ border: none; width: 24px; }}
QComboBox::down-arrow {{ image: url({arrow_down}); width: 14px; height: 14px; }}
QSpinBox, QDoubleSpinBox {{ padding-right: 24px; }}
QSpinBox::up-button, QDoubleSpinBox::up-button {{ subcontrol-origin: border;
    subcontrol-position: top right; width: 22px; border: none;
    border-left: 1px solid {c.border}; border-top-right-radius: 6px; }}
QSpinBox::down-button, QDoubleSpinBox::down-button {{ subcontrol-origin: border;
    subcontrol-position: bottom right; width: 22px; border: none;
    border-left: 1px solid {c.border}; border-bottom-right-radius: 6px; }}
QSpinBox::up-button:hover, QDoubleSpinBox::up-button:hover,
QSpinBox::down-button:hover, QDoubleSpinBox::down-button:hover {{ background: {c.subtle}; }}
QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{ image: url({arrow_up}); width: 12px;
    height: 12px; }}
QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{ image: url({arrow_down}); width: 12px;
    height: 12px; }}
QComboBox QAbstractItemView {{ background: {c.surface}; border: 1px solid {c.border};
    selection-background-color: {c.accent_soft}; selection-color: {c.text}; }}
QPushButton {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 6px;
    padding: 6px {s["m"]}px; }}
QPushButton:hover {{ border-color: {c.accent}; }}
QPushButton:pressed {{ background: {c.subtle}; }}
QPushButton:disabled {{ color: {c.muted}; background: {c.subtle}; }}
QPushButton[role="primary"] {{ background: {c.accent}; color: {c.on_accent};
    border: 1px solid {c.accent}; font-weight: 600; }}
QPushButton[role="primary"]:disabled {{ background: {c.border}; border-color: {c.border};
    color: {c.muted}; }}
QPushButton[role="danger"] {{ color: {c.danger}; }}
QPushButton[role="danger"]:hover {{ border-color: {c.danger}; }}
QPushButton[role="flat"] {{ border: none; background: transparent; padding: 4px 6px; }}
QPushButton[role="flat"]:hover {{ background: {c.subtle}; }}
QCheckBox, QRadioButton {{ spacing: {s["s"]}px; }}
QRadioButton::indicator {{ width: 12px; height: 12px; border-radius: 8px;
    border: 2px solid {c.muted}; background: {c.surface}; }}
QRadioButton::indicator:checked {{ border: 5px solid {c.accent}; width: 6px; height: 6px;
    background: {c.surface}; }}
QCheckBox::indicator {{ width: 14px; height: 14px; border-radius: 4px;
    border: 2px solid {c.muted}; background: {c.surface}; }}
QCheckBox::indicator:checked {{ border-color: {c.accent}; background: {c.accent};
    image: url({check_mark}); }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{ border-color: {c.border}; }}
QGroupBox {{ border: 1px solid {c.border}; border-radius: {r}px; margin-top: 1.4em;
    padding: {s["m"]}px {s["m"]}px {s["s"]}px {s["m"]}px; background: {c.surface}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: {s["m"]}px; padding: 0 4px;
    font-weight: 600; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ background: transparent; border: none; padding: {s["s"]}px {s["m"]}px;
    margin-right: 2px; color: {c.muted}; border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {c.text}; border-bottom: 2px solid {c.accent};
    font-weight: 600; }}
QTabBar::tab:hover {{ color: {c.text}; }}
QListWidget, QTreeWidget, QTableWidget {{ background: {c.surface}; border: 1px solid {c.border};
    border-radius: {r}px; outline: none; }}
QListWidget::item, QTreeWidget::item {{ padding: 5px 4px; }}
QListWidget::item:selected, QTreeWidget::item:selected {{ background: {c.accent_soft};
    color: {c.text}; }}
QListWidget::item:hover, QTreeWidget::item:hover {{ background: {c.subtle}; }}
QListWidget[role="sidebar"] {{ background: transparent; border: none; }}
QListWidget[role="sidebar"]::item {{ padding: 7px {s["s"]}px; border-radius: 6px;
    margin: 1px 0; }}
QHeaderView::section {{ background: {c.surface}; color: {c.muted}; border: none;
    border-bottom: 1px solid {c.border}; padding: 5px 6px; font-weight: 600; }}
QScrollArea {{ background: transparent; border: none; }}
QScrollArea > QWidget > QWidget {{ background: transparent; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar::handle:vertical {{ background: {c.border}; border-radius: 4px; min-height: 24px; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 2px; }}
QScrollBar::handle:horizontal {{ background: {c.border}; border-radius: 4px; min-width: 24px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QSplitter::handle {{ background: transparent; }}
QFrame[role="separator"] {{ background: {c.border}; border: none; }}
QMenu {{ background: {c.surface}; border: 1px solid {c.border}; padding: 4px; }}
QMenu::item {{ padding: 6px 24px 6px 10px; border-radius: 4px; }}
QMenu::item:selected {{ background: {c.accent_soft}; color: {c.text}; }}
QMenu::item:disabled {{ color: {c.muted}; }}
QMenu::separator {{ height: 1px; background: {c.border}; margin: 4px 6px; }}
QMenu::icon {{ padding-left: 6px; }}
"""


def set_role(widget: QWidget, role: str) -> None:
    """Give ``widget`` a role of the style sheet (again, when it changes)."""
    if widget.property("role") == role:
        return
    widget.setProperty("role", role)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def set_flag(widget: QWidget, name: str, on: bool) -> None:
    """A boolean property the style sheet reads (``selected``), re-polished."""
    widget.setProperty(name, "true" if on else "false")
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


# -- icons ---------------------------------------------------------------------------------


@cache
def _svg(name: str) -> str:
    return asset_path(f"icon-{name}.svg").read_text(encoding="utf-8")


def render_icon(name: str, colour: str, size: int) -> QPixmap:
    """The icon ``name`` from assets/ (``icon-NAME.svg``) drawn in ``colour``."""
    data = QByteArray(_svg(name).replace("currentColor", colour).encode("utf-8"))
    renderer = QSvgRenderer(data)
    pixmap = QPixmap(QSize(size, size))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


class _ThemedIconEngine(QIconEngine):
    """Draws an icon in the current palette at paint time, so icons follow a switch
    between light and dark without being set again."""

    def __init__(self, name: str, colour: str | None) -> None:
        super().__init__()
        self._name = name
        self._colour = colour

    def _tone(self, mode: QIcon.Mode) -> str:
        c = colors()
        if mode == QIcon.Mode.Disabled:
            return c.muted if self._colour is None else c.border
        if self._colour is None:
            return c.text
        if self._colour.startswith("#"):
            return self._colour
        return str(getattr(c, self._colour, c.text))

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
        side = min(rect.width(), rect.height())
        pixmap = render_icon(self._name, self._tone(mode), max(1, round(side * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        x = rect.x() + (rect.width() - side) // 2
        y = rect.y() + (rect.height() - side) // 2
        painter.drawPixmap(QPoint(x, y), pixmap)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        side = max(1, min(size.width(), size.height()))
        return render_icon(self._name, self._tone(mode), side)

    def clone(self) -> QIconEngine:
        return _ThemedIconEngine(self._name, self._colour)


def icon(name: str, colour: str | None = None) -> QIcon:
    """An icon from assets/ in the palette's text colour, or in ``colour``: a hex
    colour, or the name of a palette colour ("muted", "on_accent", "danger", ...)
    that follows the scheme."""
    return QIcon(_ThemedIconEngine(name, colour))


def kind_icon(type_name: str) -> QIcon:
    """A memory type's (or raw source's) icon in its own hue."""
    return icon(type_name, KIND_COLORS.get(type_name))
