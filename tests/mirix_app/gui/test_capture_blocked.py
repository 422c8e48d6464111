"""Where the windows shown cannot be identified (a Wayland desktop with no window
interface we read: a fake portal on a private bus, KDE here), the desktop app does
not start capture by itself: the launcher (or tray) and the first run say why and
offer to capture anyway, which is saved as the user's choice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents.settings import load_settings
from mirix_app.gui.app import Desktop
from mirix_app.gui.first_run import FirstRunDialog
from tests.fake_dbus import FakePortal, private_bus
from tests.fake_screen import screen_with

WAIT = 30_000


@pytest.fixture
def blind_desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakePortal]:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-test")
    monkeypatch.setenv("XDG_CURRENT_DESKTOP", "KDE")
    with private_bus() as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        portal = FakePortal(address, tmp_path, lambda: screen_with(["a window nobody can name"]))
        try:
            yield portal
        finally:
            portal.close()


def capturing(desktop: Desktop) -> bool:
    return desktop.capture is not None and desktop.capture.state == "capturing"


def test_capture_waits_and_capture_anyway_is_saved_as_the_users_choice(
    qtbot: Any, opener: Any, data_dir: Path, blind_desktop: FakePortal
) -> None:
    desktop = Desktop(opener, use_tray=False, show_first_run=False)
    try:
        with qtbot.waitSignal(desktop.notified, timeout=WAIT) as note:
            pass
        title, message = note.args
        assert title == "Capture is off" and "KDE Plasma" in message
        assert desktop.capture is None and blind_desktop.files == []  # nothing grabbed
        assert desktop.actions["capture"].text() == "Capture anyway (rules off)…"
        assert desktop.launcher is not None
        assert "rules" in desktop.launcher.state_label.text()

        desktop.capture_anyway()  # what "Yes" in the tray's question does
        qtbot.waitUntil(lambda: capturing(desktop), timeout=WAIT)
        assert desktop.actions["capture"].text() == "Pause capture"
        assert load_settings(data_dir).flag("capture_without_window_rules") is True
        qtbot.waitUntil(lambda: bool(blind_desktop.files), timeout=WAIT)  # it grabs now
    finally:
        desktop.quit()


def first_run(qtbot: Any, opener: Any) -> tuple[Desktop, FirstRunDialog]:
    desktop = Desktop(opener, use_tray=False, show_first_run=True)
    with qtbot.waitSignal(desktop.ready, timeout=WAIT):
        pass
    dialog = desktop.windows["first_run"]
    assert isinstance(dialog, FirstRunDialog)
    return desktop, dialog


def test_first_run_says_why_and_offers_to_capture_anyway(
    qtbot: Any, opener: Any, data_dir: Path, blind_desktop: FakePortal
) -> None:
    desktop, dialog = first_run(qtbot, opener)
    try:
        assert dialog.blocked and "KDE Plasma" in dialog.blocked
        assert not dialog.capture_anyway.isChecked()  # never chosen for the user
        dialog.capture_anyway.setChecked(True)
        dialog.finish_button.click()
        qtbot.waitUntil(lambda: capturing(desktop), timeout=WAIT)
    finally:
        desktop.quit()
    assert load_settings(data_dir).flag("capture_without_window_rules") is True


def test_first_run_without_the_choice_captures_nothing(
    qtbot: Any, opener: Any, data_dir: Path, blind_desktop: FakePortal
) -> None:
    desktop, dialog = first_run(qtbot, opener)
    try:
        with qtbot.waitSignal(dialog.finished_setup, timeout=WAIT):
            dialog.finish_button.click()
        assert desktop.capture is None and blind_desktop.files == []
    finally:
        desktop.quit()
    assert load_settings(data_dir).flag("capture_without_window_rules") is False
