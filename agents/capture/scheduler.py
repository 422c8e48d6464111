"""When to grab the screen next, and when a frame is kept whatever dedup says.

The capture grabs every ``interval_s`` while the screen changes. Each grab that
shows nothing new (or finds the user idle) doubles the wait, up to
``max_interval_s``; the first change brings it back to ``interval_s`` at once.
While it waits longer than ``interval_s`` the loop still looks every
``interval_s`` at cheap signals (keyboard or mouse input, another active
window): any of them ends the wait (:meth:`Scheduler.wake`). A monitor's frame
is kept at least every ``keyframe_s`` even when it looks unchanged.

Everything takes ``now`` (seconds, any monotonic clock) so tests need no sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

IDLE_AFTER_S = 60.0
"""No keyboard or mouse input for this long counts as idle."""


@dataclass
class Scheduler:
    interval_s: float
    max_interval_s: float
    keyframe_s: float
    idle_after_s: float = IDLE_AFTER_S
    delay_s: float = 0.0
    """The wait after the last grab."""
    last_grab: float | None = None
    _last_kept: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.max_interval_s = max(self.max_interval_s, self.interval_s)
        self.delay_s = self.interval_s

    def retime(self, *, interval_s: float, max_interval_s: float, keyframe_s: float) -> None:
        """New timings (the settings changed), from the next wait on."""
        self.interval_s, self.keyframe_s = interval_s, keyframe_s
        self.max_interval_s = max(max_interval_s, interval_s)
        self.delay_s = min(max(self.delay_s, self.interval_s), self.max_interval_s)

    def keyframe_due(self, monitor: int, now: float) -> bool:
        last = self._last_kept.get(monitor)
        return last is None or now - last >= self.keyframe_s

    def kept(self, monitor: int, now: float) -> None:
        self._last_kept[monitor] = now

    def grabbed(self, now: float, *, changed: bool, idle_s: float | None) -> float:
        """Record a grab; returns the wait before the next one."""
        self.last_grab = now
        if changed and not self.is_idle(idle_s):
            self.delay_s = self.interval_s
        else:
            self.delay_s = min(self.max_interval_s, self.delay_s * 2)
        return self.delay_s

    def is_idle(self, idle_s: float | None) -> bool:
        return idle_s is not None and idle_s >= self.idle_after_s

    def due_at(self) -> float:
        """When the next grab is due (the earliest of the wait and a keyframe)."""
        if self.last_grab is None:
            return float("-inf")
        due = self.last_grab + self.delay_s
        for last in self._last_kept.values():
            due = min(due, last + self.keyframe_s)
        return due

    def wake(self, now: float, *, idle_s: float | None, window_changed: bool) -> bool:
        """True when a signal seen while waiting calls for a grab before :meth:`due_at`:
        input since the last grab, or another active window. It also resets the wait."""
        if self.last_grab is None:
            return True
        input_since = idle_s is not None and idle_s < now - self.last_grab
        if input_since or window_changed:
            self.delay_s = self.interval_s
            return True
        return False
