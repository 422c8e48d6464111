"""What was on screen and what was said between two times, from the stored rows
alone (no model): windows shown, chat messages and the events the memory holds,
in time order.

Frames are many and repeat each other, so consecutive frames of one window
(app and title) are one entry, with the time span they cover, how many frames
it holds and only the lines of text that window had not shown before in the
timeline (as the memory agents' observations carry them). A window seen again
after a break of more than ``SCREEN_GAP_S`` starts a new entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agents.privacy import redact
from storage import InvalidInputError, Storage
from storage.kinds import parse_time
from storage.timeline import Span

SCREEN_GAP_S = 600.0
ENTRY_CHARS = 600
"""Most characters of text one entry carries."""
MAX_FRAMES = 20_000
"""Frames read for one timeline (several days of capture)."""
IDS_SHOWN = 5


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    """``screen`` (a window shown), ``message`` (said in a chat) or ``event`` (an
    episodic memory)."""
    start: str
    end: str
    who: str
    """The app (screen), the speaker or role (message), the actor (event)."""
    title: str
    """The window title (screen), the session (message), the event type (event)."""
    text: str
    ids: tuple[str, ...]
    """The rows it stands for (a screen entry: its first frames)."""
    frames: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "who": self.who,
            "title": self.title,
            "text": self.text,
            "ids": list(self.ids),
        }
        if self.kind == "screen":
            out["frames"] = self.frames
        return out


@dataclass(frozen=True)
class Timeline:
    since: str
    until: str
    entries: tuple[TimelineEntry, ...]
    apps: tuple[dict[str, Any], ...]
    """Per application: frames kept, first and last time, time on screen (seconds
    covered by its entries), most first."""
    counts: dict[str, int] = field(default_factory=dict)
    """Screenshots, messages and events in the range."""
    truncated: bool = False
    """More entries than the limit: the first ones are shown."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "until": self.until,
            "counts": self.counts,
            "apps": list(self.apps),
            "entries": [e.to_dict() for e in self.entries],
            "truncated": self.truncated,
        }


def build_timeline(
    storage: Storage, since: str, until: str, *, limit: int = 200, redacted: bool = False
) -> Timeline:
    """The timeline from ``since`` to ``until`` (ISO-8601), at most ``limit`` entries;
    ``redacted``: window titles, screen text and messages redacted as for a provider."""
    if limit < 1:
        raise InvalidInputError("The timeline limit must be at least 1.")
    span = Span(parse_time(since, what="since"), parse_time(until, what="until"))
    if span.since > span.until:
        raise InvalidInputError("since is after until.")
    clean: Callable[[str], str] = (lambda t: redact(t).text) if redacted else (lambda t: t)
    stored = storage.between(span, frames=MAX_FRAMES, limit=limit + 1)
    frames, messages, events = stored["screenshots"], stored["messages"], stored["events"]
    counts = stored["counts"]
    screens = screen_entries(frames, clean)
    entries = sorted(
        [*screens, *(_message(r, clean) for r in messages), *(_event(r, clean) for r in events)],
        key=lambda e: (e.start, e.kind),
    )
    return Timeline(
        since=span.since,
        until=span.until,
        entries=tuple(entries[:limit]),
        apps=tuple(app_summary(screens)),
        counts=counts,
        truncated=len(entries) > limit or len(frames) == MAX_FRAMES,
    )


def screen_entries(frames: Sequence[Any], clean: Callable[[str], str]) -> list[TimelineEntry]:
    """Consecutive frames of one window as one entry each, with their new lines."""
    out: list[TimelineEntry] = []
    seen: dict[tuple[str, str], set[str]] = {}
    group: list[Any] = []
    fresh: list[str] = []

    def close() -> None:
        if group:
            out.append(_screen(group, fresh, clean))

    for row in frames:
        window = (row["app"] or "unknown", row["window_title"] or "")
        if group and (_window(group[-1]) != window or _gap(group[-1]["at"], row["at"])):
            close()
            group, fresh = [], []
        group.append(row)
        shown = seen.setdefault(window, set())
        for line in str(row["ocr_text"] or "").splitlines():
            if line.strip() and line not in shown:
                shown.add(line)
                fresh.append(line)
    close()
    return out


def app_summary(screens: Sequence[TimelineEntry]) -> list[dict[str, Any]]:
    apps: dict[str, dict[str, Any]] = {}
    for entry in screens:
        app = apps.setdefault(
            entry.who, {"app": entry.who, "frames": 0, "first": entry.start, "seconds": 0.0}
        )
        app["frames"] += entry.frames
        app["last"] = entry.end
        app["seconds"] += _seconds(entry.start, entry.end)
    ordered = sorted(apps.values(), key=lambda a: (-a["seconds"], -a["frames"], a["app"]))
    return [{**a, "seconds": round(a["seconds"])} for a in ordered]


def _screen(group: list[Any], fresh: list[str], clean: Callable[[str], str]) -> TimelineEntry:
    # The whole text is redacted before it is cut, so no secret is split in two.
    text = clean("\n".join(fresh))
    if len(text) > ENTRY_CHARS:
        text = text[: ENTRY_CHARS - 1].rstrip() + "…"
    app, title = _window(group[0])
    return TimelineEntry(
        kind="screen",
        start=group[0]["at"],
        end=group[-1]["at"],
        who=app,
        title=clean(title),
        text=text,
        ids=tuple(r["id"] for r in group[:IDS_SHOWN]),
        frames=len(group),
    )


def _message(row: Any, clean: Callable[[str], str]) -> TimelineEntry:
    return TimelineEntry(
        kind="message",
        start=row["at"],
        end=row["at"],
        who=row["speaker"] or row["role"],
        title=row["session"] or "",
        text=_cut(clean(str(row["text"]))),
        ids=(row["id"],),
    )


def _event(row: Any, clean: Callable[[str], str]) -> TimelineEntry:
    return TimelineEntry(
        kind="event",
        start=row["at"],
        end=row["at"],
        who=row["actor"] or "",
        title=row["event_type"] or "",
        text=_cut(clean(str(row["summary"]))),
        ids=(row["id"],),
    )


def _cut(text: str) -> str:
    return text if len(text) <= ENTRY_CHARS else text[: ENTRY_CHARS - 1].rstrip() + "…"


def _window(row: Any) -> tuple[str, str]:
    return row["app"] or "unknown", row["window_title"] or ""


def _seconds(start: str, end: str) -> float:
    return (_moment(end) - _moment(start)).total_seconds()


def _gap(before: str, after: str) -> bool:
    return _seconds(before, after) > SCREEN_GAP_S


def _moment(stored: str) -> datetime:
    return datetime.fromisoformat(stored.replace("Z", "+00:00"))
