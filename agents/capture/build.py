"""Building capture from the settings and handing its frames to the screen pipeline.

The Assistant calls :func:`capture_once` and :func:`capture_service`; the grabber
and window probe come from the session (:mod:`agents.capture.session`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from agents.capture.capturer import Capturer, FrameSink, Seed, monitors_from_settings
from agents.capture.errors import CaptureError
from agents.capture.events import CaptureResult
from agents.capture.own import OwnWindows
from agents.capture.rules import ExclusionRules
from agents.capture.scheduler import Scheduler
from agents.capture.service import CaptureService, EventHandler
from agents.capture.session import (
    OPT_IN_SETTING,
    CaptureBackend,
    check_windows_known,
    open_backend,
)
from agents.screens.dedup import Fingerprint, fingerprint
from agents.screens.frame import Frame, FrameError, open_image
from agents.screens.pipeline import ScreenPipeline
from agents.settings import Settings, SettingsSource
from storage import Storage


def scheduler_from_settings(settings: Settings) -> Scheduler:
    return Scheduler(
        interval_s=settings.number("capture_interval_s"),
        max_interval_s=settings.number("capture_max_interval_s"),
        keyframe_s=settings.number("capture_keyframe_s"),
    )


def build_capturer(
    storage: Storage,
    settings: SettingsSource,
    sink: FrameSink,
    *,
    backend: CaptureBackend | None = None,
    clock: Callable[[], float] = time.time,
    free_bytes: Callable[[Path], int] | None = None,
    own: OwnWindows | None = None,
) -> Capturer:
    """A capturer on ``backend`` (else the session's, see :func:`open_backend`) that
    follows ``settings`` as they change (exclusions, timings, monitors apply from the
    next grab); where the windows shown cannot be identified, WindowsUnknownError
    unless the user chose to capture anyway (``capture_without_window_rules``)."""
    now = settings.current()
    rules = ExclusionRules.from_settings(now)  # a bad pattern fails before any grab
    monitors = monitors_from_settings(now)
    backend = backend or open_backend()
    try:
        check_windows_known(backend, now.flag(OPT_IN_SETTING))
    except CaptureError:
        backend.close()
        raise
    return Capturer(
        grabber=backend.grabber,
        probe=backend.probe,
        rules=rules,
        sink=sink,
        scheduler=scheduler_from_settings(now),
        data_dir=storage.data_dir,
        monitors=monitors,
        seed=seed_from_storage(storage),
        clock=clock,
        free_bytes=free_bytes,
        settings=settings,
        own=own,
    )


def stored_sink(pipeline: ScreenPipeline) -> FrameSink:
    """Keep each frame now (OCR included) and return its screenshot id."""

    def keep(frame: Frame) -> str | None:
        result = pipeline.process(frame, dedup=False)
        return result.stored.id if result.stored is not None else None

    return keep


def queued_sink(pipeline: ScreenPipeline) -> FrameSink:
    """Queue each frame for the pipeline's OCR worker: capture never waits for OCR."""

    def queue(frame: Frame) -> str | None:
        pipeline.submit(frame, dedup=False)
        return None

    return queue


def seed_from_storage(storage: Storage) -> Seed:
    """The last stored frame of a monitor, so a new process (``capture once``) still
    skips a screen it already kept."""

    def seed(monitor: int) -> tuple[Fingerprint, float] | None:
        last = storage.screenshots.last_kept_on(monitor)
        if last is None:
            return None
        try:
            image = open_image(storage.data_dir / str(last["image_path"]))
        except FrameError:
            return None  # deleted for the budget, or damaged: compare with nothing
        at = datetime.fromisoformat(str(last["at"]).replace("Z", "+00:00"))
        return fingerprint(image), at.timestamp()

    return seed


def capture_once(capturer: Capturer) -> CaptureResult:
    try:
        return capturer.grab_once()
    finally:
        capturer.close()


def capture_service(capturer: Capturer, on_event: EventHandler | None = None) -> CaptureService:
    return CaptureService(capturer, on_event=on_event)
