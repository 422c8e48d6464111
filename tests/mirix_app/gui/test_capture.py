"""Pause / Resume from the tray change the real capture service's state (the
screen is an Xvfb display; Qt itself stays offscreen), and a capture that pauses
itself (no display) raises a notification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mirix_app.gui.app import Desktop
from tests.xvfb import xvfb

WAIT = 30_000


def wait_state(qtbot: Any, desktop: Desktop, state: str) -> list[Any]:
    assert desktop.capture is not None
    if desktop.capture.state == state:
        return [state, desktop.capture.reason, True]
    with qtbot.waitSignal(
        desktop.capture.state_changed, timeout=WAIT, check_params_cb=lambda s, *_: s == state
    ) as changed:
        pass
    return list(changed.args)


def start(qtbot: Any, opener: Any) -> Desktop:
    desktop = Desktop(opener, use_tray=True, show_first_run=False)
    with qtbot.waitSignal(desktop.ready, timeout=WAIT):
        pass
    return desktop


def test_pause_and_resume_from_the_tray(
    qtbot: Any, opener: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with xvfb() as display:
        monkeypatch.setenv("DISPLAY", display)
        desktop = start(qtbot, opener)
        try:
            action = desktop.actions["capture"]
            wait_state(qtbot, desktop, "capturing")  # capture_on_start is on by default
            assert action.text() == "Pause capture"
            assert "Capturing" in desktop.tray.toolTip()

            action.trigger()
            _state, reason, by_user = wait_state(qtbot, desktop, "paused")
            assert reason == "paused by the user" and by_user
            assert action.text() == "Resume capture"
            assert "paused" in desktop.tray.toolTip()
            assert desktop.capture.service.state == "paused"

            action.trigger()
            wait_state(qtbot, desktop, "capturing")
            assert action.text() == "Pause capture"
            assert desktop.capture.service.state == "capturing"
        finally:
            desktop.quit()
        assert desktop.capture.service.state == "stopped"


def test_capture_pausing_itself_notifies(
    qtbot: Any, opener: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)  # no display: capture pauses itself
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    desktop = Desktop(opener, use_tray=False, show_first_run=False)
    try:
        with qtbot.waitSignal(desktop.notified, timeout=WAIT) as note:
            pass
        title, message = note.args
        assert title == "Capture paused" and message
        assert desktop.capture.state == "paused"
        assert desktop.actions["capture"].text() == "Resume capture"
        assert desktop.launcher is not None and message in desktop.launcher.notice.text()
    finally:
        desktop.quit()
