"""Screen observations for the memory agents: every ``batch_items`` kept frames,
or when the oldest waiting frame is ``batch_minutes`` old, one batch goes to the
meta-agent as compact text (never as raw images).

Compact: consecutive frames of one window mostly repeat each other, so an
observation carries only the lines its window did not show earlier in the
batch. Which frames still wait is read from the database (frames after the
last one a batch holds), so a crash or restart loses no frame's turn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from storage import Storage

OBSERVATION_CHARS = 1500
"""Most characters of new screen text one observation carries."""
UNCHANGED = "(no new text on this screen)"


def screen_observations(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One observation per screenshot row: time, app, window title and new text."""
    shown: dict[tuple[str, str], set[str]] = {}
    items: list[dict[str, Any]] = []
    for row in rows:
        app, title = row["app"] or "unknown", row["window_title"] or ""
        seen = shown.setdefault((app, title), set())
        fresh = [
            ln for ln in str(row["ocr_text"] or "").splitlines() if ln.strip() and ln not in seen
        ]
        seen.update(fresh)
        text = "\n".join(fresh)
        if len(text) > OBSERVATION_CHARS:
            text = text[: OBSERVATION_CHARS - 1].rstrip() + "…"
        item = {"kind": "screenshot", "source_id": row["id"], "at": row["at"], "app": app}
        if title:
            item["title"] = title
        item["text"] = text or UNCHANGED
        items.append(item)
    return items


class ScreenBatcher:
    """Queues batches of kept frames for the memory agents."""

    def __init__(self, storage: Storage, *, batch_items: int, batch_minutes: float) -> None:
        self.storage = storage
        self.batch_items = max(1, batch_items)
        self.batch_seconds = batch_minutes * 60.0
        self._lock = threading.Lock()
        self._after: int | None = None
        self.queued = 0
        """Batches queued since this batcher was made."""
        self._waiting_since: float | None = None

    def poll(self, *, force: bool = False) -> int:
        """Queue the batches that are due; ``force`` queues what waits, however little.
        Returns the number of batches queued."""
        queued = 0
        with self._lock:
            while True:
                self._after, rows = self.storage.screenshots.unbatched(
                    self._after, self.batch_items
                )
                if not rows:
                    self._waiting_since = None
                    return queued
                if self._waiting_since is None:
                    self._waiting_since = time.monotonic()
                waited = time.monotonic() - self._waiting_since
                if len(rows) < self.batch_items and not force and waited < self.batch_seconds:
                    return queued
                items = screen_observations(rows)
                self.storage.batches.enqueue(items)
                self._after = int(rows[-1]["rowid"])
                self._waiting_since = None
                queued += 1
                self.queued += 1
