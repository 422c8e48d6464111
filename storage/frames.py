"""Screenshot image files on disk, under the data directory, within a budget.

Files live in ``DATA_DIR/frames/YYYY-MM-DD/``; rows keep their paths relative to
the data directory, so a moved data directory keeps working. Every file is
written to a temporary name and renamed into place (a crash never leaves half
an image under a real name) and is readable by the user only.

Past the budget the oldest image files are deleted first; their rows (text,
embeddings, provenance) stay, with ``image_path`` and ``thumb_path`` set to NULL.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from storage.errors import DiskFullError

FRAMES_DIR = "frames"


@dataclass(frozen=True)
class FrameUsage:
    image_bytes: int
    images: int
    evicted: int
    """Rows whose image files were deleted to stay within the budget."""
    budget_bytes: int


class FrameRows(Protocol):
    """The screenshot rows of this device's frame files."""

    def oldest_with_images(self, limit: int) -> list[dict[str, Any]]:
        """``id``, ``image_path`` and ``thumb_path`` of the oldest screenshots taken
        here that still name an image or thumbnail file."""
        ...

    def forget_images(self, screenshot_id: str) -> None:
        """The row no longer names its image files (they are about to go)."""
        ...

    def image_counts(self) -> tuple[int, int]:
        """(screenshots taken here with their image kept, without it)."""
        ...


class FrameFiles:
    """The frames directory of one data directory."""

    def __init__(self, data_dir: Path, rows: FrameRows) -> None:
        self.data_dir = data_dir
        self.root = data_dir / FRAMES_DIR
        self._rows = rows
        self._lock = threading.Lock()
        self._used: int | None = None  # bytes, measured on first use

    def write(self, name: str, day: str, data: bytes) -> str:
        """Write ``data`` as ``frames/DAY/NAME`` atomically; return the relative path."""
        folder = self.root / day
        relative = f"{FRAMES_DIR}/{day}/{name}"
        target = self.data_dir / relative
        tmp = target.with_name(f".{name}.partial")
        try:
            for directory in (self.root, folder):
                directory.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DiskFullError(
                f"Cannot write the screenshot file {target}: {exc.strerror or exc}."
            ) from exc
        with self._lock:
            if self._used is not None:
                self._used += len(data)
        return relative

    def absolute(self, relative: str | None) -> Path | None:
        return self.data_dir / relative if relative else None

    def remove(self, relative: str | None) -> int:
        """Delete one file (missing is fine); return the bytes freed."""
        path = self.absolute(relative)
        if path is None:
            return 0
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            return 0
        with self._lock:
            if self._used is not None:
                self._used -= size
        return size

    def used_bytes(self) -> int:
        with self._lock:
            if self._used is None:
                self._used = _tree_size(self.root)
            return self._used

    def enforce_budget(self, budget_bytes: int) -> int:
        """Delete the oldest images until the files fit ``budget_bytes``; return how
        many screenshots lost their image files."""
        evicted = 0
        while self.used_bytes() > budget_bytes:
            rows = self._rows.oldest_with_images(64)
            if not rows:
                return evicted
            for row in rows:
                # The row first: a crash in between leaves an orphan file, never a
                # row that points to a missing file.
                self._rows.forget_images(row["id"])
                self.remove(row["image_path"])
                self.remove(row["thumb_path"])
                evicted += 1
                if self.used_bytes() <= budget_bytes:
                    return evicted
        return evicted

    def usage(self, budget_bytes: int) -> FrameUsage:
        images, evicted = self._rows.image_counts()
        return FrameUsage(self.used_bytes(), images, evicted, budget_bytes)


def _tree_size(root: Path) -> int:
    total = 0
    if not root.exists():
        return 0
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".partial"):
                continue
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                continue
    return total
