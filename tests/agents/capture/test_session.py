"""Which grabber and window probe run, chosen from the session; and no blind capture
where the windows cannot be identified."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from agents.capture.errors import NoDisplayError, WindowsUnknownError
from agents.capture.grabber import MssGrabber
from agents.capture.portal import PortalGrabber
from agents.capture.rules import ExclusionRules
from agents.capture.session import check_windows_known, open_backend
from agents.capture.wayland_windows import GnomeWindowsProbe, HyprlandProbe
from agents.capture.window import UnknownProbe, Window, X11Probe
from tests.fake_dbus import FakePortal, gnome_idle, window_calls
from tests.xvfb import xvfb


@pytest.fixture
def portal(bus_address: str, tmp_path: Path) -> Iterator[FakePortal]:
    fake = FakePortal(bus_address, tmp_path, lambda: Image.new("RGB", (1280, 720), "white"))
    try:
        yield fake
    finally:
        fake.close()


def wayland(bus_address: str, desktop: str, **extra: str) -> dict[str, str]:
    return {
        "WAYLAND_DISPLAY": "wayland-test",
        "XDG_SESSION_TYPE": "wayland",
        "XDG_CURRENT_DESKTOP": desktop,
        "DBUS_SESSION_BUS_ADDRESS": bus_address,
        **extra,
    }


def test_an_x11_session_uses_mss_and_the_x11_windows() -> None:
    with xvfb() as display:
        backend = open_backend({"DISPLAY": display}, "linux")
        try:
            assert backend.session == "x11"
            assert isinstance(backend.grabber, MssGrabber)
            assert isinstance(backend.probe, X11Probe)
            assert backend.windows_unknown == ""
            check_windows_known(backend, opted_in=False)  # nothing to refuse
        finally:
            backend.close()


def test_no_display_says_so_and_is_not_a_blind_capture() -> None:
    backend = open_backend({}, "linux")
    assert backend.session == "none" and "no display" in backend.reason
    check_windows_known(backend, opted_in=False)  # capture fails on its own: no display
    backend.close()


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_macos_and_windows_wait_for_the_users_choice(platform: str) -> None:
    backend = open_backend({}, platform)
    assert backend.windows_unknown and isinstance(backend.probe, UnknownProbe)
    with pytest.raises(WindowsUnknownError, match="capture_without_window_rules"):
        check_windows_known(backend, opted_in=False)
    check_windows_known(backend, opted_in=True)


def test_gnome_without_a_window_interface_grabs_through_the_portal_but_waits(
    portal: FakePortal, bus_address: str
) -> None:
    backend = open_backend(wayland(bus_address, "ubuntu:GNOME", DISPLAY=":0"), "linux")
    try:
        assert backend.session == "wayland"
        assert isinstance(backend.grabber, PortalGrabber)  # not mss, although DISPLAY is set
        assert "org.freedesktop.portal.Screenshot" in backend.screen
        assert "Window Calls" in backend.windows_unknown
        with pytest.raises(WindowsUnknownError, match="Capture is off: GNOME on Wayland"):
            check_windows_known(backend, opted_in=False)
        check_windows_known(backend, opted_in=True)
        assert backend.probe.active_window().app == "unknown"
    finally:
        backend.close()


def test_gnome_with_the_window_calls_extension_tells_the_windows(
    portal: FakePortal, bus_address: str
) -> None:
    windows = [
        {
            "id": 11,
            "wm_class": "org.keepassxc.KeePassXC",
            "wm_class_instance": "keepassxc",
            "title": "Passwords.kdbx",
            "pid": 4242,
            "focus": False,
            "in_current_workspace": True,
            "window_type": 0,
            "x": 1300,
            "y": 0,
            "width": 600,
            "height": 500,
        },
        {
            "id": 12,
            "wm_class": "firefox",
            "wm_class_instance": "Navigator",
            "title": "News — Mozilla Firefox",
            "pid": 4343,
            "focus": True,
            "in_current_workspace": True,
            "window_type": 0,
            "x": 0,
            "y": 0,
            "width": 1280,
            "height": 720,
        },
        {
            "id": 13,
            "wm_class": "gnome-shell",
            "title": "popup",
            "focus": False,
            "in_current_workspace": True,
            "window_type": 2,
            "x": 0,
            "y": 0,
            "width": 10,
            "height": 10,
        },
    ]
    shell = window_calls(bus_address, lambda: windows)
    idle = gnome_idle(bus_address, lambda: 75_000)
    backend = open_backend(wayland(bus_address, "GNOME"), "linux")
    try:
        assert isinstance(backend.probe, GnomeWindowsProbe) and not backend.windows_unknown
        active = backend.probe.active_window()
        assert active == Window(
            "firefox", "News — Mozilla Firefox", "Navigator", (0, 0, 1280, 720), 4343
        )
        visible = backend.probe.visible_windows()
        assert [w.title for w in visible] == ["Passwords.kdbx", "News — Mozilla Firefox"]
        assert backend.probe.idle_seconds() == 75.0
        assert backend.idle == "GNOME's idle monitor"
        rules = ExclusionRules(["keepassxc"], [])
        assert "excluded app" in (rules.reason(visible[0]) or "")
        [desktop] = backend.grabber.monitors()  # no layout known: the whole desktop,
        assert not desktop.placed  # where a private window cannot be blacked out
    finally:
        backend.close()
        shell.close()
        idle.close()


def test_a_wayland_session_without_a_portal_says_what_to_install(bus_address: str) -> None:
    backend = open_backend(wayland(bus_address, "sway"), "linux")
    try:
        assert backend.screen == "" and "xdg-desktop-portal" in backend.reason
        check_windows_known(backend, opted_in=False)  # the grab itself says why
        with pytest.raises(NoDisplayError, match="No screenshot portal"):
            backend.grabber.grab(backend.grabber.monitors()[0])
    finally:
        backend.close()


class FakeHyprland:
    """Hyprland's request socket: one JSON request per connection, as hyprctl -j sends."""

    def __init__(self, path: Path, answers: dict[str, Any]) -> None:
        self.answers = answers
        path.parent.mkdir(parents=True)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                request = conn.recv(1024).decode()
                conn.sendall(json.dumps(self.answers[request]).encode())

    def close(self) -> None:
        self.server.close()


