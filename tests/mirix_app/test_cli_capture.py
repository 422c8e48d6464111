"""`mirix-app capture` on a real X display (Xvfb), with real OCR and the real
MiniLM embedder: what is captured is found by `screens search`; what is excluded
is stored nowhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_a_bad_exclusion_pattern_is_one_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ok(data, "config", "set", "capture_exclude_titles", "(unclosed")
    fails(run(data, "capture", "once"), "capture_exclude_titles", "not a valid regular expression")


def test_capture_run_prints_a_line_per_kept_frame_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with xvfb() as display, window(display, "Running capture", title="Live"):
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
            assert proc.stdout is not None
            line = proc.stdout.readline()  # blocks until the first kept frame
            assert "kept" in line and "Xmessage — Live" in line, line
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "Capture stopped: 1 frame(s) kept." in err
    # The frame queued for OCR was finished before the process exited.
    assert table_counts(data / "mirix.db")["screenshots"] == 1
    assert len([p for p in frame_files(data) if p.suffix == ".webp"]) >= 1
