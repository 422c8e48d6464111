"""Grabbing the screen of a Wayland session through the desktop portal.

``org.freedesktop.portal.Screenshot`` with ``interactive`` false: the portal
asks the compositor for the whole desktop and answers with the URI of a PNG
file it wrote. No dialog for an application that is not sandboxed (GNOME, KDE
and wlroots portals alike); a sandboxed one (Flatpak) is asked once, and the
portal remembers the answer. The file is read and deleted at once: it is a
copy of the screen, and some portals write it where others can read it
(xdg-desktop-portal-wlr: ``/tmp/out.png``, mode 0644).

Why the Screenshot portal and not ScreenCast with PipeWire: a screencast
session asks the user to pick a screen (GNOME and KDE show that dialog at
every start unless the app keeps a restore token), needs a PipeWire client in
the process, and streams frames the capture throws away between its grabs
(one every 2 s at most). A screenshot costs more per frame (the portal encodes
a PNG, we decode it: ``tests/bench/capture_cost.py --grabber wayland``
measures it) but nothing between grabs, and asks nothing.

:class:`PortalGrabber` is a :class:`~agents.capture.grabber.Grabber`: the
monitors come from the compositor's layout where a window probe can read it
(sway), else the whole desktop is one monitor whose place is unknown. One
portal call serves every monitor of a grab (``whole_desktop``); with a layout,
private windows are blacked out of each monitor's part as on X11, without one
the capturer grabs nothing while a private window shows anywhere.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

from PIL import Image, UnidentifiedImageError

from agents.capture.dbus import NOT_THERE, SessionBus
from agents.capture.errors import CaptureError, DBusError, MonitorGoneError, NoDisplayError
from agents.capture.grabber import Monitor

PORTAL = ("org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop")
SCREENSHOT = "org.freedesktop.portal.Screenshot"
ANSWER_S = 30.0
"""How long to wait for the portal's answer (a first-time permission dialog included)."""
SHOT_REUSE_S = 1.0
"""A shot serves the other monitors of the same grab only while this fresh."""
WHOLE_DESKTOP = Monitor(1, -(2**15), -(2**15), 2**16, 2**16, placed=False)
"""Where no layout is known: monitor 1 is the whole desktop, whatever its size (its
box overlaps every window, so a private visible window always counts)."""

Layout = Callable[[], list[Monitor]]


class PortalScreenshot:
    """The Screenshot portal on a session bus."""

    def __init__(self, bus: SessionBus, *, answer_s: float = ANSWER_S) -> None:
        self.bus = bus
        self.answer_s = answer_s

    def version(self) -> int:
        """The portal's interface version; NoDisplayError when there is no Screenshot
        portal (this call also starts xdg-desktop-portal where D-Bus activates it)."""
        try:
            return int(self.bus.property(*PORTAL, SCREENSHOT, "version"))
        except DBusError as exc:
            raise NoDisplayError(_missing(exc)) from None

    def take(self) -> Image.Image:
        """The whole desktop now, as an RGB image."""
        try:
            code, results = self.bus.request(
                *PORTAL,
                SCREENSHOT,
                "Screenshot",
                "sa{sv}",
                ("",),
                {"interactive": ("b", False)},
                timeout_s=self.answer_s,
            )
        except DBusError as exc:
            if exc.name in NOT_THERE:
                raise NoDisplayError(_missing(exc)) from None
            raise CaptureError(f"The screenshot portal failed: {exc}") from None
        if code == 1:
            raise CaptureError(
                "The desktop portal refused the screenshot (permission denied, or the "
                "dialog was cancelled): allow screenshots for mirix-app in the desktop's "
                "privacy settings (GNOME: Settings > Apps; Flatpak: flatpak permission-set)."
            )
        uri = str(results.get("uri", ""))
        if code != 0 or not uri:
            raise CaptureError(f"The screenshot portal gave no screenshot (response {code}).")
        return _read_and_delete(uri)


class PortalGrabber:
    """A Grabber over :class:`PortalScreenshot`; ``layout`` gives the monitors in the
    compositor's (logical) coordinates, or None: the whole desktop is monitor 1."""

    whole_desktop = True

    def __init__(self, shooter: PortalScreenshot, layout: Layout | None = None) -> None:
        self.shooter = shooter
        self.layout = layout
        self._shot: Image.Image | None = None
        self._shot_at = 0.0
        self._served: set[int] = set()
        self._desktop: list[Monitor] = []

    def monitors(self, *, refresh: bool = False) -> list[Monitor]:
        if self.layout is None:
            return [WHOLE_DESKTOP]
        return self.layout()

    def grab(self, monitor: Monitor) -> Image.Image:
        stale = time.monotonic() - self._shot_at > SHOT_REUSE_S
        if self._shot is None or stale or monitor.number in self._served:
            self._desktop = self.monitors()
            self._shot = self.shooter.take()
            self._shot_at = time.monotonic()
            self._served = set()
        self._served.add(monitor.number)
        if self.layout is None:
            return self._shot
        if not any(m.box == monitor.box for m in self._desktop):
            raise MonitorGoneError(f"Monitor {monitor.number} is no longer connected.")
        return _crop(self._shot, monitor, self._desktop)

    def close(self) -> None:
        self._shot = None
        self.shooter.bus.close()


def _crop(shot: Image.Image, monitor: Monitor, desktop: list[Monitor]) -> Image.Image:
    """``monitor``'s part of a shot of the whole ``desktop`` (scaled: the portal's image
    is in pixels of the largest output scale, the layout in logical units)."""
    left = min(m.left for m in desktop)
    top = min(m.top for m in desktop)
    width = max(m.left + m.width for m in desktop) - left
    height = max(m.top + m.height for m in desktop) - top
    sx, sy = shot.width / width, shot.height / height
    box = (
        round((monitor.left - left) * sx),
        round((monitor.top - top) * sy),
        round((monitor.left - left + monitor.width) * sx),
        round((monitor.top - top + monitor.height) * sy),
    )
    return shot.crop(box)


def _read_and_delete(uri: str) -> Image.Image:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise CaptureError(f"The screenshot portal answered with {uri!r}, not a local file.")
    path = Path(unquote(parsed.path))
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise CaptureError(f"Cannot read the portal's screenshot {path}: {exc}.") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # a copy of the screen: it must not stay behind


def _missing(exc: DBusError) -> str:
    return (
        "No screenshot portal on this desktop's session bus: install xdg-desktop-portal "
        "and the one for your desktop (xdg-desktop-portal-gnome, -kde, or -wlr for sway "
        f"and other wlroots compositors) ({exc})."
    )
