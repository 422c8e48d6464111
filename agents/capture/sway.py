"""The windows of a sway session, read over sway's IPC socket ($SWAYSOCK).

The IPC (``man sway-ipc``) frames each message as the bytes ``i3-ipc``, the
payload's length and the message type (two native 32-bit integers), then the
payload; replies are JSON. :class:`SwayProbe` keeps one connection and asks
``GET_TREE`` for the windows: the focused one is the active window; every
window sway marks ``visible`` (on a shown workspace, not hidden in a tab or
stack) is visible, with its box in the layout's logical coordinates and its
process id. Native Wayland windows are named by their ``app_id``; XWayland
ones by their X11 class and instance. ``GET_OUTPUTS`` gives the monitors.

sway has no idle time to ask; the probe takes it from ``idle`` (a D-Bus idle
monitor where the session has one), else it is unknown.
"""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Callable, Iterator
from typing import Any

from agents.capture.errors import CaptureError
from agents.capture.grabber import Monitor
from agents.capture.window import NO_WINDOW, UNKNOWN, Window

MAGIC = b"i3-ipc"
HEADER = struct.Struct("=6sII")
GET_OUTPUTS = 3
GET_TREE = 4
TIMEOUT_S = 2.0


class SwayIpc:
    """Requests and replies on sway's IPC socket; reconnects once after a failure."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._sock: socket.socket | None = None

    def query(self, kind: int) -> Any:
        for attempt in (1, 2):
            try:
                return self._exchange(kind)
            except (OSError, ValueError) as exc:
                self.close()
                if attempt == 2:
                    raise CaptureError(
                        f"Cannot read sway's windows over its IPC socket {self.path}: {exc}."
                    ) from None
        raise AssertionError("unreachable")

    def _exchange(self, kind: int) -> Any:
        if self._sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(TIMEOUT_S)
            try:
                sock.connect(self.path)
            except OSError:
                sock.close()
                raise
            self._sock = sock
        self._sock.sendall(HEADER.pack(MAGIC, 0, kind))
        magic, length, _kind = HEADER.unpack(self._read(HEADER.size))
        if magic != MAGIC:
            raise ValueError("not an i3-ipc reply")
        return json.loads(self._read(length))

    def _read(self, size: int) -> bytes:
        assert self._sock is not None
        chunks, left = [], size
        while left:
            chunk = self._sock.recv(min(left, 1 << 16))
            if not chunk:
                raise ConnectionResetError("sway closed the IPC connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


class SwayProbe:
    """A WindowProbe for sway; ``idle`` answers idle_seconds (None: unknown)."""

    name = "sway IPC"

    def __init__(self, path: str, idle: Callable[[], float | None] | None = None) -> None:
        self.ipc = SwayIpc(path)
        self._idle = idle

    def active_window(self) -> Window:
        for node in _windows(self.ipc.query(GET_TREE)):
            if node.get("focused"):
                return _window(node)
        return NO_WINDOW  # an empty workspace has the focus

    def visible_windows(self) -> list[Window]:
        """Bottom to top: tiled windows, then floating ones."""
        return [_window(n) for n in _windows(self.ipc.query(GET_TREE)) if n.get("visible")]

    def outputs(self) -> list[Monitor]:
        """The active outputs, left to right, numbered from 1."""
        rects = sorted(
            (o["rect"]["x"], o["rect"]["y"], o["rect"]["width"], o["rect"]["height"])
            for o in self.ipc.query(GET_OUTPUTS)
            if o.get("active")
        )
        return [Monitor(n, *rect) for n, rect in enumerate(rects, start=1)]

    def idle_seconds(self) -> float | None:
        return self._idle() if self._idle is not None else None

    def close(self) -> None:
        self.ipc.close()


def _windows(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every window (a leaf with a client process) under ``node``, tiled ones before
    the floating ones of each workspace."""
    children = [*node.get("nodes", ()), *node.get("floating_nodes", ())]
    if not children and node.get("type") in ("con", "floating_con") and node.get("pid"):
        yield node
    for child in children:
        yield from _windows(child)


def _window(node: dict[str, Any]) -> Window:
    x11 = node.get("window_properties") or {}
    rect = node.get("rect") or {}
    box = None
    if rect:
        box = (rect["x"], rect["y"], rect["x"] + rect["width"], rect["y"] + rect["height"])
    return Window(
        app=node.get("app_id") or x11.get("class") or UNKNOWN,
        title=node.get("name") or "",
        instance=x11.get("instance") or "",
        box=box,
        pid=node.get("pid"),
    )
