"""What capture reports: one :class:`CaptureEvent` per monitor and grab (or per
state change), and a :class:`CaptureResult` per grab."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

EventKind = Literal[
    "kept",  # a frame went to the screen pipeline
    "duplicate",  # nothing new since the last kept frame
    "excluded",  # an excluded app or title active, or only private windows: nothing grabbed
    "skipped",  # not grabbed for another reason (the active window could not be read)
    "error",  # one monitor failed (e.g. unplugged); the others went on
    "paused",
    "resumed",
    "started",
    "stopped",
]


@dataclass(frozen=True)
class CaptureEvent:
    kind: EventKind
    at: str
    """ISO-8601 UTC time."""
    reason: str = ""
    """Why (not kept, paused ...); for a kept frame, what was blacked out of it."""
    monitor: int | None = None
    app: str = ""
    title: str = ""
    screenshot_id: str | None = None
    """Set when the frame was stored at once (capture once); live capture queues it."""
    keyframe: bool = False
    """Kept although unchanged, because capture_keyframe_s had passed."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        """One human-readable line."""
        where = f"monitor {self.monitor}  " if self.monitor is not None else ""
        window = " — ".join(p for p in (self.app, self.title) if p)
        if self.kind == "kept":
            what = "kept (keyframe)" if self.keyframe else "kept"
            stored = f"  {self.screenshot_id}" if self.screenshot_id else ""
            hidden = f"  ({self.reason})" if self.reason else ""
            return f"{self.at[:19]}  {where}{what}{stored}  {window}{hidden}".rstrip()
        detail = f": {self.reason}" if self.reason else ""
        return f"{self.at[:19]}  {where}{self.kind}{detail}"


@dataclass(frozen=True)
class CaptureResult:
    at: str
    events: tuple[CaptureEvent, ...]

    @property
    def kept(self) -> list[CaptureEvent]:
        return [e for e in self.events if e.kind == "kept"]

    @property
    def changed(self) -> bool:
        """Some monitor showed something new (a keyframe alone is no change)."""
        return any(e.kind == "kept" and not e.keyframe for e in self.events)

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "events": [e.to_dict() for e in self.events]}
