"""The portal grabber and the D-Bus side of a Wayland session, against fake desktop
services on a private bus (a real dbus-daemon; our jeepney calls are real)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from agents.capture.dbus import SessionBus
from agents.capture.errors import CaptureError, DBusError, NoDisplayError
from agents.capture.grabber import Monitor
from agents.capture.idle import SessionIdle
from agents.capture.portal import WHOLE_DESKTOP, PortalGrabber, PortalScreenshot
from agents.capture.window import Window
from tests.agents.capture.test_capturer import kinds, make
from tests.fake_dbus import FakePortal, FakeService, gnome_idle, private_bus
from tests.fake_screen import FakeScreen


def two_monitors() -> Image.Image:
    """A 1280x720 and an 800x600 monitor side by side, each its own colour."""
    image = Image.new("RGB", (2080, 720), "black")
    image.paste(Image.new("RGB", (1280, 720), (200, 30, 30)), (0, 0))
    image.paste(Image.new("RGB", (800, 600), (30, 30, 200)), (1280, 0))
    return image


@pytest.fixture
def portal(bus_address: str, tmp_path: Path) -> Iterator[FakePortal]:
    fake = FakePortal(bus_address, tmp_path, two_monitors)
    try:
        yield fake
    finally:
        fake.close()


def test_a_grab_reads_the_portals_file_and_deletes_it(portal: FakePortal, bus_address: str) -> None:
    grabber = PortalGrabber(PortalScreenshot(SessionBus(bus_address)))
    try:
        assert grabber.shooter.version() == 2
        [monitor] = grabber.monitors()
        assert monitor == WHOLE_DESKTOP
        image = grabber.grab(monitor)
        assert image.size == (2080, 720) and image.mode == "RGB"
        assert portal.files and not any(p.exists() for p in portal.files)  # no copy stays
    finally:
        grabber.close()


def test_one_portal_call_serves_every_monitor_of_a_grab(
    portal: FakePortal, bus_address: str
) -> None:
    layout = [Monitor(1, 0, 0, 1280, 720), Monitor(2, 1280, 0, 800, 600)]
    grabber = PortalGrabber(PortalScreenshot(SessionBus(bus_address)), lambda: list(layout))
    try:
        left, right = (grabber.grab(m) for m in grabber.monitors())
        assert len(portal.files) == 1
        assert left.size == (1280, 720) and right.size == (800, 600)
        assert tuple(np.asarray(left)[360, 640]) == (200, 30, 30)
        assert tuple(np.asarray(right)[300, 400]) == (30, 30, 200)
        grabber.grab(layout[0])  # the next grab of monitor 1: a new screenshot
        assert len(portal.files) == 2
    finally:
        grabber.close()


def test_a_shot_at_twice_the_scale_is_cut_along_the_layout(
    bus_address: str, tmp_path: Path
) -> None:
    # The portal's image is in pixels of the largest output scale; the layout is logical.
    fake = FakePortal(bus_address, tmp_path, lambda: two_monitors().resize((4160, 1440)))
    layout = [Monitor(1, 0, 0, 1280, 720), Monitor(2, 1280, 0, 800, 600)]
    grabber = PortalGrabber(PortalScreenshot(SessionBus(bus_address)), lambda: list(layout))
    try:
        right = grabber.grab(layout[1])
        assert right.size == (1600, 1200)
        assert tuple(np.asarray(right)[600, 800]) == (30, 30, 200)
    finally:
        grabber.close()
        fake.close()


def test_a_refused_screenshot_is_a_clear_error(portal: FakePortal, bus_address: str) -> None:
    portal.response = 1
    shooter = PortalScreenshot(SessionBus(bus_address))
    with pytest.raises(CaptureError, match="refused the screenshot"):
        shooter.take()
    shooter.bus.close()


def test_no_portal_on_the_bus_is_a_clear_error(bus_address: str) -> None:
    shooter = PortalScreenshot(SessionBus(bus_address))
    with pytest.raises(NoDisplayError, match=r"No screenshot portal.*xdg-desktop-portal"):
        shooter.version()
    with pytest.raises(NoDisplayError, match="No screenshot portal"):
        shooter.take()
    shooter.bus.close()


def test_no_session_bus_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(DBusError, match="no D-Bus session bus"):
        SessionBus().call("org.example", "/", "org.example", "Ping")


def test_idle_time_comes_from_gnomes_idle_monitor(bus_address: str) -> None:
    idle_ms = [90_000]
    service = gnome_idle(bus_address, lambda: idle_ms[0])
    idle = SessionIdle(SessionBus(bus_address))
    try:
        assert idle.name == "GNOME's idle monitor"
        assert idle() == 90.0
        idle_ms[0] = 1_500
        assert idle() == 1.5
    finally:
        service.close()
    assert idle() is None  # the service went away: unknown, not active
    idle.bus.close()


def test_no_idle_service_means_the_idle_time_is_unknown(bus_address: str) -> None:
    idle = SessionIdle(SessionBus(bus_address))
    assert idle.name is None and idle() is None
    idle.bus.close()


def test_with_a_whole_desktop_grabber_an_excluded_window_anywhere_stops_the_grab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")  # black frames are no X11 hint here
    vault = Window("KeePassXC", "db", box=(1400, 100, 1900, 500))
    editor = Window("Code", "main.py", box=(0, 0, 1280, 720))
    screen = FakeScreen(
        monitors_=[Monitor(1, 0, 0, 1280, 720), Monitor(2, 1280, 0, 800, 600)],
        active=editor,
        visible=[vault, editor],
        whole_desktop=True,
    )
    capturer, kept, _ = make(tmp_path, screen)
    result = capturer.grab_once()
    assert kinds(result) == ["excluded", "excluded"]
    assert "every monitor is grabbed at once" in result.events[0].reason
    assert screen.grabs == [] and kept == []  # the portal was not even asked
    screen.visible = [editor]
    assert kinds(capturer.grab_once()) == ["kept", "kept"]


def test_with_a_whole_desktop_grabber_our_own_window_is_blacked_out_where_the_layout_is_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    ours = Window("mirix-app", "Chat", box=(100, 100, 500, 400), pid=os.getpid())
    editor = Window("Code", "main.py", box=(0, 0, 1280, 720))
    screen = FakeScreen(
        monitors_=[Monitor(1, 0, 0, 1280, 720)],
        images={1: Image.new("RGB", (1280, 720), "white")},
        active=editor,
        visible=[editor, ours],
        whole_desktop=True,
    )
    capturer, kept, _ = make(tmp_path, screen)
    assert kinds(capturer.grab_once()) == ["kept"]
    hidden = np.asarray(kept[0].image)[100:400, 100:500]
    assert hidden.max() == 0  # blacked out, the rest of the desktop kept
    assert np.asarray(kept[0].image)[500:700, 600:1200].min() == 255


def test_with_no_layout_our_own_window_on_screen_stops_the_grab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    ours = Window("mirix-app", "Chat", box=(100, 100, 500, 400), pid=os.getpid())
    editor = Window("Code", "main.py", box=(0, 0, 1280, 720))
    screen = FakeScreen(
        monitors_=[WHOLE_DESKTOP], active=editor, visible=[editor, ours], whole_desktop=True
    )
    capturer, kept, _ = make(tmp_path, screen)
    result = capturer.grab_once()
    assert kinds(result) == ["excluded"] and "layout is unknown" in result.events[0].reason
    assert screen.grabs == [] and kept == []
    screen.visible = [editor]
    screen.images = {1: Image.new("RGB", (1280, 720), "white")}
    assert kinds(capturer.grab_once()) == ["kept"]


def test_idle_time_comes_from_org_freedesktop_screensaver_elsewhere(bus_address: str) -> None:
    # KDE Plasma answers GetSessionIdleTime in milliseconds
    interface = "org.freedesktop.ScreenSaver"
    method = (interface, "GetSessionIdleTime")
    service = FakeService(bus_address, interface, {method: lambda _m: ("u", (65_000,))})
    idle = SessionIdle(SessionBus(bus_address))
    try:
        assert idle.name == "org.freedesktop.ScreenSaver"
        assert idle() == 65.0
    finally:
        service.close()
        idle.bus.close()


def test_asking_the_idle_time_starts_no_screen_saver(tmp_path: Path) -> None:
    started = tmp_path / "started"
    with private_bus({"org.freedesktop.ScreenSaver": f"touch {started}"}) as address:
        idle = SessionIdle(SessionBus(address))
        assert idle() is None and idle.name is None
        assert not started.exists()
        with pytest.raises(DBusError):  # an ordinary call would have started it
            idle.bus.call(
                "org.freedesktop.ScreenSaver",
                "/org/freedesktop/ScreenSaver",
                "org.freedesktop.ScreenSaver",
                "GetSessionIdleTime",
                timeout_s=1.0,
            )
        assert started.exists()
        idle.bus.close()
