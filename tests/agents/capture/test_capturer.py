"""One grab at a time, with a fake display at the boundary and a list as the sink."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from agents.capture import (
    BlankScreenError,
    DiskFullError,
    ExclusionRules,
    Monitor,
    MonitorGoneError,
    PauseFlag,
    Scheduler,
    Window,
)
from agents.capture.capturer import Capturer
from agents.capture.own import OwnWindows
from agents.screens.dedup import fingerprint
from agents.screens.frame import Frame
from agents.settings import SettingsSource
from tests.fake_screen import FakeScreen, screen_with

GB = 1024**3


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def make(
    tmp_path: Path,
    screen: FakeScreen,
    *,
    monitors: tuple[int, ...] = (),
    free: int = 100 * GB,
    keyframe_s: float = 300.0,
    seed: object = None,
    settings: SettingsSource | None = None,
) -> tuple[Capturer, list[Frame], Clock]:
    kept: list[Frame] = []
    clock = Clock()

    def sink(frame: Frame) -> str:
        kept.append(frame)
        return f"scr_{len(kept)}"

    capturer = Capturer(
        grabber=screen,
        probe=screen,
        rules=ExclusionRules(["keepassxc"], ["incognito"]),
        sink=sink,
        scheduler=Scheduler(interval_s=2.0, max_interval_s=30.0, keyframe_s=keyframe_s),
        data_dir=tmp_path,
        monitors=monitors,
        seed=seed,  # type: ignore[arg-type]
        clock=clock,
        free_bytes=lambda _: free,
        settings=settings,
        own=OwnWindows(tmp_path / "registry"),
    )
    return capturer, kept, clock


def kinds(result: object) -> list[str]:
    return [e.kind for e in result.events]  # type: ignore[attr-defined]


def test_kept_then_duplicate_then_change(tmp_path: Path) -> None:
    screen = FakeScreen(images={1: screen_with(["first line"])})
    capturer, kept, clock = make(tmp_path, screen)
    first = capturer.grab_once()
    assert kinds(first) == ["kept"] and first.changed
    event = first.events[0]
    assert (event.app, event.title, event.monitor, event.screenshot_id) == (
        "Editor",
        "notes.txt",
        1,
        "scr_1",
    )
    assert kept[0].at == event.at and kept[0].app == "Editor" and kept[0].monitor == 1
    clock.now += 2
    again = capturer.grab_once()
    assert kinds(again) == ["duplicate"] and not again.changed
    screen.images[1] = screen_with(["first line", "a second line typed since"])
    clock.now += 2
    assert kinds(capturer.grab_once()) == ["kept"]
    assert len(kept) == 2


def test_unchanged_screen_is_kept_as_a_keyframe_when_due(tmp_path: Path) -> None:
    capturer, kept, clock = make(tmp_path, FakeScreen(), keyframe_s=60.0)
    capturer.grab_once()
    clock.now += 59
    assert kinds(capturer.grab_once()) == ["duplicate"]
    clock.now += 1
    result = capturer.grab_once()
    assert kinds(result) == ["kept"] and result.events[0].keyframe
    assert not result.changed  # a keyframe alone does not stop the back-off
    assert len(kept) == 2


def test_excluded_app_is_never_grabbed(tmp_path: Path) -> None:
    screen = FakeScreen(active=Window("KeePassXC", "Passwords.kdbx", "keepassxc"))
    capturer, kept, _ = make(tmp_path, screen)
    result = capturer.grab_once()
    assert kinds(result) == ["excluded"]
    assert "excluded app KeePassXC" in result.events[0].reason
    assert screen.grabs == [] and kept == []


def test_excluded_title_is_never_grabbed(tmp_path: Path) -> None:
    screen = FakeScreen(active=Window("Chromium", "New Incognito Tab - Chromium"))
    capturer, kept, _ = make(tmp_path, screen)
    assert kinds(capturer.grab_once()) == ["excluded"]
    assert screen.grabs == [] and kept == []


def test_excluded_window_on_another_monitor_skips_only_that_monitor(tmp_path: Path) -> None:
    editor = Window("Editor", "main.py", box=(0, 0, 1280, 720))
    vault = Window("KeePassXC", "db", "keepassxc", box=(1400, 50, 2000, 600))
    screen = FakeScreen(
        monitors_=[Monitor(1, 0, 0, 1280, 720), Monitor(2, 1280, 0, 1280, 720)],
        active=editor,
        visible=[editor, vault],
    )
    capturer, kept, _ = make(tmp_path, screen)
    result = capturer.grab_once()
    assert kinds(result) == ["excluded", "kept"] or kinds(result) == ["kept", "excluded"]
    assert screen.grabs == [1]
    assert [f.monitor for f in kept] == [1]


def test_window_that_turns_excluded_during_the_grab_drops_the_images(tmp_path: Path) -> None:
    screen = FakeScreen()

    def switch(_: Monitor) -> None:
        screen.active = Window("KeePassXC", "Unlock", "keepassxc")

    screen.on_grab = switch
    capturer, kept, _ = make(tmp_path, screen)
    result = capturer.grab_once()
    assert screen.grabs == [1]  # grabbed in memory ...
    assert kept == []  # ... and dropped unseen
    assert kinds(result) == ["excluded"] and "during grab" in result.events[0].reason


def test_unreadable_windows_mean_no_grab(tmp_path: Path) -> None:
    screen = FakeScreen(broken_probe=True)
    capturer, kept, _ = make(tmp_path, screen)
    result = capturer.grab_once()
    assert kinds(result) == ["skipped"] and "BadWindow" in result.events[0].reason
    assert screen.grabs == [] and kept == []


def test_unplugged_monitor_is_reported_and_the_others_go_on(tmp_path: Path) -> None:
    screen = FakeScreen(monitors_=[Monitor(1, 0, 0, 1280, 720), Monitor(2, 1280, 0, 1280, 720)])
    capturer, _kept, clock = make(tmp_path, screen, monitors=(1, 2))
    assert kinds(capturer.grab_once()) == ["kept", "kept"]
    screen.unplugged.add(2)
    clock.now += 2
    result = capturer.grab_once()
    assert kinds(result) == ["error", "duplicate"]
    assert (
        "Monitor 2 of capture_monitors is not connected (connected: 1)" in result.events[0].reason
    )
    screen.unplugged.add(1)
    with pytest.raises(MonitorGoneError, match="not connected"):
        capturer.grab_once()


def test_monitor_gone_between_listing_and_grab(tmp_path: Path) -> None:
    screen = FakeScreen()
    capturer, kept, _ = make(tmp_path, screen)

    def unplug(monitor: Monitor) -> None:
        raise MonitorGoneError("Monitor 1 (1280x720) is no longer connected; none.")

    screen.on_grab = unplug
    result = capturer.grab_once()
    assert kinds(result) == ["error"] and "no longer connected" in result.events[0].reason
    assert kept == []


def test_full_disk_stops_before_grabbing(tmp_path: Path) -> None:
    screen = FakeScreen()
    capturer, kept, _ = make(tmp_path, screen, free=100 * 1024**2)
    with pytest.raises(DiskFullError, match="capture is paused until space is freed"):
        capturer.grab_once()
    assert screen.grabs == [] and kept == []


def test_pause_file_pauses_every_capturer(tmp_path: Path) -> None:
    screen = FakeScreen()
    capturer, _kept, _ = make(tmp_path, screen)
    PauseFlag(tmp_path).set("paused from the tray")
    result = capturer.grab_once()
    assert kinds(result) == ["paused"] and result.events[0].reason == "paused from the tray"
    assert screen.grabs == []
    PauseFlag(tmp_path).clear()
    assert kinds(capturer.grab_once()) == ["kept"]


def test_seed_from_an_earlier_run_makes_the_same_screen_a_duplicate(tmp_path: Path) -> None:
    image = screen_with(["same as last time"])
    screen = FakeScreen(images={1: image})
    clock_now = 1_700_000_000.0
    capturer, kept, _ = make(
        tmp_path, screen, seed=lambda monitor: (fingerprint(image), clock_now - 10)
    )
    assert kinds(capturer.grab_once()) == ["duplicate"]
    assert kept == []


def test_frames_are_labelled_with_the_window_on_their_monitor(tmp_path: Path) -> None:
    editor = Window("Editor", "main.py", box=(0, 0, 1280, 720))
    browser = Window("Firefox", "Docs", box=(1280, 0, 2560, 720))
    screen = FakeScreen(
        monitors_=[Monitor(1, 0, 0, 1280, 720), Monitor(2, 1280, 0, 1280, 720)],
        active=editor,
        visible=[browser, editor],
    )
    capturer, kept, _ = make(tmp_path, screen)
    capturer.grab_once()
    assert [(f.monitor, f.app, f.title) for f in kept] == [
        (1, "Editor", "main.py"),
        (2, "Firefox", "Docs"),
    ]


def test_a_black_screen_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    black = Image.new("RGB", (1280, 720), "black")
    screen = FakeScreen(images={1: black})
    capturer, kept, clock = make(tmp_path, screen)
    result = capturer.grab_once()
    assert kinds(result) == ["skipped"] and not result.changed
    assert "black" in result.events[0].reason
    assert kept == []
    # one lit glyph is enough to keep it
    draw = ImageDraw.Draw(black)
    draw.text((600, 300), "x", fill=(90, 90, 90), font=ImageFont.load_default(size=14))
    clock.now += 2
    assert kinds(capturer.grab_once()) == ["kept"]


def test_black_grabs_in_a_wayland_session_pause_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    screen = FakeScreen(
        monitors_=[Monitor(1, 0, 0, 1280, 720), Monitor(2, 1280, 0, 800, 600)],
        images={1: Image.new("RGB", (1280, 720)), 2: Image.new("RGB", (800, 600))},
    )
    capturer, kept, _ = make(tmp_path, screen)
    with pytest.raises(BlankScreenError, match=r"Wayland session.*X11 session"):
        capturer.grab_once()
    assert kept == []
    # one monitor with something on it: the black one is skipped, the other kept
    screen.images[2] = screen_with(["an XWayland window"], (800, 600))
    assert kinds(capturer.grab_once()) == ["skipped", "kept"]
