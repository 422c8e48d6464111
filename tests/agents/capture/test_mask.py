"""Private windows (mirix-app's own, and excluded ones that are not active) are
blacked out of a frame before anything else sees it; what they do not cover is
still captured."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from agents.capture import Monitor, Window
from agents.capture.capturer import Capturer
from agents.capture.mask import Layer, view_of
from agents.capture.own import OwnWindows
from agents.screens.frame import Frame
from agents.settings import LiveSettings, save_setting
from tests.agents.capture.test_capturer import make as make_capturer
from tests.fake_screen import FakeScreen

ME = os.getpid()
WHITE = (255, 255, 255)


def make(tmp_path: Path, screen: FakeScreen, **kw: Any) -> tuple[Capturer, list[Frame]]:
    capturer, kept, _clock = make_capturer(tmp_path, screen, **kw)
    return capturer, kept


def white_screen() -> FakeScreen:
    return FakeScreen(images={1: Image.new("RGB", (1280, 720), WHITE)})


def black_share(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    pixels = np.asarray(image)[box[1] : box[3], box[0] : box[2]]
    return float((pixels.sum(axis=2) == 0).mean())


def test_own_window_is_blacked_out_and_the_other_window_kept(tmp_path: Path) -> None:
    chat = Window("mirix-app", "Chat — mirix-app", box=(0, 0, 600, 720), pid=ME)
    editor = Window("Editor", "notes.txt", box=(600, 0, 1280, 720), pid=ME + 1_000_000)
    screen = white_screen()
    screen.active, screen.visible = chat, [editor, chat]
    capturer, kept = make(tmp_path, screen)
    [event] = capturer.grab_once().events
    assert event.kind == "kept", event
    assert event.reason == "blacked out: mirix-app's own window"
    # Labelled with the other window: our own title is stored nowhere either.
    assert (event.app, event.title) == ("Editor", "notes.txt")
    [frame] = kept
    assert (frame.app, frame.title) == ("Editor", "notes.txt")
    assert black_share(frame.image, (0, 0, 600, 720)) == 1.0
    assert black_share(frame.image, (600, 0, 1280, 720)) == 0.0


def test_a_window_on_top_of_ours_is_still_captured(tmp_path: Path) -> None:
    browser = Window("mirix-app", "Memories — mirix-app", box=(0, 0, 1280, 720), pid=ME)
    editor = Window("Editor", "main.py", box=(200, 100, 800, 500))
    screen = white_screen()
    screen.active, screen.visible = editor, [browser, editor]  # ours below, maximised
    capturer, kept = make(tmp_path, screen)
    capturer.grab_once()
    [frame] = kept
    assert black_share(frame.image, (200, 100, 800, 500)) == 0.0  # the editor on top
    assert black_share(frame.image, (0, 0, 200, 720)) == 1.0
    assert black_share(frame.image, (800, 500, 1280, 720)) == 1.0


def test_a_monitor_showing_only_private_windows_is_not_grabbed(tmp_path: Path) -> None:
    chat = Window("mirix-app", "Chat — mirix-app", box=(0, 0, 1280, 720), pid=ME)
    screen = white_screen()
    screen.active, screen.visible = chat, [chat]
    capturer, kept = make(tmp_path, screen)
    [event] = capturer.grab_once().events
    assert event.kind == "excluded" and "only private windows" in event.reason
    assert (event.app, event.title) == ("unknown", "")
    assert screen.grabs == [] and kept == []


def test_an_excluded_window_that_is_not_active_is_blacked_out(tmp_path: Path) -> None:
    vault = Window("KeePassXC", "db.kdbx", "keepassxc", box=(700, 100, 1200, 600))
    editor = Window("Editor", "notes.txt", box=(0, 0, 1280, 720))
    screen = white_screen()
    screen.active, screen.visible = editor, [editor, vault]
    capturer, kept = make(tmp_path, screen)
    [event] = capturer.grab_once().events
    assert event.kind == "kept" and event.reason == "blacked out: excluded app KeePassXC"
    assert black_share(kept[0].image, (700, 100, 1200, 600)) == 1.0
    assert black_share(kept[0].image, (0, 0, 700, 720)) == 0.0
    # Once it is the active window, nothing at all is grabbed.
    screen.active = vault
    assert [e.kind for e in capturer.grab_once().events] == ["excluded"]
    assert screen.grabs == [1]


def test_a_private_window_that_moves_during_the_grab_drops_the_frame(tmp_path: Path) -> None:
    editor = Window("Editor", "notes.txt", box=(0, 0, 1280, 720))
    chat = Window("mirix-app", "Chat", box=(0, 0, 400, 400), pid=ME)
    screen = white_screen()
    screen.active, screen.visible = editor, [editor, chat]

    def drag(_: Monitor) -> None:
        screen.visible = [editor, Window("mirix-app", "Chat", box=(300, 200, 700, 600), pid=ME)]

    screen.on_grab = drag
    capturer, kept = make(tmp_path, screen)
    [event] = capturer.grab_once().events
    assert event.kind == "skipped" and "moved" in event.reason
    assert kept == []


def test_a_private_window_at_an_unknown_place_stops_the_grab(tmp_path: Path) -> None:
    editor = Window("Editor", "notes.txt", box=(0, 0, 1280, 720))
    screen = white_screen()
    screen.active, screen.visible = editor, [editor, Window("mirix-app", "Chat", pid=ME)]
    capturer, kept = make(tmp_path, screen)
    [event] = capturer.grab_once().events
    assert event.kind == "excluded" and "unknown place" in event.reason
    assert screen.grabs == [] and kept == []


def test_view_of_paints_bottom_to_top_across_monitors() -> None:
    right = Monitor(2, 1280, 0, 1280, 720)
    ours = Layer(Window("mirix-app", "Chat", box=(1000, 0, 1600, 720), pid=ME), "own")
    other = Layer(Window("Editor", "a", box=(1500, 0, 2560, 720)), None)
    view = view_of(right, [ours, other])
    assert view.hidden is not None and view.others
    assert view.hidden[:, :220].all() and not view.hidden[:, 220:].any()
    assert view.why == ("own",) and view.boxes == ((1000, 0, 1600, 720),)
    left = Monitor(1, 0, 0, 1280, 720)
    assert view_of(left, [other]).hidden is None


def test_changed_exclusions_apply_to_the_next_grab(tmp_path: Path) -> None:
    notes = Window("Editor", "notes.txt", "editor", box=(0, 0, 1280, 720))
    chat = Window("Signal", "Signal", "signal", box=(800, 0, 1280, 720))
    screen = white_screen()
    screen.active, screen.visible = notes, [notes, chat]
    live = LiveSettings(tmp_path)
    capturer, kept = make(tmp_path, screen, settings=live)
    assert capturer.grab_once().events[0].reason == ""
    save_setting(tmp_path, "capture_exclude_apps", "keepassxc,signal")  # as another process
    screen.images[1] = Image.new("RGB", (1280, 720), (250, 250, 250))  # something new
    [event] = capturer.grab_once().events
    assert event.reason == "blacked out: excluded app Signal"
    assert black_share(kept[-1].image, (800, 0, 1280, 720)) == 1.0
    save_setting(tmp_path, "capture_interval_s", "5")
    capturer.grab_once()
    assert capturer.scheduler.interval_s == 5.0


def test_own_processes_are_this_one_registered_ones_and_mirix_commands(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    own = OwnWindows(registry)
    assert own.is_own(ME)
    code = (
        "import time; from pathlib import Path; from agents.capture.own import OwnWindows; "
        f"OwnWindows(Path({str(registry)!r})).register(); print('ready', flush=True); "
        "time.sleep(30)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    shown = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE)
    other = subprocess.Popen(["sleep", "30"])
    named = subprocess.Popen(["bash", "-c", "exec -a /opt/bin/mirix-app sleep 30"])
    try:
        assert shown.stdout is not None and shown.stdout.readline().strip() == b"ready"
        time.sleep(0.2)  # let exec -a replace bash
        assert own.is_own(shown.pid)
        assert own.owns(Window("x", "y", pid=shown.pid))
        assert not own.is_own(other.pid)
        assert own.is_own(named.pid)
        assert not own.owns(Window("x", "y"))  # no process known: not ours
    finally:
        for proc in (shown, other, named):
            proc.kill()
            proc.wait()
        assert shown.stdout is not None
        shown.stdout.close()
    assert not OwnWindows(registry).is_own(shown.pid)  # gone, though its file is left
