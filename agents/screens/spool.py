"""Captured frames waiting for OCR, on disk, so a crash does not lose them.

Live capture hands frames to a background OCR worker; until a frame is kept (its
WebP file and row written) it would otherwise live only in memory. The spool
holds each waiting frame as ``DATA_DIR/spool/NAME.png`` (fast lossless PNG,
about 30 ms and 180 KB for a 1920x1080 text screen) plus ``NAME.json`` (time,
monitor, app, title), both written to a temporary name and renamed, readable by
the user only. The pipeline removes them once the frame is kept, dropped or
refused; what is left after a crash is read again at the next capture start
(:meth:`ScreenPipeline.recover`). Each process spools into a folder named by its
process id, and only the folders of processes no longer running are recovered,
so the app and ``mirix-app capture run`` side by side never take each other's
frames. Only frames that passed the exclusion rules (private windows already
blacked out) reach the spool: it holds nothing that would not be stored anyway.
A forget removes the spooled frames of its time from every folder
(:meth:`Spool.forget`); the process that queued one then finds its file gone
and does not keep the frame.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from agents.screens.frame import Frame, FrameError, open_image

log = logging.getLogger(__name__)

SPOOL_DIR = "spool"
FrameMatch = Callable[[str, str], bool]
"""Picks frames by (time as recorded, application)."""


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / str(os.getpid())
        self._count = itertools.count()
        self._lock = threading.Lock()

    def put(self, frame: Frame) -> Path | None:
        """Write ``frame``; the path of its image, or None when it could not be
        written (a full disk: the frame still goes on, in memory only)."""
        with self._lock:
            name = f"{time.time_ns():020d}-{next(self._count):06d}"
        image = self.folder / f"{name}.png"
        meta = {
            "at": frame.at,
            "monitor": frame.monitor,
            "app": frame.app,
            "title": frame.title,
            "external_id": frame.external_id,
        }
        buffer = io.BytesIO()
        frame.image.save(buffer, format="PNG", compress_level=1)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write(image, buffer.getvalue())
            _write(image.with_suffix(".json"), json.dumps(meta).encode())
        except OSError as exc:
            log.warning("frame at %s not spooled (kept in memory only): %s", frame.at, exc)
            self.remove(image)
            return None
        return image

    def remove(self, image: Path | None) -> None:
        if image is None:
            return
        for path in (image.with_suffix(".json"), image):
            with contextlib.suppress(OSError):  # gone already, or never written
                path.unlink()
        if image.parent != self.folder:  # a stopped process's folder, once emptied
            with contextlib.suppress(OSError):
                image.parent.rmdir()

    def forget(self, match: FrameMatch) -> int:
        """Remove every spooled frame (of any process, running ones included) that
        ``match`` picks by its metadata; returns how many. A running process then
        finds its frame's file gone and does not keep it (:meth:`wanted`)."""
        if not self.root.is_dir():
            return 0
        removed = 0
        for meta_path in sorted(self.root.glob("*/*.json")):
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                picked = match(str(meta["at"]), str(meta["app"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # written meanwhile, or already gone
            if picked:
                self.remove(meta_path.with_suffix(".png"))
                removed += 1
        return removed

    @staticmethod
    def wanted(image: Path | None) -> bool:
        """Whether a frame spooled at ``image`` is still to be kept (not forgotten
        meanwhile); a frame that could not be spooled is."""
        return image is None or image.exists()

    def pending(self) -> list[tuple[Path, Frame]]:
        """The frames left behind by processes that are gone (this one included,
        for a reused process id), oldest first. One that cannot be read is removed
        (with a warning): it would fail the same way at every start."""
        if not self.root.is_dir():
            return []
        out: list[tuple[Path, Frame]] = []
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or (folder != self.folder and _running(folder.name)):
                continue
            out.extend(self._read(folder))
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty
        return sorted(out, key=lambda item: item[0].name)

    def _read(self, folder: Path) -> list[tuple[Path, Frame]]:
        out: list[tuple[Path, Frame]] = []
        for meta_path in sorted(folder.glob("*.json")):
            image_path = meta_path.with_suffix(".png")
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
                frame = Frame(
                    image=open_image(image_path),
                    at=str(meta["at"]),
                    monitor=None if meta["monitor"] is None else int(meta["monitor"]),
                    app=str(meta["app"]),
                    title=str(meta["title"]),
                    external_id=meta.get("external_id"),
                )
            except (OSError, ValueError, KeyError, TypeError, FrameError) as exc:
                log.warning("spooled frame %s is unreadable, removed: %s", image_path.name, exc)
                self.remove(image_path)
                continue
            out.append((image_path, frame))
        for path in folder.iterdir():  # an image whose metadata never came, a partial file
            if path.suffix != ".json" and not path.with_suffix(".json").exists():
                path.unlink(missing_ok=True)
        return out


def _running(name: str) -> bool:
    """Whether the process id ``name`` is a running process (not a number: no)."""
    if not name.isdigit():
        return False
    try:
        os.kill(int(name), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as out:
            out.write(data)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
