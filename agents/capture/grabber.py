"""Grabbing monitors with mss.

:class:`Grabber` is the boundary the capture loop talks to, so tests can hand
in a fake display. :class:`MssGrabber` opens mss lazily in the thread that
uses it (an mss handle must stay in its own thread) and re-reads the monitor
layout after a failed grab, so an unplugged monitor becomes a
:class:`MonitorGoneError` naming it, and no display at all a
:class:`NoDisplayError`, instead of a crash.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image

from agents.capture.errors import CaptureError, MonitorGoneError, NoDisplayError


@dataclass(frozen=True)
class Monitor:
    number: int
    """1 is the first monitor (mss numbering; 0, all monitors as one, is not used)."""
    left: int
    top: int
    width: int
    height: int
    placed: bool = True
    """False where the monitor's place on the desktop is unknown (a whole-desktop
    grab with no layout): windows cannot be blacked out on it, so capture grabs
    nothing while a private window shows."""

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.left, self.top, self.left + self.width, self.top + self.height)


class Grabber(Protocol):
    whole_desktop: bool
    """True when one grab takes every monitor at once (the Wayland portal): its
    monitors are cut from that one image (X11's black-screen hint does not apply)."""

    def monitors(self, *, refresh: bool = False) -> list[Monitor]: ...

    def grab(self, monitor: Monitor) -> Image.Image: ...

    def close(self) -> None: ...


class MssGrabber:
    whole_desktop = False

    def __init__(self, display: str | None = None) -> None:
        self.display = display
        self._mss: Any = None
        self._monitors: list[Monitor] | None = None

    def _handle(self) -> Any:
        if self._mss is None:
            import mss  # deferred: importing it is cheap, connecting is not

            if sys.platform.startswith("linux") and not (self.display or os.environ.get("DISPLAY")):
                hint = " (a Wayland session)" if os.environ.get("WAYLAND_DISPLAY") else ""
                raise NoDisplayError(
                    f"No X11 display to capture{hint}: $DISPLAY is not set. Screen capture "
                    "needs an X11 session (or XWayland with DISPLAY set)."
                )
            try:
                self._mss = mss.MSS(display=self.display) if self.display else mss.MSS()
            except Exception as exc:  # mss raises its own XError / ScreenShotError
                name = self.display or os.environ.get("DISPLAY", "")
                raise NoDisplayError(f"Cannot open the display {name}: {exc}.") from None
        return self._mss

    def monitors(self, *, refresh: bool = False) -> list[Monitor]:
        if refresh:
            self.close()  # mss caches the layout; a new handle reads it again
        if self._monitors is None:
            raw = self._handle().monitors
            self._monitors = [
                Monitor(n, int(m["left"]), int(m["top"]), int(m["width"]), int(m["height"]))
                for n, m in enumerate(raw[1:], start=1)
            ]
        return list(self._monitors)

    def grab(self, monitor: Monitor) -> Image.Image:
        region = {
            "left": monitor.left,
            "top": monitor.top,
            "width": monitor.width,
            "height": monitor.height,
        }
        try:
            shot = self._handle().grab(region)
        except NoDisplayError:
            raise
        except Exception as exc:
            # The layout may have changed under us (a monitor unplugged): look again.
            try:
                current = self.monitors(refresh=True)
            except NoDisplayError:
                raise NoDisplayError(f"The display went away during capture ({exc}).") from None
            if not any(m.box == monitor.box for m in current):
                raise MonitorGoneError(
                    f"Monitor {monitor.number} ({monitor.width}x{monitor.height}) is no longer "
                    f"connected; {_layout(current)}."
                ) from None
            raise CaptureError(f"Cannot grab monitor {monitor.number}: {exc}.") from None
        return Image.frombuffer("RGB", shot.size, shot.bgra, "raw", "BGRX", 0, 1)

    def close(self) -> None:
        if self._mss is not None:
            try:
                self._mss.close()
            finally:
                self._mss = None
                self._monitors = None


def _layout(monitors: list[Monitor]) -> str:
    if not monitors:
        return "no monitor is connected"
    return "connected: " + ", ".join(f"{m.number} ({m.width}x{m.height})" for m in monitors)
