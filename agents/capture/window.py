"""What is on screen: the active window, the visible windows and the user's idle time.

On Linux X11 :class:`X11Probe` asks the X server through python-xlib: the
active window from ``_NET_ACTIVE_WINDOW`` (set by window managers), else the
input focus, else the topmost visible client; the application from
``WM_CLASS``; the title from ``_NET_WM_NAME`` (UTF-8), else ``WM_NAME``; idle
time from the MIT-SCREEN-SAVER extension when the server has it; the process
from ``_NET_WM_PID``. Visible windows come bottom to top (the stacking order),
each with its screen box (the window manager's frame included, from
``_NET_FRAME_EXTENTS``), menus and tooltips (override-redirect windows) on top:
capture blacks out mirix-app's own windows and excluded windows that are not
active, where they show (see :mod:`agents.capture.mask`).

Elsewhere :class:`UnknownProbe` answers "unknown" (Wayland compositors have their
own probes: :mod:`agents.capture.sway`, :mod:`agents.capture.wayland_windows`;
:mod:`agents.capture.session` chooses).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from agents.capture.errors import CaptureError

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Window:
    app: str
    """The application (WM_CLASS class, e.g. "KeePassXC"), or "unknown"."""
    title: str
    instance: str = ""
    """WM_CLASS instance (e.g. "keepassxc"); rules match either name."""
    box: tuple[int, int, int, int] | None = None
    """(left, top, right, bottom) on the screen, when known."""
    pid: int | None = None
    """The process showing it (X11: _NET_WM_PID), when known: mirix-app's own
    windows are found by it (:mod:`agents.capture.own`)."""


NO_WINDOW = Window(app=UNKNOWN, title="")


class WindowProbe(Protocol):
    def active_window(self) -> Window: ...

    def visible_windows(self) -> list[Window]:
        """The windows on screen, bottom to top, with their boxes and processes where
        known: capture blacks out the parts of private ones no window above covers."""
        ...

    def idle_seconds(self) -> float | None:
        """Seconds since the last keyboard or mouse input; None where unknown."""
        ...

    def close(self) -> None: ...


class UnknownProbe:
    """Where the active window cannot be read: "unknown", nothing visible known; the
    idle time from ``idle`` where the session tells it (a Wayland session over D-Bus)."""

    def __init__(self, idle: Callable[[], float | None] | None = None) -> None:
        self._idle = idle

    def active_window(self) -> Window:
        return NO_WINDOW

    def visible_windows(self) -> list[Window]:
        return []

    def idle_seconds(self) -> float | None:
        return self._idle() if self._idle is not None else None

    def close(self) -> None:
        pass


class X11Probe:
    def __init__(self, display: str | None = None) -> None:
        from Xlib import X
        from Xlib import display as xdisplay
        from Xlib import error as xerror

        self._X = X
        self._errors: tuple[type[BaseException], ...] = (
            xerror.XError,
            xerror.ConnectionClosedError,
        )
        try:
            self._d: Any = xdisplay.Display(display)
        except (xerror.DisplayError, xerror.ConnectionClosedError, OSError) as exc:
            raise CaptureError(f"Cannot read windows on display {display or ''}: {exc}.") from None
        self._root = self._d.screen().root
        atom = self._d.intern_atom
        self._active = atom("_NET_ACTIVE_WINDOW")
        self._clients = atom("_NET_CLIENT_LIST_STACKING")
        self._net_name = atom("_NET_WM_NAME")
        self._net_pid = atom("_NET_WM_PID")
        self._extents = atom("_NET_FRAME_EXTENTS")
        self._utf8 = atom("UTF8_STRING")
        self._idle = self._d.has_extension("MIT-SCREEN-SAVER")

    def active_window(self) -> Window:
        try:
            window = self._active_handle()
            return self._describe(window, with_box=True) if window is not None else NO_WINDOW
        except self._errors as exc:  # the window closed while we asked about it
            raise CaptureError(f"Cannot read the active window: {exc}.") from None

    def visible_windows(self) -> list[Window]:
        try:
            clients = self._viewable_clients()
            return [self._describe(w, with_box=True) for w in clients + self._popups(clients)]
        except self._errors as exc:
            raise CaptureError(f"Cannot list the visible windows: {exc}.") from None

    def idle_seconds(self) -> float | None:
        if not self._idle:
            return None
        try:
            return float(self._root.screensaver_query_info().idle) / 1000.0
        except self._errors:
            return None

    def close(self) -> None:
        self._d.close()

    # -- helpers -------------------------------------------------------------------------

    def _active_handle(self) -> Any:
        prop = self._root.get_full_property(self._active, self._X.AnyPropertyType)
        if prop is not None and prop.value is not None and len(prop.value) and prop.value[0]:
            return self._d.create_resource_object("window", int(prop.value[0]))
        focus = self._d.get_input_focus().focus
        if not isinstance(focus, int) and focus.id != self._root.id:
            client = self._client_of(focus)
            if client is not None:
                return client
        clients = self._viewable_clients()
        return clients[-1] if clients else None  # no window manager: the topmost one

    def _viewable_clients(self) -> list[Any]:
        """Viewable client windows, bottom to top."""
        prop = self._root.get_full_property(self._clients, self._X.AnyPropertyType)
        if prop is not None and prop.value is not None and len(prop.value):
            candidates = [self._d.create_resource_object("window", int(w)) for w in prop.value]
        else:
            candidates = [w for w in self._root.query_tree().children if w.get_wm_class()]
        return [w for w in candidates if w.get_attributes().map_state == self._X.IsViewable]

    def _popups(self, clients: list[Any]) -> list[Any]:
        """Menus, tooltips and other override-redirect windows on screen (no window
        manager lists them), bottom to top."""
        known = {w.id for w in clients}
        out = []
        for window in self._root.query_tree().children:
            if window.id in known:
                continue
            attributes = window.get_attributes()
            if attributes.override_redirect and attributes.map_state == self._X.IsViewable:
                out.append(window)
        return out

    def _client_of(self, window: Any) -> Any:
        """``window`` or its nearest ancestor that has a WM_CLASS (the application)."""
        while window is not None and window.id != self._root.id:
            if window.get_wm_class():
                return window
            window = window.query_tree().parent
        return None

    def _describe(self, window: Any, *, with_box: bool = False) -> Window:
        wm_class = window.get_wm_class() or ("", "")
        title = window.get_full_property(self._net_name, self._utf8)
        if title is not None and title.value:
            name = title.value.decode("utf-8", "replace") if isinstance(title.value, bytes) else ""
        else:
            raw = window.get_wm_name()
            name = raw.decode("latin-1") if isinstance(raw, bytes) else (raw or "")
        box = None
        if with_box:
            geometry = window.get_geometry()
            origin = self._root.translate_coords(window, 0, 0)
            left, right, top, bottom = self._cardinals(window, self._extents, 4) or (0, 0, 0, 0)
            box = (
                origin.x - left,
                origin.y - top,
                origin.x + geometry.width + right,
                origin.y + geometry.height + bottom,
            )
        pid = self._cardinals(window, self._net_pid, 1)
        return Window(
            app=wm_class[1] or wm_class[0] or UNKNOWN,
            title=name,
            instance=wm_class[0],
            box=box,
            pid=pid[0] if pid and pid[0] > 0 else None,
        )

    def _cardinals(self, window: Any, atom: int, count: int) -> tuple[int, ...] | None:
        """A CARDINAL[count] property of ``window``, or None when it is not set."""
        prop = window.get_full_property(atom, self._X.AnyPropertyType)
        if prop is None or prop.value is None or len(prop.value) < count:
            return None
        return tuple(int(v) for v in prop.value[:count])


def probe_for_platform(display: str | None = None) -> WindowProbe:
    """X11Probe on Linux with an X display and python-xlib, else UnknownProbe."""
    if not sys.platform.startswith("linux") or not (display or os.environ.get("DISPLAY")):
        return UnknownProbe()
    try:
        return X11Probe(display)
    except (ImportError, CaptureError):
        return UnknownProbe()
