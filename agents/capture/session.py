"""Which grabber and window probe capture uses, chosen at start from the session.

=========================  ==========================  ======================================
session                    screen                      windows (app, title, box)
=========================  ==========================  ======================================
X11 ($DISPLAY)             mss (X11 GetImage)          X11 properties (python-xlib)
Wayland ($WAYLAND_DISPLAY  the desktop portal          sway IPC, Hyprland IPC, GNOME with the
or XDG_SESSION_TYPE)       (Screenshot, D-Bus)         Window Calls extension; else none
macOS, Windows             mss                         none
no display                 none                        none
=========================  ==========================  ======================================

X11 programs see only black where Wayland windows are (XWayland), so a Wayland
session always grabs through the portal. Where the windows cannot be read,
:attr:`CaptureBackend.windows_unknown` says why: the exclusion rules cannot
apply there, and capture waits for the user's explicit choice
(:func:`check_windows_known`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.capture.dbus import SessionBus
from agents.capture.errors import CaptureError, NoDisplayError, WindowsUnknownError
from agents.capture.grabber import Grabber, Monitor, MssGrabber
from agents.capture.idle import SessionIdle
from agents.capture.portal import PortalGrabber, PortalScreenshot
from agents.capture.sway import SwayProbe
from agents.capture.wayland_windows import (
    GnomeWindowsProbe,
    HyprlandProbe,
    gnome_windows_available,
    hyprland_socket,
)
from agents.capture.window import UnknownProbe, WindowProbe, X11Probe

OPT_IN_SETTING = "capture_without_window_rules"


@dataclass
class CaptureBackend:
    session: str
    """x11, wayland, macos, windows or none."""
    desktop: str
    """$XDG_CURRENT_DESKTOP (e.g. sway, GNOME, KDE), or the platform."""
    grabber: Grabber
    probe: WindowProbe
    screen: str
    """How the screen is grabbed, in words ("" where it cannot be)."""
    windows: str
    """How the windows are read, in words ("" where they cannot be)."""
    reason: str
    """Why this way, or why capture cannot run."""
    windows_unknown: str = ""
    """Why the windows shown cannot be identified ("" where they can)."""
    idle: str = ""
    closers: list[Callable[[], None]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "desktop": self.desktop,
            "screen": self.screen or None,
            "windows": self.windows or None,
            "idle": self.idle or None,
            "reason": self.reason,
            "windows_unknown": self.windows_unknown or None,
        }

    def close(self) -> None:
        try:
            self.grabber.close()
        finally:
            self.probe.close()
            for close in self.closers:
                close()


def open_backend(
    env: Mapping[str, str] | None = None, platform: str | None = None
) -> CaptureBackend:
    """Look at the session and build its grabber and probe (connections open lazily)."""
    env = dict(os.environ if env is None else env)
    platform = platform or sys.platform
    desktop = env.get("XDG_CURRENT_DESKTOP", "")
    if platform == "darwin" or platform.startswith("win"):
        name = "macOS" if platform == "darwin" else "Windows"
        return CaptureBackend(
            session="macos" if platform == "darwin" else "windows",
            desktop=name,
            grabber=MssGrabber(),
            probe=UnknownProbe(),
            screen="mss",
            windows="",
            reason=f"{name}: mss grabs the screen",
            windows_unknown=f"mirix-app does not read the active window on {name} yet",
        )
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return _wayland(env, desktop)
    if env.get("DISPLAY"):
        try:
            probe: WindowProbe = X11Probe(env["DISPLAY"])
            windows, unknown = "X11 window properties (WM_CLASS, _NET_WM_NAME)", ""
        except (ImportError, CaptureError) as exc:
            probe, windows, unknown = UnknownProbe(), "", f"the X11 windows cannot be read: {exc}"
        return CaptureBackend(
            session="x11",
            desktop=desktop,
            grabber=MssGrabber(env["DISPLAY"]),
            probe=probe,
            screen="mss (X11)",
            windows=windows,
            reason=f"an X11 session (DISPLAY={env['DISPLAY']})",
            windows_unknown=unknown,
            idle="X11 MIT-SCREEN-SAVER" if isinstance(probe, X11Probe) else "",
        )
    return CaptureBackend(
        session="none",
        desktop=desktop,
        grabber=MssGrabber(),  # says why at the first grab: $DISPLAY is not set
        probe=UnknownProbe(),
        screen="",
        windows="",
        reason="no display: neither $DISPLAY nor $WAYLAND_DISPLAY is set",
    )


def _wayland(env: dict[str, str], desktop: str) -> CaptureBackend:
    bus = SessionBus(env.get("DBUS_SESSION_BUS_ADDRESS") or None)
    idle = SessionIdle(bus)
    probe, layout = _wayland_probe(env, desktop, idle)
    shooter = PortalScreenshot(bus)
    try:
        version = shooter.version()
        screen = f"the desktop portal (org.freedesktop.portal.Screenshot, version {version})"
        reason = (
            f"a Wayland session ({desktop or 'unknown compositor'}): X11 programs see only "
            "black there, so the screen is grabbed through the desktop portal"
        )
    except NoDisplayError as exc:
        screen, reason = "", str(exc)  # the grabber says so again at each try
    windows = str(getattr(probe, "name", ""))
    return CaptureBackend(
        session="wayland",
        desktop=desktop,
        grabber=PortalGrabber(shooter, layout),
        probe=probe,
        screen=screen,
        windows=windows,
        reason=reason,
        windows_unknown="" if windows else _why_windows_unknown(desktop),
        idle=idle.name or "",
        closers=[bus.close],
    )


def _wayland_probe(
    env: dict[str, str], desktop: str, idle: SessionIdle
) -> tuple[WindowProbe, Callable[[], list[Monitor]] | None]:
    """The compositor's own way to tell its windows, where there is one we read."""
    sway = env.get("SWAYSOCK", "")
    if sway:
        probe = SwayProbe(sway, idle)
        try:
            probe.outputs()
            return probe, probe.outputs
        except CaptureError:
            probe.close()
    hypr = hyprland_socket(env)
    if hypr is not None:
        hyprland = HyprlandProbe(hypr, idle)
        try:
            hyprland.outputs()
            return hyprland, hyprland.outputs
        except CaptureError:
            pass
    if "gnome" in desktop.lower() and gnome_windows_available(idle.bus):
        return GnomeWindowsProbe(idle.bus, idle), None
    return UnknownProbe(idle), None


