"""The screenshot side of the Assistant: one pipeline per data directory, built
from the settings on first use, plus import, search, activity and disk use."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from agents.embeddings import TextEmbedder
from agents.errors import AgentError
from agents.screens.clip import UNAVAILABLE, ClipEmbedder, clip_from_settings
from agents.screens.importer import Progress, ScreenImportReport, import_manifest
from agents.screens.ocr import OcrEngine
from agents.screens.pipeline import PipelineConfig, ScreenPipeline
from agents.screens.search import ScreenHit, activity, screen_filter, search_screens
from agents.screens.spool import SPOOL_DIR, FrameMatch, Spool
from agents.screens.store import add_chunk_vectors
from agents.settings import Settings, SettingsSource
from storage import ForgetScope, InvalidInputError, ScreenSearchParams, Storage
from storage.frames import FrameFiles
from storage.kinds import parse_time

GB = 1024**3


class ScreenService:
    def __init__(
        self,
        storage: Storage,
        embedder: TextEmbedder,
        settings: SettingsSource,
        *,
        ocr: OcrEngine | None = None,
        clip: ClipEmbedder | None = None,
    ) -> None:
        self.storage = storage
        self.embedder = embedder
        self._settings = settings
        self._ocr = ocr
        now = settings.current()
        self.clip = clip or clip_from_settings(now.text("clip_checkpoint"), now.text("clip_model"))
        self.params = ScreenSearchParams()
        self._pipeline: ScreenPipeline | None = None
        self._lock = threading.Lock()

    @property
    def settings(self) -> Settings:
        return self._settings.current()

    def config(self) -> PipelineConfig:
        """The pipeline's settings now; the pipeline asks again before each frame."""
        s = self.settings
        quality = s.integer("screenshot_quality")
        if not 1 <= quality <= 100:
            raise AgentError(f"screenshot_quality must be 1 to 100, got {quality}.")
        return PipelineConfig(
            quality=quality,
            budget_bytes=int(s.number("storage_budget_gb") * GB),
            # As for imported messages: batches only when an LLM will absorb them.
            batch_items=s.integer("batch_items") if s.llm() is not None else None,
            batch_minutes=s.number("batch_minutes"),
        )

    def pipeline(self) -> ScreenPipeline:
        with self._lock:
            if self._pipeline is None:
                self._pipeline = ScreenPipeline(
                    self.storage,
                    self.embedder,
                    config=self.config(),
                    config_source=self.config,
                    ocr=self._ocr,
                    clip=self.clip,
                    spool=Spool(self.storage.data_dir / SPOOL_DIR),
                )
            return self._pipeline

    def forget_waiting(self, scope: ForgetScope) -> int:
        """Drop the captured frames of ``scope``'s time and application that are not
        stored yet: waiting for OCR in this process, or in the spool of any (the
        desktop app and a ``capture run`` do not keep a frame whose spool file is
        gone). Returns how many were dropped."""
        match = frames_in(scope)
        pipeline = self._pipeline
        waiting = pipeline.forget_waiting(match) if pipeline is not None else 0
        return waiting + Spool(self.storage.data_dir / SPOOL_DIR).forget(match)

    def files(self) -> FrameFiles | None:
        """The running pipeline's image files (it counts their bytes), if any."""
        return self._pipeline.files if self._pipeline is not None else None

    def poll_batches(self) -> int:
        """Queue the frame batches that are due, on a pipeline already running
        (none running: no frames were kept in this process, so nothing is new)."""
        pipeline = self._pipeline
        return pipeline.poll_batches() if pipeline is not None else 0

    def import_manifest(
        self, manifest: Path, *, dedup: bool = True, progress: Progress | None = None
    ) -> ScreenImportReport:
        pipeline = self.pipeline()
        self.embedder.load()
        return import_manifest(pipeline, manifest, dedup=dedup, progress=progress)

    def search(
        self,
        query: str,
        *,
        since: str | None = None,
        until: str | None = None,
        app: str | None = None,
        limit: int = 20,
        asked_at: datetime | None = None,
    ) -> list[ScreenHit]:
        return search_screens(
            self.storage,
            self.embedder,
            query,
            where=screen_filter(since, until, app),
            limit=limit,
            clip=self.clip,
            params=self.params,
            asked_at=asked_at,
        )

    def reindex(self, progress: Progress | None = None) -> int:
        """Chunk embeddings for the screenshots kept before schema v6 (see
        :func:`agents.screens.store.add_chunk_vectors`); how many were done."""
        return add_chunk_vectors(self.storage, self.embedder, progress=progress)

    def activity(self, since: str | None, until: str | None) -> list[tuple[str, str, int]]:
        return activity(self.storage, since, until)

    def usage(self) -> dict[str, Any]:
        budget = int(self.settings.number("storage_budget_gb") * GB)
        pipeline = self._pipeline
        files = pipeline.files if pipeline else self.storage.frame_files()
        use = files.usage(budget)
        return {
            "image_bytes": use.image_bytes,
            "budget_bytes": use.budget_bytes,
            "with_images": use.images,
            "images_deleted_for_budget": use.evicted,
            "image_search": "available" if self.clip else UNAVAILABLE,
            "ocr_skipped_behind": pipeline.skipped if pipeline else 0,
        }

    def close(self) -> None:
        if self._pipeline is not None:
            self._pipeline.close()


def frames_in(scope: ForgetScope) -> FrameMatch:
    """Picks a frame (by its time and application) that ``scope`` forgets; a frame
    whose time cannot be read is picked (forgetting errs towards forgetting)."""

    def match(at: str, app: str) -> bool:
        try:
            moment = parse_time(at)
        except InvalidInputError:
            return True
        if (scope.since and moment < scope.since) or (scope.until and moment > scope.until):
            return False
        return not scope.app or scope.app.lower() in app.lower()

    return match
