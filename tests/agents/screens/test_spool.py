"""Frames waiting for OCR are spooled to disk: a crash before they are kept loses
nothing, the next capture start keeps them; a frame kept, dropped or refused
leaves no spool file behind. OCR here is a fake that waits until it is let go
and reads each frame's colour as its text (no model)."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from agents import Assistant
from agents.screens import Frame, PipelineConfig, ScreenPipeline
from agents.screens.ocr import OcrLine
from agents.screens.service import frames_in
from agents.screens.spool import Spool
from storage import ForgetScope


class HeldOcr:
    """Waits for ``go``, then reads a frame as the name of its colour."""

    name = "held-ocr"

    def __init__(self) -> None:
        self.go = threading.Event()
        self.crash = False

    def read(self, image: Image.Image) -> list[OcrLine]:
        assert self.go.wait(10)
        if self.crash:  # the abandoned worker of a "crashed" process ends here
            raise RuntimeError("the process is gone")
        red, green, blue = image.getpixel((0, 0))  # type: ignore[misc]
        return [OcrLine(f"colour {red} {green} {blue}", (0, 0, 10, 10), 0.99)]


def frame(shade: int, at: str, app: str = "Editor") -> Frame:
    image = Image.new("RGB", (320, 200), (shade, 10, 200))
    return Frame(image, at, 1, app, f"title {shade}")


def pipeline(assistant: Assistant, ocr: HeldOcr, *, queue_size: int = 8) -> ScreenPipeline:
    return ScreenPipeline(
        assistant.storage,
        assistant.embedder,
        config=PipelineConfig(queue_size=queue_size),
        ocr=ocr,
        spool=Spool(assistant.storage.data_dir / "spool"),
    )


def spooled(assistant: Assistant) -> list[str]:
    root = assistant.storage.data_dir / "spool"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored(assistant: Assistant) -> list[tuple[str, str, str, str]]:
    rows = assistant.storage._db.query(
        "SELECT at, app, window_title, ocr_text FROM screenshots ORDER BY at"
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_frames_left_by_a_crash_are_kept_at_the_next_start(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed_ocr = HeldOcr()  # never let go: the process "dies" with frames waiting
    crashed = pipeline(assistant, crashed_ocr)
    crashed.submit(frame(40, "2024-06-01T10:00:00Z"), dedup=False)
    crashed.submit(frame(80, "2024-06-01T10:00:02Z", app="Terminal"), dedup=False)
    assert len(spooled(assistant)) == 4  # image + metadata each
    folder = assistant.storage.data_dir / "spool" / str(os.getpid())
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    assert stored(assistant) == []

    # the next process (another pid) finds them; the crashed one's folder is not
    # its own, and the crashed process is not running
    monkeypatch.setattr(os, "getpid", lambda: 999_999_999)
    ocr = HeldOcr()
    ocr.go.set()
    after = pipeline(assistant, ocr)
    monkeypatch.setattr("agents.screens.spool._running", lambda name: False)
    assert after.recover() == 2
    assert after.wait_idle(10)
    assert stored(assistant) == [
        ("2024-06-01T10:00:00.000000Z", "Editor", "title 40", "colour 40 10 200"),
        ("2024-06-01T10:00:02.000000Z", "Terminal", "title 80", "colour 80 10 200"),
    ]
    assert spooled(assistant) == []
    assert not folder.exists()  # the stopped process's folder goes once emptied
    after.submit(frame(120, "2024-06-01T10:00:04Z"), dedup=False)
    assert after.recover() == 0  # once per pipeline: its own queued frames stay queued
    assert after.wait_idle(10)
    assert len(stored(assistant)) == 3
    crashed_ocr.crash = True
    crashed_ocr.go.set()


def test_a_running_process_keeps_its_own_spool(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy = HeldOcr()
    live = pipeline(assistant, busy)
    live.submit(frame(40, "2024-06-01T10:00:00Z"), dedup=False)
    other_pid_folder = assistant.storage.data_dir / "spool" / str(os.getpid())
    monkeypatch.setattr(os, "getpid", lambda: 999_999_999)
    other = pipeline(assistant, HeldOcr())
    assert other.recover() == 0  # that folder's process (this one) is running
    assert other_pid_folder.exists()
    busy.go.set()
    assert live.wait_idle(10)
    assert spooled(assistant) == []


def test_kept_and_dropped_frames_leave_no_spool_file(assistant: Assistant) -> None:
    ocr = HeldOcr()
    pipe = pipeline(assistant, ocr, queue_size=1)
    pipe.submit(frame(40, "2024-06-01T10:00:00Z"), dedup=False)  # taken by the worker
    deadline = threading.Event()
    while pipe.waiting:  # wait until the worker holds the first frame
        deadline.wait(0.01)
    pipe.submit(frame(80, "2024-06-01T10:00:02Z"), dedup=False)  # waits
    pipe.submit(frame(120, "2024-06-01T10:00:04Z"), dedup=False)  # drops the one waiting
    assert pipe.skipped == 1
    assert len(spooled(assistant)) == 4  # the frame being read and the newest
    ocr.go.set()
    assert pipe.wait_idle(10)
    assert [r[3] for r in stored(assistant)] == ["colour 40 10 200", "colour 120 10 200"]
    assert spooled(assistant) == []


def test_an_unreadable_leftover_is_removed_and_the_rest_kept(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashed_ocr = HeldOcr()
    crashed = pipeline(assistant, crashed_ocr)
    crashed.submit(frame(40, "2024-06-01T10:00:00Z"), dedup=False)
    crashed.submit(frame(80, "2024-06-01T10:00:02Z"), dedup=False)
    folder = assistant.storage.data_dir / "spool" / str(os.getpid())
    first_image = sorted(folder.glob("*.png"))[0]
    first_image.write_bytes(b"not a png")
    (folder / "orphan.png").write_bytes(b"image whose metadata never came")
    ocr = HeldOcr()
    ocr.go.set()
    after = pipeline(assistant, ocr)  # same pid: its own leftovers are recovered
    assert after.recover() == 1
    assert after.wait_idle(10)
    assert [r[3] for r in stored(assistant)] == ["colour 80 10 200"]
    assert spooled(assistant) == []
    crashed_ocr.crash = True
    crashed_ocr.go.set()


def test_a_full_disk_keeps_the_frame_in_memory(assistant: Assistant, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool folder should be")
    ocr = HeldOcr()
    ocr.go.set()
    pipe = ScreenPipeline(
        assistant.storage, assistant.embedder, ocr=ocr, spool=Spool(blocker / "spool")
    )
    pipe.submit(frame(40, "2024-06-01T10:00:00Z"), dedup=False)
    assert pipe.wait_idle(10)
    assert [r[3] for r in stored(assistant)] == ["colour 40 10 200"]


def test_submitting_never_waits_for_an_ocr_pass(assistant: Assistant) -> None:
    ocr = HeldOcr()
    pipe = pipeline(assistant, ocr, queue_size=4)
    pipe.submit(frame(40, "2024-06-01T10:00:00Z"))  # with dedup, as live capture
    while pipe.waiting:  # the worker is reading it and holds the OCR
        threading.Event().wait(0.01)
    started = time.monotonic()
    for n in range(1, 4):
        assert pipe.submit(frame(40 + 40 * n, f"2024-06-01T10:00:0{n}Z")) == "queued"
    assert time.monotonic() - started < 2  # the OCR pass is held for up to 10 s
    ocr.go.set()
    assert pipe.wait_idle(10)
    assert len(stored(assistant)) == 4


def test_forgetting_a_time_drops_its_frames_still_waiting_here_and_elsewhere(
    assistant: Assistant,
) -> None:
    here_ocr, there_ocr = HeldOcr(), HeldOcr()
    here = pipeline(assistant, here_ocr)  # this process's capture
    there = pipeline(assistant, there_ocr)  # as another process's, seen only by its spool
    here.submit(frame(40, "2024-06-01T10:00:00.000+00:00"), dedup=False)  # being read
    here.submit(frame(80, "2024-06-01T10:00:02.000+00:00", app="Terminal"), dedup=False)
    here.submit(frame(120, "2024-06-01T11:00:00.000+00:00"), dedup=False)  # later: stays
    there.submit(frame(160, "2024-06-01T10:00:03.000+00:00"), dedup=False)  # being read
    deadline = time.monotonic() + 5
    while (here.waiting, there.waiting) != (2, 0) and time.monotonic() < deadline:
        time.sleep(0.01)  # each worker took its first frame into OCR
    match = frames_in(ForgetScope(since="2024-06-01T09:00:00Z", until="2024-06-01T10:30:00Z"))
    assert here.forget_waiting(match) == 1  # the Terminal frame, from the queue
    assert Spool(assistant.storage.data_dir / "spool").forget(match) == 2  # being read
    here_ocr.go.set()
    there_ocr.go.set()
    assert here.wait_idle(10) and there.wait_idle(10)
    assert [row[2] for row in stored(assistant)] == ["title 120"]
    assert spooled(assistant) == []
    assert here.failed == there.failed == 0  # dropped, not failed