def test_hyprland_tells_its_windows_and_monitors_over_its_socket(
    portal: FakePortal, bus_address: str, tmp_path: Path
) -> None:
    signature = "abc_123"
    editor = {
        "class": "code",
        "initialClass": "code",
        "title": "main.py",
        "pid": 7,
        "at": [0, 0],
        "size": [1280, 720],
        "mapped": True,
        "hidden": False,
        "workspace": {"id": 1},
        "focusHistoryID": 0,
    }
    hidden = {**editor, "title": "other desk", "workspace": {"id": 5}, "focusHistoryID": 1}
    fake = FakeHyprland(
        tmp_path / "run" / "hypr" / signature / ".socket.sock",
        {
            "j/activewindow": editor,
            "j/clients": [editor, hidden],
            "j/monitors": [
                {
                    "x": 1280,
                    "y": 0,
                    "width": 3840,
                    "height": 2160,
                    "scale": 2.0,
                    "transform": 0,
                    "activeWorkspace": {"id": 2},
                },
                {
                    "x": 0,
                    "y": 0,
                    "width": 1280,
                    "height": 720,
                    "scale": 1.0,
                    "transform": 0,
                    "activeWorkspace": {"id": 1},
                },
            ],
        },
    )
    env = wayland(
        bus_address,
        "Hyprland",
        HYPRLAND_INSTANCE_SIGNATURE=signature,
        XDG_RUNTIME_DIR=str(tmp_path / "run"),
    )
    backend = open_backend(env, "linux")
    try:
        assert isinstance(backend.probe, HyprlandProbe)
        assert backend.probe.active_window() == Window(
            "code", "main.py", "code", (0, 0, 1280, 720), 7
        )
        assert [w.title for w in backend.probe.visible_windows()] == ["main.py"]
        assert [(m.number, m.box) for m in backend.grabber.monitors()] == [
            (1, (0, 0, 1280, 720)),
            (2, (1280, 0, 3200, 1080)),
        ]
    finally:
        backend.close()
        fake.close()
