"""The user's idle time in a Wayland session, over D-Bus.

An X11 program reads it from the X server (MIT-SCREEN-SAVER); a Wayland
client cannot. The session's own services answer it instead:

- GNOME: ``org.gnome.Mutter.IdleMonitor.GetIdletime`` (milliseconds);
- KDE Plasma and others implementing it:
  ``org.freedesktop.ScreenSaver.GetSessionIdleTime`` (milliseconds: KDE
  answers with KIdleTime's value, in ms).

The first that answers is kept; where none does (sway, Hyprland: their idle
protocol is a Wayland one), the idle time is unknown and capture backs off on
an unchanged screen only.
"""

from __future__ import annotations

from agents.capture.dbus import SessionBus
from agents.capture.errors import DBusError

SOURCES = (
    (
        "GNOME's idle monitor",
        ("org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core"),
        "org.gnome.Mutter.IdleMonitor",
        "GetIdletime",
    ),
    (
        "org.freedesktop.ScreenSaver",
        ("org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver"),
        "org.freedesktop.ScreenSaver",
        "GetSessionIdleTime",
    ),
)


class SessionIdle:
    """Callable: seconds since the last input, or None where the session cannot say."""

    def __init__(self, bus: SessionBus) -> None:
        self.bus = bus
        self._source: int | None = None
        self._looked = False

    @property
    def name(self) -> str | None:
        """Which service answers (None: none does); looks on first use."""
        self._find()
        return SOURCES[self._source][0] if self._source is not None else None

    def __call__(self) -> float | None:
        self._find()
        if self._source is None:
            return None
        try:
            return self._ask(self._source)
        except DBusError:
            return None  # the service went away for now: unknown, not "active"

    def _find(self) -> None:
        if self._looked:
            return
        self._looked = True
        for n in range(len(SOURCES)):
            try:
                self._ask(n)
            except DBusError:
                continue
            self._source = n
            return

    def _ask(self, n: int) -> float:
        _name, (destination, path), interface, method = SOURCES[n]
        # Never started by asking: a screen saver daemon merely installed stays off.
        (ms,) = self.bus.call(destination, path, interface, method, timeout_s=1.0, start=False)
        return float(ms) / 1000.0
