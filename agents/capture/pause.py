"""The pause switch, kept as a small file in the data directory.

A file rather than a flag in memory: a pause set from the tray, or with
``mirix-app capture pause`` in another terminal, holds for every capture
process, and survives a crash or restart (a paused user stays unseen).
"""

from __future__ import annotations

import os
from pathlib import Path

PAUSE_FILE = "capture.paused"


class PauseFlag:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / PAUSE_FILE

    def reason(self) -> str | None:
        """Why capture is paused, or None when it is not."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            return f"the pause file {self.path} cannot be read ({exc.strerror})"
        return text or "paused"

    def set(self, reason: str = "paused by the user") -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.write(reason)
        tmp.replace(self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
