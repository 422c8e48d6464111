"""The sway probe and the portal grabber on a real headless sway (tests/wayland.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from agents.capture.dbus import SessionBus
from agents.capture.portal import PortalGrabber, PortalScreenshot
from agents.capture.sway import SwayProbe
from tests.wayland import SwaySession, sway


@pytest.fixture(scope="module")
def desktop() -> Iterator[SwaySession]:
    with sway(1280, 720) as session:
        yield session


def test_the_probe_reads_app_title_process_and_box(desktop: SwaySession) -> None:
    probe = SwayProbe(desktop.env["SWAYSOCK"])
    try:
        with (
            desktop.window("left", app_id="notes.left", title="Left notes"),
            desktop.window("right", app_id="notes.right", title="Right notes") as pid,
        ):
            active = probe.active_window()
            assert (active.app, active.title, active.pid) == ("notes.right", "Right notes", pid)
            assert Path(f"/proc/{pid}/comm").read_text().strip() == "foot"
            visible = sorted(probe.visible_windows(), key=lambda w: w.box or ())
            # tiled side by side, filling the output
            assert [w.title for w in visible] == ["Left notes", "Right notes"]
            left, right = (w.box for w in visible)
            assert left is not None and right is not None
            assert (left[0], left[1], right[2], right[3]) == (0, 0, 1280, 720)
            assert left[2] == right[0]
        assert probe.active_window().app == "unknown"  # an empty workspace has the focus
        assert [(m.number, m.box) for m in probe.outputs()] == [(1, (0, 0, 1280, 720))]
    finally:
        probe.close()


def test_the_portal_grabs_the_output_and_leaves_no_file(desktop: SwaySession) -> None:
    probe = SwayProbe(desktop.env["SWAYSOCK"])
    shooter = PortalScreenshot(SessionBus(desktop.env["DBUS_SESSION_BUS_ADDRESS"]))
    grabber = PortalGrabber(shooter, probe.outputs)
    try:
        [monitor] = grabber.monitors()
        empty = np.asarray(grabber.grab(monitor))
        with desktop.window("Some text to see", app_id="grab.me", title="Grab me"):
            shown = np.asarray(grabber.grab(monitor))
        assert shown.shape == empty.shape == (720, 1280, 3)
        assert (shown != empty).any()  # the window's pixels came through the portal
        # xdg-desktop-portal-wlr writes each screenshot to this file; it must not stay
        assert not Path("/tmp/out.png").exists()
    finally:
        grabber.close()
        probe.close()
