"""Errors of live screen capture (all are the environment's fault, shown as one line).

::

    CaptureError            base (an AgentError)
    ├── NoDisplayError      there is no screen to capture (no X display, Wayland only)
    ├── MonitorGoneError    a chosen monitor is not connected (unplugged mid-capture)
    ├── BlankScreenError    every grab is black in a Wayland session (X11 sees nothing)
    ├── DiskFullError       too little free disk space to keep frames
    ├── DBusError           a D-Bus call failed (no session bus, no such service, no answer)
    └── WindowsUnknownError the windows shown cannot be identified here, so the exclusion
                            rules cannot apply: capture waits for the user's explicit choice
"""

from __future__ import annotations

from agents.errors import AgentError


class CaptureError(AgentError):
    pass


class NoDisplayError(CaptureError):
    pass


class MonitorGoneError(CaptureError):
    pass


class BlankScreenError(CaptureError):
    pass


class DiskFullError(CaptureError):
    pass


class DBusError(CaptureError):
    def __init__(self, message: str, *, name: str = "") -> None:
        super().__init__(message)
        self.name = name
        """The D-Bus error name (e.g. org.freedesktop.DBus.Error.ServiceUnknown), or ""."""


class WindowsUnknownError(CaptureError):
    pass
