"""Where the data lives: one directory, one SQLite file, user-only permissions."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_HOME = "MIRIX_APP_HOME"
DB_FILENAME = "mirix.db"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: explicit argument, else $MIRIX_APP_HOME, else the
    platform's user data dir (``~/.local/share/mirix-app`` on Linux)."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("mirix-app", appauthor=False))


def ensure_data_dir(path: Path) -> Path:
    """Create the directory if needed and make it readable by the user only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
