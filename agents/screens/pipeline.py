"""The screen pipeline: dedup -> OCR -> embeddings -> image files and row ->
batches for the memory agents.

Two ways in. :meth:`ScreenPipeline.submit` is for live capture: it decides
dedup at once (about 2 ms) and hands the frame to a background worker through a
bounded queue, so capture never waits for OCR; when OCR falls behind, the
oldest waiting frame is dropped (the newest are kept) and counted in
``skipped``. :meth:`ScreenPipeline.process` does the same work in the caller's
thread (imports, tests). With a :class:`Spool`, a queued frame is also written
to disk until it is kept, and :meth:`ScreenPipeline.recover` keeps what a crash
left there.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from agents.embeddings import TextEmbedder
from agents.privacy import sensitive_boxes
from agents.screens.batching import ScreenBatcher
from agents.screens.clip import ClipEmbedder
from agents.screens.dedup import Fingerprint, fingerprint, is_near_duplicate
from agents.screens.frame import Frame, FrameError, FrameForgotten, check_size
from agents.screens.ocr import (
    IncrementalOcr,
    OcrEngine,
    RapidOcr,
    lines_text,
    reading_order,
    return_freed_memory,
)
from agents.screens.spool import FrameMatch, Spool
from agents.screens.store import StoredFrame, embed_screen, keep_frame
from storage import Storage
from storage.kinds import parse_time

log = logging.getLogger(__name__)

Outcome = Literal["kept", "duplicate", "exists", "queued"]


@dataclass(frozen=True)
class FrameResult:
    outcome: Outcome
    stored: StoredFrame | None = None


@dataclass(frozen=True)
class _Queued:
    frame: Frame
    print_: Fingerprint
    spooled: Path | None
    """Its image in the spool, removed once the frame is kept, dropped or refused."""


@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    quality: int = 80
    budget_bytes: int = 10 * 1024**3
    queue_size: int = 8
    batch_items: int | None = None
    """Kept frames per batch for the memory agents; None: no batches (no LLM)."""
    batch_minutes: float = 10.0


class ScreenPipeline:
    def __init__(
        self,
        storage: Storage,
        embedder: TextEmbedder,
        *,
        config: PipelineConfig | None = None,
        config_source: Callable[[], PipelineConfig] | None = None,
        ocr: OcrEngine | None = None,
        clip: ClipEmbedder | None = None,
        spool: Spool | None = None,
    ) -> None:
        self.storage = storage
        self.spool = spool
        self.embedder = embedder
        self.config = config or PipelineConfig()
        self._config_source = config_source
        """Asked before each frame and batch poll: quality, budget and batching
        follow the settings of a running pipeline."""
        self._sourced = self.config
        self.ocr = IncrementalOcr(ocr or RapidOcr())
        self.clip = clip
        self.files = storage.frame_files()
        self.batcher: ScreenBatcher | None = None
        self._fit_batcher()
        self.skipped = 0
        """Frames dropped because OCR fell behind (the newest were kept)."""
        self.failed = 0
        self.last_error: str | None = None
        self._last: dict[int | None, Fingerprint] = {}
        # Two locks: capture's dedup decision (``_last``) must never wait for an OCR
        # pass of the worker, which holds ``_ocr_lock`` for a second or more.
        self._dedup_lock = threading.Lock()
        self._ocr_lock = threading.Lock()
        self._queue: deque[_Queued] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._worker: threading.Thread | None = None
        self._closed = False
        self._recovered = False
        self._forgotten: list[FrameMatch] = []
        """What the user forgot while frames waited: a frame it picks is not kept."""

    # -- live capture --------------------------------------------------------------------

    def submit(self, frame: Frame, *, dedup: bool = True) -> Outcome:
        """Queue a captured frame for OCR and storage; returns at once."""
        print_ = self._admit(frame, dedup)
        if print_ is None:
            return "duplicate"
        if self._closed:
            raise FrameError("The screen pipeline is closed.")
        spooled = self.spool.put(frame) if self.spool is not None else None
        dropped: _Queued | None = None
        with self._cond:
            if len(self._queue) >= self.config.queue_size:
                dropped = self._queue.popleft()
                self.skipped += 1
            self._enqueue(_Queued(frame, print_, spooled))
        if dropped is not None and self.spool is not None:
            self.spool.remove(dropped.spooled)
        return "queued"

    def recover(self) -> int:
        """Queue the frames a crashed capture left in the spool (kept with their own
        times, no dedup); how many. Once per pipeline: later its own frames are
        in the spool, queued already."""
        if self.spool is None or self._recovered:
            return 0
        self._recovered = True
        found = self.spool.pending()
        with self._cond:
            for path, frame in found:
                self._enqueue(_Queued(frame, fingerprint(frame.image), path))
        if found:
            log.warning("Reading %d captured frame(s) left over from a crash.", len(found))
        return len(found)

    def _enqueue(self, item: _Queued) -> None:
        """Append under ``self._cond`` and make sure the worker runs."""
        if self._closed:
            raise FrameError("The screen pipeline is closed.")
        self._queue.append(item)
        self._cond.notify_all()
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name="screen-ocr", daemon=True)
            self._worker.start()

    def forget_waiting(self, match: FrameMatch) -> int:
        """Drop the waiting frames ``match`` picks (by time and application), and
        any such frame still on its way (the one being read); returns how many were
        waiting. Their spool files go with :meth:`Spool.forget`."""
        with self._cond:
            self._forgotten.append(match)
            dropped = [q for q in self._queue if match(q.frame.at, q.frame.app)]
            for item in dropped:
                self._queue.remove(item)
            self._cond.notify_all()
        if self.spool is not None:
            for item in dropped:
                self.spool.remove(item.spooled)
        return len(dropped)

    def _wanted(self, item: _Queued) -> bool:
        """Still to be kept: not forgotten since it was queued."""
        if not Spool.wanted(item.spooled):
            return False
        with self._cond:
            return not any(match(item.frame.at, item.frame.app) for match in self._forgotten)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued frame is kept (True) or ``timeout`` passes (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)

    def close(self) -> None:
        """Finish the queued frames, then stop the worker."""
        self.wait_idle()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return
                item = self._queue.popleft()
                self._busy = True
            try:
                self._keep(item.frame, item.print_, wanted=functools.partial(self._wanted, item))
            except FrameForgotten:
                log.info("a frame forgotten while it waited for OCR was not kept")
            except Exception as exc:  # the worker must outlive one bad frame
                self.failed += 1
                self.last_error = str(exc)
                log.warning("screen frame at %s not kept: %s", item.frame.at, exc)
            finally:
                if self.spool is not None:
                    self.spool.remove(item.spooled)
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    # -- direct --------------------------------------------------------------------------

    def process(self, frame: Frame, *, dedup: bool = True) -> FrameResult:
        """Dedup, OCR, embed and keep ``frame`` now (raises FrameError for a bad one)."""
        if frame.external_id and self.storage.screenshots.existing_external_ids(
            [frame.external_id]
        ):
            return FrameResult("exists")
        print_ = self._admit(frame, dedup)
        if print_ is None:
            return FrameResult("duplicate")
        stored = self._keep(frame, print_)
        return FrameResult("kept", stored) if stored is not None else FrameResult("exists")

    @property
    def batches_queued(self) -> int:
        return self.batcher.queued if self.batcher else 0

    def poll_batches(self) -> int:
        """Queue the batches that are due (for a timer while the screen is static:
        ``batch_minutes`` counts even when no frame arrives)."""
        self._follow_config()
        return self.batcher.poll() if self.batcher else 0

    def flush_batches(self) -> int:
        """Queue whatever frames still wait for a batch (end of an import)."""
        self._follow_config()
        return self.batcher.poll(force=True) if self.batcher else 0

    def _follow_config(self) -> None:
        """Take up what changed in the settings since the last look."""
        if self._config_source is None:
            return
        fresh = self._config_source()
        if fresh == self._sourced:
            return
        self._sourced = fresh
        self.config = replace(
            self.config,
            quality=fresh.quality,
            budget_bytes=fresh.budget_bytes,
            batch_items=fresh.batch_items,
            batch_minutes=fresh.batch_minutes,
        )
        self._fit_batcher()

    def _fit_batcher(self) -> None:
        """A batcher exactly when batches are made (an LLM is configured), with the
        current batch size and age."""
        items = self.config.batch_items
        if not items:
            self.batcher = None
        elif self.batcher is None:
            self.batcher = ScreenBatcher(
                self.storage, batch_items=items, batch_minutes=self.config.batch_minutes
            )
        else:
            self.batcher.batch_items = max(1, items)
            self.batcher.batch_seconds = self.config.batch_minutes * 60.0

    # -- the work ------------------------------------------------------------------------

    def _admit(self, frame: Frame, dedup: bool) -> Fingerprint | None:
        """The frame's fingerprint, or None when it repeats the last kept frame."""
        check_size(frame.image.width, frame.image.height, "The frame")
        parse_time(frame.at, what="The frame's time")
        print_ = fingerprint(frame.image)
        with self._dedup_lock:
            if dedup and is_near_duplicate(self._last.get(frame.monitor), print_):
                return None
            self._last[frame.monitor] = print_
        return print_

    def _keep(
        self, frame: Frame, print_: Fingerprint, *, wanted: Callable[[], bool] | None = None
    ) -> StoredFrame | None:
        self._follow_config()
        with self._ocr_lock:
            lines = self.ocr.read(frame.image, print_, frame.monitor)
        text = lines_text(lines)
        # Where the frame shows what redaction hides from a prompt: blacked out if
        # the image is ever sent as a key frame (vision_key_frames).
        boxes = sensitive_boxes([(ln.text, ln.box) for ln in reading_order(lines)])
        vectors = embed_screen(self.embedder, frame.app, frame.title, text)
        image_vector = self.clip.embed_images([frame.image])[0] if self.clip else None
        stored = keep_frame(
            self.storage,
            self.files,
            frame,
            text=text,
            text_vectors=vectors,
            image_vector=image_vector,
            phash=difference_hash(frame.image),
            quality=self.config.quality,
            sensitive_boxes=boxes,
            wanted=wanted,
        )
        self.files.enforce_budget(self.config.budget_bytes)
        if self.batcher is not None:
            self.batcher.poll()
        return_freed_memory()
        return stored


def difference_hash(image: Image.Image) -> str:
    """A 64-bit perceptual hash (dHash) as 16 hex digits."""
    small = np.asarray(image.convert("L").resize((9, 8), Image.Resampling.BILINEAR), dtype=np.int16)
    bits = (small[:, 1:] > small[:, :-1]).reshape(-1)
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"
