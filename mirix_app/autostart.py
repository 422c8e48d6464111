"""Start at login: the XDG autostart entry (``~/.config/autostart/mirix-app.desktop``),
written from the template in assets/ and removed when the setting is turned off."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

ENTRY_NAME = "mirix-app.desktop"
TEMPLATE = "mirix-app-autostart.desktop"


def autostart_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart"


def entry_path() -> Path:
    return autostart_dir() / ENTRY_NAME


def exec_line() -> str:
    """The command the login session runs: the installed script, else this Python."""
    script = shutil.which("mirix-app")
    if script:
        return shlex.quote(script)
    return f"{shlex.quote(sys.executable)} -m mirix_app"


def _template() -> str:
    checkout = Path(__file__).resolve().parents[1] / "assets" / TEMPLATE
    try:
        import importlib.resources

        packaged = importlib.resources.files("mirix_app.assets") / TEMPLATE
        if packaged.is_file():
            return packaged.read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pass
    return checkout.read_text(encoding="utf-8")


def set_start_at_login(enabled: bool) -> Path:
    """Write or remove the autostart entry; returns its path."""
    path = entry_path()
    if not enabled:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_template().replace("{exec}", exec_line()), encoding="utf-8")
    tmp.replace(path)
    return path
