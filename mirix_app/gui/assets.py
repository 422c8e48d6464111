"""Icons and other files from assets/, in a source checkout or an installed wheel
(where pyproject maps assets/ to the package ``mirix_app.assets``)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from PySide6.QtGui import QIcon

_CHECKOUT = Path(__file__).resolve().parents[2] / "assets"


def asset_path(name: str) -> Path:
    """The file ``name`` from assets/; FileNotFoundError names it when missing."""
    candidates = [_CHECKOUT / name]
    try:
        packaged = importlib.resources.files("mirix_app.assets") / name
        candidates.insert(0, Path(str(packaged)))
    except ModuleNotFoundError:
        pass
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"The app's asset {name} is missing (looked in {candidates}).")


def icon(name: str) -> QIcon:
    return QIcon(str(asset_path(name)))


def app_icon() -> QIcon:
    return icon("mirix-app.svg")


TRAY_ICONS = {
    "capturing": "tray-capturing.svg",
    "paused": "tray-paused.svg",
    "error": "tray-error.svg",
    "stopped": "tray-stopped.svg",
}


def tray_icon(state: str) -> QIcon:
    return icon(TRAY_ICONS.get(state, TRAY_ICONS["stopped"]))
