"""One grab of the screen: privacy checks, grab, dedup, hand-off.

:meth:`Capturer.grab_once` runs, in this order:

1. the pause flag and free disk space (too little: :class:`DiskFullError`);
2. the settings, when they changed (exclusions, timings and monitors apply
   from the next grab of a running capture);
3. the active and visible windows: while an excluded window is active nothing
   is grabbed; mirix-app's own windows and excluded windows that are not active
   are private (:mod:`agents.capture.mask`): a monitor where nothing else shows
   is not grabbed; when the windows cannot be read, nothing is grabbed either.
   With a grabber that takes the whole desktop at once (the Wayland portal),
   nothing is grabbed while an excluded window shows anywhere, nor while one
   of our windows shows on a monitor whose place is unknown (no layout: it
   cannot be blacked out);
4. the grab of each remaining monitor (in memory only);
5. the windows again: when an excluded window became active during the grab,
   every image of this grab is dropped unseen; a monitor where a private window
   moved, came or went meanwhile is dropped too; on the rest the private
   windows are blacked out, before dedup, OCR or storage see the frame;
6. a frame that is black all over (screen off, locked, or a Wayland session,
   where an X11 program sees only black) is not kept; in a Wayland session a
   grab that is black on every monitor pauses capture with a
   :class:`BlankScreenError` saying why;
7. dedup against the last kept frame of each monitor, with a forced keyframe
   every ``keyframe_s``; the rest go to the sink (the screen pipeline), which is
   the only place a frame is written.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from PIL import Image

from agents.capture.errors import (
    BlankScreenError,
    CaptureError,
    DiskFullError,
    MonitorGoneError,
)
from agents.capture.events import CaptureEvent, CaptureResult, EventKind
from agents.capture.grabber import Grabber, Monitor
from agents.capture.mask import Layer, MonitorView, black_out, view_of
from agents.capture.own import OwnWindows
from agents.capture.pause import PauseFlag
from agents.capture.rules import ExclusionRules
from agents.capture.scheduler import Scheduler
from agents.capture.window import NO_WINDOW, Window, WindowProbe
from agents.screens.dedup import Fingerprint, fingerprint, is_near_duplicate
from agents.screens.frame import Frame
from agents.settings import Settings, SettingsSource

MIN_FREE_BYTES = 500 * 1024**2
"""Below this much free space on the data disk, capture pauses."""
BLANK_LUMA = 3
"""A frame whose every 8x8 block averages at most this grey level is blank: one
glyph or cursor lifts its block by tens of levels."""


class FrameSink(Protocol):
    def __call__(self, frame: Frame) -> str | None:
        """Keep ``frame``; the new screenshot's id, or None when it was queued."""
        ...


Seed = Callable[[int], tuple[Fingerprint, float] | None]
"""The last kept frame of a monitor from an earlier run: (fingerprint, epoch seconds)."""


OWN_WINDOW = "mirix-app's own window"


def monitors_from_settings(settings: Settings) -> tuple[int, ...]:
    """``capture_monitors`` as numbers (the schema checked them when set)."""
    chosen: list[int] = []
    for item in settings.texts("capture_monitors"):
        if not item.isdigit() or int(item) < 1:
            raise CaptureError(
                f"capture_monitors: {item!r} is not a monitor number (1 is the first monitor)."
            )
        chosen.append(int(item))
    return tuple(chosen)


@dataclass
class _Grabbed:
    monitor: Monitor
    image: Image.Image
    window: Window
    view: MonitorView


