"""The windows of Wayland desktops other than sway (see :mod:`agents.capture.sway`).

A Wayland client cannot see other clients' windows; only the compositor knows
them. Where it offers a way to ask, a probe uses it:

- **Hyprland**: its request socket (``$XDG_RUNTIME_DIR/hypr/$HYPRLAND_INSTANCE_SIGNATURE/
  .socket.sock``, ``/tmp/hypr/...`` before Hyprland 0.40), one JSON request per
  connection, as ``hyprctl -j`` sends them: ``j/activewindow``, ``j/clients``,
  ``j/monitors``.
- **GNOME**: the D-Bus interface of the "Window Calls" shell extension
  (``org.gnome.Shell.Extensions.Windows``, https://extensions.gnome.org/extension/4724/),
  which GNOME Shell does not offer by itself.

Neither is tested against the real compositor here (the tests speak each
protocol from a fake at the socket or on a private bus); sway is.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.capture.dbus import SessionBus
from agents.capture.errors import CaptureError, DBusError
from agents.capture.grabber import Monitor
from agents.capture.window import NO_WINDOW, UNKNOWN, Window

Idle = Callable[[], float | None]
TIMEOUT_S = 2.0


def hyprland_socket(env: dict[str, str]) -> Path | None:
    signature = env.get("HYPRLAND_INSTANCE_SIGNATURE", "")
    if not signature:
        return None
    runtime = env.get("XDG_RUNTIME_DIR", "")
    for base in ([Path(runtime) / "hypr"] if runtime else []) + [Path("/tmp/hypr")]:
        path = base / signature / ".socket.sock"
        if path.exists():
            return path
    return None


class HyprlandProbe:
    name = "Hyprland IPC"

    def __init__(self, path: Path, idle: Idle | None = None) -> None:
        self.path = path
        self._idle = idle

    def request(self, command: str) -> Any:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(TIMEOUT_S)
                sock.connect(str(self.path))
                sock.sendall(command.encode())
                chunks = []
                while chunk := sock.recv(1 << 16):
                    chunks.append(chunk)
            return json.loads(b"".join(chunks) or b"null")
        except (OSError, ValueError) as exc:
            raise CaptureError(
                f"Cannot read Hyprland's windows over its socket {self.path}: {exc}."
            ) from None

    def active_window(self) -> Window:
        client = self.request("j/activewindow")
        if not isinstance(client, dict) or not (client.get("class") or client.get("title")):
            return NO_WINDOW
        return _hyprland_window(client)

    def visible_windows(self) -> list[Window]:
        shown = {m["activeWorkspace"]["id"] for m in self.request("j/monitors")}
        clients = [
            c
            for c in self.request("j/clients")
            if c.get("mapped", True)
            and not c.get("hidden")
            and (c.get("workspace") or {}).get("id") in shown
        ]
        # focusHistoryID 0 is the window focused last: the topmost one comes last
        clients.sort(key=lambda c: -int(c.get("focusHistoryID", 0)))
        return [_hyprland_window(c) for c in clients]

    def outputs(self) -> list[Monitor]:
        rects = []
        for m in self.request("j/monitors"):
            scale = float(m.get("scale") or 1.0)
            width, height = m["width"], m["height"]
            if int(m.get("transform", 0)) % 2:  # turned by 90 or 270 degrees
                width, height = height, width
            rects.append((m["x"], m["y"], round(width / scale), round(height / scale)))
        return [Monitor(n, *rect) for n, rect in enumerate(sorted(rects), start=1)]

    def idle_seconds(self) -> float | None:
        return self._idle() if self._idle is not None else None

    def close(self) -> None:
        pass  # a connection per request


def _hyprland_window(client: dict[str, Any]) -> Window:
    (x, y), (w, h) = client.get("at", (0, 0)), client.get("size", (0, 0))
    return Window(
        app=client.get("class") or client.get("initialClass") or UNKNOWN,
        title=client.get("title") or "",
        instance=client.get("initialClass") or "",
        box=(x, y, x + w, y + h) if w and h else None,
        pid=client.get("pid"),
    )


WINDOW_CALLS = (
    "org.gnome.Shell",
    "/org/gnome/Shell/Extensions/Windows",
    "org.gnome.Shell.Extensions.Windows",
)
NORMAL_WINDOW = 0
"""Meta.WindowType.NORMAL: dialogs, menus and the like are left out."""


class GnomeWindowsProbe:
    """GNOME Shell with the Window Calls extension. Where List leaves out a window's
    title or frame (the extension's releases differ), they are asked per window."""

    name = "GNOME Shell's Window Calls extension"

    def __init__(self, bus: SessionBus, idle: Idle | None = None) -> None:
        self.bus = bus
        self._idle = idle

    def _list(self) -> list[dict[str, Any]]:
        try:
            (text,) = self.bus.call(*WINDOW_CALLS, "List")
            windows = json.loads(text)
        except (DBusError, ValueError) as exc:
            raise CaptureError(f"Cannot read GNOME's windows: {exc}") from None
        return [w for w in windows if w.get("window_type", NORMAL_WINDOW) == NORMAL_WINDOW]

    def active_window(self) -> Window:
        for entry in self._list():
            if entry.get("focus"):
                return self._window(entry)
        return NO_WINDOW

    def visible_windows(self) -> list[Window]:
        return [self._window(e) for e in self._list() if e.get("in_current_workspace", True)]

    def idle_seconds(self) -> float | None:
        return self._idle() if self._idle is not None else None

    def close(self) -> None:
        self.bus.close()

    def _window(self, entry: dict[str, Any]) -> Window:
        try:
            if "title" not in entry:
                (entry["title"],) = self.bus.call(*WINDOW_CALLS, "GetTitle", "u", (entry["id"],))
            if "width" not in entry:
                (frame,) = self.bus.call(*WINDOW_CALLS, "GetFrameRect", "u", (entry["id"],))
                entry.update(json.loads(frame))
        except (DBusError, ValueError) as exc:
            raise CaptureError(f"Cannot read a GNOME window: {exc}") from None
        x, y, w, h = (int(entry.get(k) or 0) for k in ("x", "y", "width", "height"))
        return Window(
            app=entry.get("wm_class") or UNKNOWN,
            title=entry.get("title") or "",
            instance=entry.get("wm_class_instance") or "",
            box=(x, y, x + w, y + h) if w and h else None,
            pid=entry.get("pid"),
        )


def gnome_windows_available(bus: SessionBus) -> bool:
    try:
        bus.call(*WINDOW_CALLS, "List", start=False)
    except DBusError:
        return False
    return True