def _why_windows_unknown(desktop: str) -> str:
    name = desktop.lower()
    if "gnome" in name:
        return (
            "GNOME on Wayland tells no other program which window is shown, unless the "
            '"Window Calls" shell extension is installed '
            "(https://extensions.gnome.org/extension/4724/window-calls/)"
        )
    if "kde" in name:
        return "on KDE Plasma's Wayland session mirix-app does not read KWin's windows yet"
    return (
        f"this Wayland compositor ({desktop or 'unknown'}) offers mirix-app no way to read "
        "its windows (read: sway, Hyprland, GNOME with the Window Calls extension)"
    )


def check_windows_known(backend: CaptureBackend, opted_in: bool) -> None:
    """No blind capture: where the windows cannot be identified (and the screen could be
    grabbed), raise WindowsUnknownError unless the user chose to capture anyway."""
    if not backend.windows_unknown or opted_in or not backend.screen:
        return
    raise WindowsUnknownError(blind_message(backend.windows_unknown))


def blind_message(why: str) -> str:
    return (
        f"Capture is off: {why}, so the rules that keep applications and window titles "
        "out of capture (password managers, private windows) cannot apply here. To "
        "capture anyway with those rules off (screen text is still redacted): "
        f"mirix-app config set {OPT_IN_SETTING} true, or 'Capture anyway' in the tray menu."
    )