class Capturer:
    def __init__(
        self,
        *,
        grabber: Grabber,
        probe: WindowProbe,
        rules: ExclusionRules,
        sink: FrameSink,
        scheduler: Scheduler,
        data_dir: Path,
        monitors: tuple[int, ...] = (),
        seed: Seed | None = None,
        clock: Callable[[], float] = time.time,
        free_bytes: Callable[[Path], int] | None = None,
        settings: SettingsSource | None = None,
        own: OwnWindows | None = None,
    ) -> None:
        self.grabber = grabber
        self.probe = probe
        self.rules = rules
        self.sink = sink
        self.scheduler = scheduler
        self.data_dir = data_dir
        self.chosen = monitors
        self.pause_flag = PauseFlag(data_dir)
        self.clock = clock
        self._seed = seed
        self._free_bytes = free_bytes or (lambda p: shutil.disk_usage(p).free)
        self._last: dict[int, Fingerprint] = {}
        self.last_idle_s: float | None = None
        self.own = own or OwnWindows()
        self._settings = settings
        self._applied: Settings | None = settings.current() if settings is not None else None

    def grab_once(self) -> CaptureResult:
        now = self.clock()
        at = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
        paused = self.pause_flag.reason()
        if paused is not None:
            return CaptureResult(at, (CaptureEvent("paused", at, reason=paused),))
        self._check_disk()
        self._follow_settings()
        self.last_idle_s = self.probe.idle_seconds()
        try:
            active = self.probe.active_window()
            layers = self._layers(active, self.probe.visible_windows())
        except CaptureError as exc:
            why = f"{exc} Nothing was grabbed, to be safe."
            return CaptureResult(at, (CaptureEvent("skipped", at, reason=why),))
        stop = self._stop_reason(active, layers)
        events: list[CaptureEvent] = []
        grabbed: list[_Grabbed] = []
        for monitor in self._monitors(events, at):
            window = _window_on(monitor, active, layers)
            if stop is not None:
                events.append(_event("excluded", at, monitor, window, reason=stop))
                continue
            if not monitor.placed and any(layer.private for layer in layers):
                private = next(layer.private for layer in layers if layer.private)
                why = (
                    f"{private} is on screen and this desktop's layout is unknown, so it "
                    "cannot be blacked out"
                )
                events.append(_event("excluded", at, monitor, window, reason=why))
                continue
            view = view_of(monitor, layers)
            if view.hidden is not None and not view.others:
                why = f"only private windows on monitor {monitor.number} ({', '.join(view.why)})"
                events.append(_event("excluded", at, monitor, window, reason=why))
                continue
            try:
                grabbed.append(_Grabbed(monitor, self.grabber.grab(monitor), window, view))
            except MonitorGoneError as exc:
                events.append(_event("error", at, monitor, window, reason=str(exc)))
        grabbed = self._recheck(grabbed, events, at)
        prints = [fingerprint(item.image) for item in grabbed]
        blank = [int(p.thumb.max()) <= BLANK_LUMA for p in prints]
        # An X11 grabber in a Wayland session sees black (the portal grabber does not).
        x11_in_wayland = not self.grabber.whole_desktop and os.environ.get("WAYLAND_DISPLAY")
        if grabbed and all(blank) and x11_in_wayland:
            raise BlankScreenError(
                "The screen grabs are entirely black: in a Wayland session X11 programs "
                'cannot see other windows. Log in with an X11 session (e.g. "GNOME on '
                'Xorg") to capture; capture retries by itself.'
            )
        for item, print_, is_blank in zip(grabbed, prints, blank, strict=True):
            if is_blank:
                why = "the screen is black (off, locked or a blank screen saver): not kept"
                events.append(_event("skipped", at, item.monitor, item.window, reason=why))
            else:
                events.append(self._decide(item, print_, at, now))
        return CaptureResult(at, tuple(events))

    def signals(self) -> tuple[tuple[str, str] | None, float | None]:
        """Cheap looks between grabs: (active app and title, idle seconds)."""
        try:
            window = self.probe.active_window()
            key: tuple[str, str] | None = (window.app, window.title)
        except CaptureError:
            key = None
        return key, self.probe.idle_seconds()

    def close(self) -> None:
        self.grabber.close()
        self.probe.close()

    # -- steps ---------------------------------------------------------------------------

    def _check_disk(self) -> None:
        free = self._free_bytes(self.data_dir)
        if free < MIN_FREE_BYTES:
            raise DiskFullError(
                f"The disk holding {self.data_dir} is full ({free // 1024**2} MB free, "
                f"capture needs {MIN_FREE_BYTES // 1024**2} MB): capture is paused until "
                "space is freed."
            )

    def _monitors(self, events: list[CaptureEvent], at: str) -> list[Monitor]:
        available = self.grabber.monitors()
        if not self.chosen:
            if not available:
                raise MonitorGoneError("No monitor is connected.")
            return available
        by_number = {m.number: m for m in available}
        missing = [n for n in self.chosen if n not in by_number]
        present = [by_number[n] for n in self.chosen if n in by_number]
        if missing:
            connected = ", ".join(str(m.number) for m in available) or "none"
            message = (
                f"Monitor {', '.join(map(str, missing))} of capture_monitors is not "
                f"connected (connected: {connected})."
            )
            if not present:
                raise MonitorGoneError(message)
            events.extend(CaptureEvent("error", at, reason=message, monitor=n) for n in missing)
        return present

    def _follow_settings(self) -> None:
        """Take up changed settings: exclusions, timings and monitors."""
        if self._settings is None:
            return
        current = self._settings.current()
        if current is self._applied:
            return
        self.rules = ExclusionRules.from_settings(current)
        self.scheduler.retime(
            interval_s=current.number("capture_interval_s"),
            max_interval_s=current.number("capture_max_interval_s"),
            keyframe_s=current.number("capture_keyframe_s"),
        )
        self.chosen = monitors_from_settings(current)
        self._applied = current

    def _layers(self, active: Window, visible: list[Window]) -> list[Layer]:
        """The windows bottom to top, each marked private or not (the active one on
        top when the probe did not list it)."""
        stack = list(visible)
        if active.box is not None and active not in stack:
            stack.append(active)
        return [Layer(w, self._private(w)) for w in stack]

    def _private(self, window: Window) -> str | None:
        if self.own.owns(window):
            return OWN_WINDOW
        return self.rules.reason(window)

    def _stop_reason(self, active: Window, layers: list[Layer]) -> str | None:
        """Why nothing may be grabbed now: an excluded window is active, or a private
        window's place is unknown; with a whole-desktop grabber (the Wayland portal,
        which writes the whole desktop to a file of its own before we read it), an
        excluded window shows anywhere."""
        if not self.own.owns(active):
            reason = self.rules.reason(active)
            if reason is not None:
                return reason
        for layer in layers:
            if layer.private and layer.window.box is None:
                return f"{layer.private} {layer.window.title!r} is on screen at an unknown place"
        if self.grabber.whole_desktop:
            for layer in layers:
                if layer.private and layer.private != OWN_WINDOW:
                    return f"{layer.private} (every monitor is grabbed at once here)"
        return None

    def _recheck(
        self, grabbed: list[_Grabbed], events: list[CaptureEvent], at: str
    ) -> list[_Grabbed]:
        """Drop the grab when an excluded window became active while it ran, and a
        monitor's frame when its private windows changed place; black out the rest."""
        if not grabbed:
            return grabbed
        try:
            after = self.probe.active_window()
            layers = self._layers(after, self.probe.visible_windows())
            reason = self._stop_reason(after, layers)
        except CaptureError as exc:
            reason = f"the windows could not be read after the grab ({exc})"
        if reason is not None:
            for item in grabbed:
                why = f"{reason} (during grab)"
                events.append(_event("excluded", at, item.monitor, item.window, reason=why))
            return []
        kept: list[_Grabbed] = []
        for item in grabbed:
            if view_of(item.monitor, layers).boxes != item.view.boxes:
                why = "a private window moved, opened or closed during the grab: not kept"
                events.append(_event("skipped", at, item.monitor, item.window, reason=why))
                continue
            if item.view.hidden is not None:
                item.image = black_out(item.image, item.view.hidden)
            kept.append(item)
        return kept

    def _decide(self, item: _Grabbed, print_: Fingerprint, at: str, now: float) -> CaptureEvent:
        number = item.monitor.number
        previous = self._last.get(number)
        if previous is None and self._seed is not None:
            seeded = self._seed(number)
            if seeded is not None:
                previous = seeded[0]
                self.scheduler.kept(number, seeded[1])
        keyframe = self.scheduler.keyframe_due(number, now)
        if is_near_duplicate(previous, print_):
            if not keyframe:
                why = "nothing new since the last kept frame"
                return _event("duplicate", at, item.monitor, item.window, reason=why)
        else:
            keyframe = False  # kept for being new, not for being due
        frame = Frame(
            image=item.image, at=at, monitor=number, app=item.window.app, title=item.window.title
        )
        screenshot_id = self.sink(frame)
        self._last[number] = print_
        self.scheduler.kept(number, now)
        hidden = f"blacked out: {', '.join(item.view.why)}" if item.view.hidden is not None else ""
        return _event(
            "kept",
            at,
            item.monitor,
            item.window,
            reason=hidden,
            screenshot_id=screenshot_id,
            keyframe=keyframe,
        )


def _event(
    kind: EventKind,
    at: str,
    monitor: Monitor,
    window: Window,
    *,
    reason: str = "",
    screenshot_id: str | None = None,
    keyframe: bool = False,
) -> CaptureEvent:
    return CaptureEvent(
        kind,
        at,
        reason=reason,
        monitor=monitor.number,
        app=window.app,
        title=window.title,
        screenshot_id=screenshot_id,
        keyframe=keyframe,
    )


def _window_on(monitor: Monitor, active: Window, layers: list[Layer]) -> Window:
    """The window a monitor's frame is labelled with: the active one when it is on
    that monitor (or its place is unknown), else the topmost window there; never a
    private one (its app and title are not stored either)."""
    private = {layer.window for layer in layers if layer.private}
    if active not in private and (active.box is None or _overlaps(active.box, monitor.box)):
        return active
    for layer in reversed(layers):
        box = layer.window.box
        if not layer.private and box is not None and _overlaps(box, monitor.box):
            return layer.window
    return active if active not in private else NO_WINDOW


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
