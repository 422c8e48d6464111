"""`mirix-app capture` on a real X display (Xvfb), with real OCR and the real
MiniLM embedder: what is captured is found by `screens search`; what is excluded
is stored nowhere."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.capture import MssGrabber
from agents.screens.ocr import RapidOcr, lines_text
from storage.kinds import now_iso
from tests.fakes import table_counts
from tests.mirix_app.clirun import fails, ok, ok_json, run
from tests.xvfb import window, xvfb

ROOT = Path(__file__).resolve().parents[2]


def frame_files(data: Path) -> list[Path]:
    return [p for p in (data / "frames").rglob("*") if p.is_file()] if data.exists() else []


def test_capture_once_keeps_the_window_and_screens_search_finds_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    with (
        xvfb() as display,
        window(display, "The purple elephant dances at noon", title="Zoo notes"),
    ):
        monkeypatch.setenv("DISPLAY", display)
        report = ok_json(data, "capture", "once")
        [event] = report["events"]
        assert event["kind"] == "kept", event
        assert (event["app"], event["title"], event["monitor"]) == ("Xmessage", "Zoo notes", 1)
        shot = event["screenshot_id"]
        assert shot and shot.startswith("scr_")
        # A new process still knows the last kept frame: the same screen is a duplicate.
        again = ok(data, "capture", "once").stdout
        assert "duplicate: nothing new since the last kept frame" in again

    found = ok_json(data, "screens", "search", "purple elephant")
    assert [h["screenshot_id"] for h in found["hits"]][:1] == [shot]
    assert found["hits"][0]["title"] == "Zoo notes"
    assert table_counts(data / "mirix.db")["screenshots"] == 1


@pytest.mark.parametrize(
    ("app", "title", "rule"),
    [
        ("keepassxc", "Passwords.kdbx - KeePassXC", "excluded app"),
        ("mirixtest", "Bank login - Mozilla Firefox Private Browsing", "excluded title"),
    ],
)
def test_an_excluded_window_is_stored_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: str, title: str, rule: str
) -> None:
    data = tmp_path / "data"
    with xvfb() as display, window(display, "secret: hunter2", title=title, app=app):
        monkeypatch.setenv("DISPLAY", display)
        report = ok_json(data, "capture", "once")
    [event] = report["events"]
    assert event["kind"] == "excluded" and rule in event["reason"], event
    assert event["screenshot_id"] is None
    assert table_counts(data / "mirix.db")["screenshots"] == 0  # no row
    assert frame_files(data) == []  # no file
    assert "hunter2" not in "".join(
        p.read_bytes().decode("latin-1") for p in data.rglob("*") if p.is_file()
    )


def test_no_display_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    fails(run(tmp_path / "data", "capture", "once"), "no x11 display", "$DISPLAY is not set")


def test_pause_and_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    assert ok_json(data, "capture", "pause", "in a meeting") == {
        "paused": True,
        "reason": "in a meeting",
    }
    monkeypatch.delenv("DISPLAY", raising=False)  # paused: the display is not even opened
    out = ok(data, "capture", "once").stdout
    assert "paused: in a meeting" in out
    assert "Capture resumed." in ok(data, "capture", "resume").stdout
    fails(run(data, "capture", "once"), "$DISPLAY is not set")


def test_a_bad_exclusion_pattern_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    refused = run(data, "config", "set", "capture_exclude_titles", "private,(unclosed")
    fails(refused, "capture_exclude_titles", "'(unclosed' is not a valid regular expression")
    monkeypatch.setenv("MIRIX_APP_CAPTURE_EXCLUDE_TITLES", "(unclosed")
    fails(run(data, "capture", "once"), "capture_exclude_titles", "not a valid regular expression")


@contextlib.contextmanager
def capture_run(data: Path, display: str) -> Iterator[subprocess.Popen[str]]:
    """`mirix-app capture run` in a process of its own, grabbing every 0.2 s; killed
    at the end of the block if a failed test left it running."""
    env = {
        **os.environ,
        "DISPLAY": display,
        "PYTHONPATH": str(ROOT),
        "MIRIX_APP_CAPTURE_INTERVAL_S": "0.2",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "mirix_app", "capture", "run", "--data-dir", str(data)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def stop(proc: subprocess.Popen[str]) -> str:
    """Ctrl-C; its stderr once it has finished."""
    proc.send_signal(signal.SIGINT)
    return proc.communicate(timeout=120)[1]


def test_capture_run_prints_a_line_per_kept_frame_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with (
        xvfb() as display,
        window(display, "Running capture", title="Live"),
        capture_run(data, display) as proc,
    ):
        assert proc.stdout is not None
        line = proc.stdout.readline()  # blocks until the first kept frame
        assert "kept" in line and "Xmessage — Live" in line, line
        err = stop(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Capture stopped: 1 frame(s) kept." in err
    # The frame queued for OCR was finished before the process exited.
    assert table_counts(data / "mirix.db")["screenshots"] == 1
    assert len([p for p in frame_files(data) if p.suffix == ".webp"]) >= 1


def data_bytes(data: Path) -> bytes:
    """Every file under the data folder, as one byte string."""
    return b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())


@contextlib.contextmanager
def own_window(display: str, mode: str, app_data: Path, value: str) -> Iterator[None]:
    """The desktop app (its own process, registered as mirix-app's) showing a window
    at the left of the screen (tests/own_window.py)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.own_window", mode, str(app_data), value],
        env={**os.environ, "DISPLAY": display, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
        yield
    finally:
        proc.kill()
        proc.communicate()


def test_capture_keeps_the_other_window_and_never_the_apps_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, app_data = tmp_path / "data", tmp_path / "app"
    ok(app_data, "config", "set", "capture_on_start", "false")
    unique = "ZEBRAQUUX42 typed in the chat"
    with (
        xvfb() as display,
        own_window(display, "chat", app_data, unique),
        window(display, "The purple elephant dances at noon", title="Zoo notes", at=(700, 200)),
    ):
        monkeypatch.setenv("DISPLAY", display)
        [event] = ok_json(data, "capture", "once")["events"]
    assert event["kind"] == "kept", event
    assert "mirix-app's own window" in event["reason"]
    assert (event["app"], event["title"]) == ("Xmessage", "Zoo notes")
    found = ok_json(data, "screens", "search", "purple elephant")["hits"]
    assert [h["screenshot_id"] for h in found] == [event["screenshot_id"]]
    for hit in ok_json(data, "screens", "search", "ZEBRAQUUX42 typed chat")["hits"]:
        assert "ZEBRAQUUX42" not in hit["snippet"]
    everything = data_bytes(data)
    assert b"ZEBRAQUUX42" not in everything
    assert b"Chat \xe2\x80\x94 mirix-app" not in everything  # nor our window's title


def test_a_revealed_vault_secret_in_the_app_is_never_captured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, app_data = tmp_path / "data", tmp_path / "app"
    ok(app_data, "config", "set", "capture_on_start", "false")
    body = {
        "entry_type": "password",
        "caption": "Bank login",
        "sensitivity": "high",
        "secret_value": "hunter2-SECRET",
    }
    vault = ok_json(app_data, "add", "knowledge_vault", "--json-body", json.dumps(body))["id"]
    with (
        xvfb() as display,
        own_window(display, "vault", app_data, vault),
        window(display, "The purple elephant dances at noon", title="Zoo notes", at=(700, 200)),
    ):
        # The secret is on the screen, readable: a plain grab shows it.
        grabber = MssGrabber(display)
        try:
            on_screen = lines_text(RapidOcr().read(grabber.grab(grabber.monitors()[0])))
        finally:
            grabber.close()
        # (OCR may miss the field's first letters where the layout crops them.)
        assert "2-SECRET" in on_screen
        monkeypatch.setenv("DISPLAY", display)
        [event] = ok_json(data, "capture", "once")["events"]
    assert event["kind"] == "kept", event
    assert ok_json(data, "screens", "search", "purple elephant")["hits"]
    for query in ("hunter2-SECRET", "hunter2", "Bank login"):
        hits = ok_json(data, "screens", "search", query)["hits"]
        assert all("SECRET" not in h["snippet"] for h in hits), hits
    assert b"hunter2" not in data_bytes(data) and b"2-SECRET" not in data_bytes(data)


def test_a_running_capture_takes_up_an_exclusion_set_from_another_process(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with (
        xvfb() as display,
        window(display, "Alpha shopping list", title="Alpha", app="alphaapp", at=(40, 40)),
        window(display, "Bravo bank statement", title="Bravo", app="bravoapp", at=(640, 40)),
        capture_run(data, display) as proc,
    ):
        assert proc.stdout is not None
        assert "kept" in proc.stdout.readline()  # both windows on screen
        ok(data, "config", "set", "capture_exclude_apps", "keepassxc,bravoapp")
        changed_at = now_iso()
        with window(display, "Charlie meeting notes", title="Charlie", at=(40, 400)):
            while "Charlie" not in (line := proc.stdout.readline()):
                assert line, "capture run stopped"
            assert "blacked out: excluded app bravoapp" in line, line
            time.sleep(1.0)  # a grab made while it was still drawing is followed by more
        err = stop(proc)
    assert proc.returncode == 0, err
    with sqlite3.connect(data / "mirix.db") as conn:
        frames = conn.execute("SELECT at, ocr_text FROM screenshots ORDER BY at").fetchall()
    assert "Bravo bank statement" in frames[0][1]  # it was on screen, and recorded before
    later = [text for at, text in frames if at > changed_at]
    assert any("Charlie meeting notes" in text for text in later), later
    assert all("Bravo" not in text for text in later), later
