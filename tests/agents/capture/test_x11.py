"""The grabber and the window probe on a real X server (Xvfb)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.capture.errors import NoDisplayError
from agents.capture.grabber import MssGrabber
from agents.capture.rules import ExclusionRules
from agents.capture.window import UnknownProbe, X11Probe, probe_for_platform
from tests.xvfb import window, xvfb


def test_grabber_reads_the_monitor_layout_and_pixels() -> None:
    with xvfb(800, 600) as display:
        grabber = MssGrabber(display)
        try:
            [monitor] = grabber.monitors()
            assert (monitor.number, monitor.width, monitor.height) == (1, 800, 600)
            blank = np.asarray(grabber.grab(monitor))
            assert blank.shape == (600, 800, 3)
            with window(display, "Some text to see", title="Grab me"):
                shown = np.asarray(grabber.grab(monitor))
            assert (shown != blank).any()  # the window's pixels were captured
        finally:
            grabber.close()


def test_probe_reads_app_title_and_box_of_the_window() -> None:
    with xvfb() as display, window(display, "hello", title="Quarterly report", app="mirixdemo"):
        probe = X11Probe(display)
        try:
            active = probe.active_window()
            assert active.instance == "mirixdemo"
            assert active.app == "Xmessage"
            assert active.title == "Quarterly report"
            assert active.box is not None and active.box[2] > active.box[0]
            assert [w.title for w in probe.visible_windows()] == ["Quarterly report"]
            idle = probe.idle_seconds()
            assert idle is None or idle >= 0
        finally:
            probe.close()


def test_empty_display_has_no_active_window() -> None:
    with xvfb() as display:
        probe = probe_for_platform(display)
        try:
            assert isinstance(probe, X11Probe)
            assert probe.active_window().app == "unknown"
            assert probe.visible_windows() == []
        finally:
            probe.close()


def test_no_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(NoDisplayError, match=r"\$DISPLAY is not set"):
        MssGrabber().monitors()
    assert isinstance(probe_for_platform(), UnknownProbe)


def test_unreachable_display_is_a_clear_error() -> None:
    with xvfb() as display:
        pass  # the server is gone again: nothing listens on this display any more
    with pytest.raises(NoDisplayError, match=f"Cannot open the display {display}"):
        MssGrabber(display).monitors()


def test_rules_match_app_names_and_title_patterns() -> None:
    from agents.capture.window import Window

    rules = ExclusionRules(["KeePassXC", " bitwarden "], ["private browsing", r"^Bank\b"])
    assert rules.reason(Window("KeePassXC", "Passwords.kdbx", "keepassxc")) is not None
    assert rules.reason(Window("Bitwarden", "Vault")) == "excluded app Bitwarden"
    assert rules.reason(Window("Firefox", "News — Mozilla Firefox Private Browsing")) is not None
    assert rules.reason(Window("Firefox", "bank statement")) is not None
    assert rules.reason(Window("Firefox", "My bank statement")) is None
    assert rules.reason(Window("Code", "keepass notes.md")) is None  # names match whole


def test_a_bad_title_pattern_is_a_clear_error() -> None:
    from agents.capture.errors import CaptureError

    with pytest.raises(CaptureError, match="capture_exclude_titles: '\\(unclosed'"):
        ExclusionRules([], ["(unclosed"])
