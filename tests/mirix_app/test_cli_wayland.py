"""`mirix-app capture` in a real Wayland session: headless sway, the desktop portal
(xdg-desktop-portal-wlr) on a private session bus, foot windows with known text.
The screen comes through the portal, the window's app and title from sway's IPC;
an excluded app is stored nowhere; without a way to read the windows, capture
waits for the user's choice. The last test needs no compositor: a fake portal on a
private bus stands for a desktop whose windows cannot be read (KDE's, here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_dbus import FakePortal, private_bus
from tests.fake_screen import screen_with
from tests.fakes import table_counts
from tests.mirix_app.clirun import fails, ok, ok_json, run
from tests.mirix_app.test_cli_capture import frame_files
from tests.wayland import SwaySession, sway

SESSION_VARS = (
    "WAYLAND_DISPLAY",
    "SWAYSOCK",
    "XDG_CURRENT_DESKTOP",
    "XDG_SESSION_TYPE",
    "DBUS_SESSION_BUS_ADDRESS",
)


@pytest.fixture(scope="module")
def desktop() -> Iterator[SwaySession]:
    with sway() as session:
        yield session


@pytest.fixture
def in_session(desktop: SwaySession, monkeypatch: pytest.MonkeyPatch) -> SwaySession:
    """This process (the CLI runs in it) as a program of the sway session."""
    monkeypatch.delenv("DISPLAY", raising=False)
    for name in SESSION_VARS:
        monkeypatch.setenv(name, desktop.env[name])
    return desktop


def test_capture_once_keeps_the_window_through_the_portal(
    in_session: SwaySession, data_dir: Path
) -> None:
    with in_session.window(
        "The purple elephant dances at noon", app_id="zoo.notes", title="Zoo notes"
    ):
        report = ok_json(data_dir, "capture", "once")
    [event] = report["events"]
    assert event["kind"] == "kept", event
    assert (event["app"], event["title"], event["monitor"]) == ("zoo.notes", "Zoo notes", 1)
    found = ok_json(data_dir, "screens", "search", "purple elephant")
    assert [h["screenshot_id"] for h in found["hits"]][:1] == [event["screenshot_id"]]
    assert (found["hits"][0]["app"], found["hits"][0]["title"]) == ("zoo.notes", "Zoo notes")
    status = ok_json(data_dir, "status")["capture"]
    assert status["session"] == "wayland" and status["windows"] == "sway IPC"
    assert "org.freedesktop.portal.Screenshot" in status["screen"]
    assert status["blocked"] is None


def test_an_excluded_wayland_app_is_stored_nowhere(in_session: SwaySession, data_dir: Path) -> None:
    # KeePassXC's Wayland app id: the rule "keepassxc" matches its last part
    with in_session.window(
        "secret: hunter2", app_id="org.keepassxc.KeePassXC", title="Passwords.kdbx"
    ):
        report = ok_json(data_dir, "capture", "once")
    [event] = report["events"]
    assert event["kind"] == "excluded" and "excluded app" in event["reason"], event
    assert table_counts(data_dir / "mirix.db")["screenshots"] == 0
    assert frame_files(data_dir) == []


def test_without_the_window_list_capture_waits_for_the_users_choice(
    in_session: SwaySession, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SWAYSOCK")  # the portal still grabs; nothing tells the windows
    with in_session.window("Nobody knows this window", app_id="blind.app", title="Blind"):
        error = fails(run(data_dir, "capture", "run"), "capture is off", "rules")
        assert "capture_without_window_rules" in error
        fails(run(data_dir, "capture", "once"), "capture is off")
        assert "Capture is off" in ok(data_dir, "status").stdout
        ok(data_dir, "config", "set", "capture_without_window_rules", "true")
        [event] = ok_json(data_dir, "capture", "once")["events"]
    assert event["kind"] == "kept" and event["app"] == "unknown", event
    status = ok_json(data_dir, "status")["capture"]
    assert status["blocked"] is None and status["rules_off_by_choice"] is True


def test_capture_waits_for_the_users_choice_where_no_window_can_be_identified(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "SWAYSOCK", "HYPRLAND_INSTANCE_SIGNATURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-test")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    with private_bus() as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        screen = screen_with(["The quiet heron waits by the pond"])
        portal = FakePortal(address, tmp_path, lambda: screen)
        try:
            error = fails(run(data_dir, "capture", "run"), "capture is off", "KDE Plasma")
            assert "capture_without_window_rules true" in error
            assert portal.files == []  # nothing was grabbed
            assert frame_files(data_dir) == []
            ok(data_dir, "config", "set", "capture_without_window_rules", "true")
            [event] = ok_json(data_dir, "capture", "once")["events"]
        finally:
            portal.close()
    assert event["kind"] == "kept" and event["app"] == "unknown", event
    found = ok_json(data_dir, "screens", "search", "quiet heron")
    assert [h["screenshot_id"] for h in found["hits"]][:1] == [event["screenshot_id"]]
