"""The capture thread: states, pause and resume, environment pauses, stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from agents.capture import CaptureEvent, ExclusionRules, PauseFlag, Scheduler
from agents.capture.capturer import Capturer
from agents.capture.service import CaptureService
from agents.screens.frame import Frame
from tests.fake_screen import FakeScreen, screen_with

GB = 1024**3


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class Rig:
    def __init__(self, tmp_path: Path, sink: Callable[[Frame], str | None] | None = None) -> None:
        self.screen = FakeScreen()
        self.frames: list[Frame] = []
        self.events: list[CaptureEvent] = []
        self.free = 100 * GB
        self.lock = threading.Lock()

        def keep(frame: Frame) -> str | None:
            self.frames.append(frame)
            return None

        capturer = Capturer(
            grabber=self.screen,
            probe=self.screen,
            rules=ExclusionRules([], []),
            sink=sink or keep,
            scheduler=Scheduler(interval_s=0.01, max_interval_s=0.04, keyframe_s=300.0),
            data_dir=tmp_path,
            free_bytes=lambda _: self.free,
        )
        self.service = CaptureService(capturer, on_event=self.events.append)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


def test_start_capture_and_stop(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    assert rig.service.state == "stopped"
    rig.service.start()
    assert rig.service.state == "capturing"
    wait_until(lambda: len(rig.screen.grabs) >= 3)  # the screen is static: backed off
    rig.screen.images[1] = screen_with(["something new appeared"])
    wait_until(lambda: len(rig.frames) == 2)
    rig.service.stop()
    assert rig.service.state == "stopped"
    assert rig.screen.closed
    assert rig.kinds()[0] == "started" and rig.kinds()[-1] == "stopped"
    assert rig.kinds().count("kept") == 2
    assert rig.service.kept == 2


def test_pause_and_resume(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.service.start()
    wait_until(lambda: len(rig.frames) == 1)
    rig.service.pause()
    assert rig.service.state == "paused"  # at once, for the tray
    assert rig.service.reason == "paused by the user"
    grabs = len(rig.screen.grabs)
    time.sleep(0.1)  # ten intervals: none may grab
    assert len(rig.screen.grabs) == grabs
    rig.service.resume()
    assert rig.service.state == "capturing"
    wait_until(lambda: len(rig.screen.grabs) > grabs)
    rig.service.stop()
    assert rig.kinds().count("paused") == 1 and rig.kinds().count("resumed") == 1


def test_pause_file_from_another_process_pauses_a_running_service(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.service.start()
    wait_until(lambda: len(rig.frames) == 1)
    PauseFlag(tmp_path).set("paused with mirix-app capture pause")
    wait_until(lambda: rig.service.state == "paused")
    assert rig.service.reason == "paused with mirix-app capture pause"
    rig.service.stop()


def test_full_disk_pauses_with_a_reason_and_resumes_when_freed(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.free = 10 * 1024**2
    rig.service.start()
    wait_until(lambda: rig.service.state == "paused")
    assert "is full" in rig.service.reason
    assert rig.screen.grabs == [] and rig.frames == []
    rig.free = 100 * GB
    wait_until(lambda: rig.service.state == "capturing" and len(rig.frames) == 1)
    rig.service.stop()
    assert "resumed" in rig.kinds()


def test_all_monitors_gone_pauses_and_a_replug_resumes(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.screen.unplugged.add(1)
    rig.service.start()
    wait_until(lambda: rig.service.state == "paused")
    assert "No monitor is connected" in rig.service.reason
    rig.screen.unplugged.clear()
    wait_until(lambda: len(rig.frames) == 1)
    assert rig.service.state == "capturing"
    rig.service.stop()


def test_a_bug_is_an_error_state_not_a_silent_hang(tmp_path: Path) -> None:
    def broken(frame: Frame) -> str | None:
        raise RuntimeError("sink exploded")

    rig = Rig(tmp_path, sink=broken)
    rig.service.start()
    assert rig.service.wait_stopped(10)
    assert rig.service.state == "error"
    assert "sink exploded" in rig.service.reason
    assert rig.kinds()[-1] == "error"


def test_resume_after_an_error_starts_again(tmp_path: Path) -> None:
    calls = []

    def flaky(frame: Frame) -> str | None:
        calls.append(frame)
        if len(calls) == 1:
            raise RuntimeError("sink exploded once")
        return None

    rig = Rig(tmp_path, sink=flaky)
    rig.service.start()
    assert rig.service.wait_stopped(10)
    assert rig.service.state == "error"
    rig.service.resume()
    wait_until(lambda: len(calls) == 2)
    assert rig.service.state == "capturing"
    rig.service.stop()
    assert rig.service.state == "stopped"
