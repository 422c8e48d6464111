"""Keeping one frame: WebP files on disk, then its row with text, embeddings and
the boxes of its sensitive text (see :func:`agents.privacy.sensitive_boxes`).

The files are written first and the row second, in one transaction; if the row
cannot be written the files are removed again, so no row ever points to a file
that was not written and no file outlives a failed insert.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from PIL import Image

from agents.embeddings import TextEmbedder
from agents.screens.frame import Frame, FrameForgotten
from storage import Storage
from storage.frames import FrameFiles
from storage.interface import UnitOfWork
from storage.kinds import SCREENSHOT, validate_fields
from storage.rows import new_id
from storage.screens import Box, encode_chunk_vectors

CHUNK_WORDS = 40
THUMB_WIDTH = 320
WEBP_METHOD = 2
"""libwebp effort (0-6): 2 is about three times faster than the default 4 on a
1080p screen for files a few per cent larger."""


@dataclass(frozen=True)
class StoredFrame:
    id: str
    at: str
    app: str
    title: str
    text: str
    image_path: str | None
    thumb_path: str | None


def encode_webp(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "WEBP", quality=quality, method=WEBP_METHOD)
    return buffer.getvalue()


def thumbnail(image: Image.Image) -> Image.Image:
    height = max(1, round(image.height * THUMB_WIDTH / max(1, image.width)))
    return image.convert("RGB").resize(
        (min(THUMB_WIDTH, image.width), height), Image.Resampling.BILINEAR
    )


def date_words(stored_time: str) -> str:
    moment = datetime.fromisoformat(stored_time.replace("Z", "+00:00"))
    return moment.strftime("%A %d %B %Y %H:%M").replace(" 0", " ")


def chunk_spans(text: str) -> list[tuple[int, int]]:
    """Where the chunks of a screen's text are: ``(first, end)`` line indexes of
    runs of whole lines of about CHUNK_WORDS words, in reading order."""
    spans: list[tuple[int, int]] = []
    first = words = 0
    lines = text.splitlines()
    for number, line in enumerate(lines):
        words += len(line.split())
        if words >= CHUNK_WORDS:
            spans.append((first, number + 1))
            first, words = number + 1, 0
    if first < len(lines):
        spans.append((first, len(lines)))
    return spans


def screen_chunks(app: str, title: str, text: str) -> list[str]:
    """The pieces of a screen the text embedder reads: the chunks of
    :func:`chunk_spans`, the first led by the window's title and app (the
    embedder truncates long input, and a full screen holds several topics)."""
    head = " — ".join(p for p in (title, app) if p and p != "unknown")
    lines = text.splitlines()
    chunks = [" ".join(lines[first:end]) for first, end in chunk_spans(text)]
    if head:
        chunks = [f"{head}: {chunks[0]}" if chunks else f"{head}:", *chunks[1:]]
    return chunks or ["(a screen without text)"]


@dataclass(frozen=True)
class ScreenVectors:
    screen: npt.NDArray[np.float32]
    """The normalised mean of the chunks' vectors: every part of a long screen
    counts (measured against one vector of the whole text on
    tests/bench/screens_websrc.py). The vector index holds this one."""
    chunks: npt.NDArray[np.float32]
    """One row per chunk: search also scores a screen by its closest chunk, for a
    question about one part of it (tests/bench/screens_locomo.py)."""


def embed_screen(embedder: TextEmbedder, app: str, title: str, text: str) -> ScreenVectors:
    vectors = np.asarray(embedder.embed(screen_chunks(app, title, text)), dtype=np.float32)
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm == 0.0 or not np.isfinite(norm):
        mean, norm = vectors[0], 1.0
    return ScreenVectors(screen=(mean / norm).astype(np.float32), chunks=vectors)


def add_chunk_vectors(
    storage: Storage,
    embedder: TextEmbedder,
    *,
    batch: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Give the screenshots kept before schema v6 their chunk embeddings, from the
    OCR text they already have (no OCR again), ``batch`` rows per transaction: an
    interrupted run keeps what it wrote and the next one goes on from there.
    Returns how many screenshots were done."""
    total = storage.screenshots.count_without_chunk_vectors()
    done = last = 0
    if progress is not None:
        progress(0, total)
    while True:
        rows = storage.screenshots.without_chunk_vectors(last, batch)
        if not rows:
            return done
        blobs = [
            (
                int(r["rowid"]),
                encode_chunk_vectors(
                    embed_screen(
                        embedder, r["app"] or "", r["window_title"] or "", r["ocr_text"]
                    ).chunks
                ),
            )
            for r in rows
        ]
        storage.transaction(functools.partial(_fill_chunk_embeddings, blobs))
        done += len(rows)
        last = int(rows[-1]["rowid"])
        if progress is not None:
            progress(min(done, total), total)


def _fill_chunk_embeddings(blobs: list[tuple[int, bytes]], work: UnitOfWork) -> None:
    work.screenshots.fill_chunk_embeddings(blobs)


def keep_frame(
    storage: Storage,
    files: FrameFiles,
    frame: Frame,
    *,
    text: str,
    text_vectors: ScreenVectors,
    image_vector: npt.NDArray[np.float32] | None,
    phash: str,
    quality: int,
    sensitive_boxes: Sequence[Box],
    wanted: Callable[[], bool] | None = None,
) -> StoredFrame | None:
    """Write the frame's files and row; None when its external id was stored by
    another process meanwhile (a second import of one manifest): nothing is kept.
    ``wanted`` is asked inside the row's transaction (so after it, or never, a
    forget runs): False drops the frame (:class:`FrameForgotten`), files and all."""
    values = validate_fields(
        SCREENSHOT,
        {
            "external_id": frame.external_id,
            "at": frame.at,
            "monitor": frame.monitor,
            "app": frame.app or "unknown",
            "window_title": frame.title,
            "phash": phash,
            "width": frame.image.width,
            "height": frame.image.height,
            "ocr_text": text,
        },
    )
    item_id = new_id(SCREENSHOT)
    day = values["at"][:10]
    image_path = files.write(f"{item_id}.webp", day, encode_webp(frame.image, quality))
    try:
        thumb_path = files.write(
            f"{item_id}.thumb.webp", day, encode_webp(thumbnail(frame.image), quality)
        )
    except BaseException:
        files.remove(image_path)
        raise
    values |= {"image_path": image_path, "thumb_path": thumb_path}

    def write(work: UnitOfWork) -> bool:
        if wanted is not None and not wanted():
            raise FrameForgotten(f"The frame at {frame.at} was forgotten before it was kept.")
        ext = frame.external_id
        if ext and work.screenshots.existing_external_ids([ext]):
            return False
        work.screenshots.insert_frame(
            values,
            item_id=item_id,
            embedding=text_vectors.screen,
            context=date_words(values["at"]),
            chunk_embeddings=encode_chunk_vectors(text_vectors.chunks),
            image_embedding=image_vector,
            sensitive_boxes=sensitive_boxes,
        )
        return True

    kept = False
    try:
        kept = storage.transaction(write)
    finally:
        if not kept:
            files.remove(image_path)
            files.remove(thumb_path)
    if not kept:
        return None
    return StoredFrame(
        item_id, values["at"], values["app"], frame.title, text, image_path, thumb_path
    )
