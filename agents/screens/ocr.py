"""OCR of screen frames with rapidocr on onnxruntime (models ship in the wheel).

:class:`RapidOcr` reads a whole image or a crop of it. :class:`IncrementalOcr`
remembers the last frame it read per monitor and, when only a small part of the
screen changed, reads just the changed regions and keeps the earlier lines
outside them: a typed line costs a crop, not a full-screen pass.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image

from agents.errors import ModelUnavailableError
from agents.screens.dedup import Fingerprint, changed_regions

Box = tuple[int, int, int, int]

CHANGED_AREA_MAX = 0.5
"""Read only the changed regions while they cover at most this share of the
frame; past it one full pass is cheaper than many crops."""
MIN_SCORE = 0.5
REGION_PAD = 12
"""Pixels added around a region read alone: text detection needs a margin."""


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: Box
    """(left, top, right, bottom) in frame pixels."""
    score: float


class OcrEngine(Protocol):
    name: str

    def read(self, image: Image.Image) -> list[OcrLine]: ...


class RapidOcr:
    """rapidocr with text-direction classification off (screens are upright)."""

    name = "rapidocr"

    def __init__(self) -> None:
        self._engine: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        with self._lock:
            if self._engine is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError as exc:
                    raise ModelUnavailableError(
                        "OCR needs rapidocr and onnxruntime: pip install rapidocr onnxruntime"
                    ) from exc
                self._engine = RapidOCR(
                    params={
                        "Global.use_cls": False,
                        "Global.log_level": "critical",
                        # rapidocr's default scales every image UP to 736 px on its short
                        # side: a 60 px strip of changed screen became a huge image (4.5 s
                        # instead of 0.13 s). Only scale down, past 4096 px; WebSRC answer
                        # recall is unchanged (96.7) and a full pass is faster too.
                        "Det.limit_type": "max",
                        "Det.limit_side_len": 4096,
                    }
                )
                logging.getLogger("RapidOCR").setLevel(logging.CRITICAL)
            return self._engine

    def read(self, image: Image.Image) -> list[OcrLine]:
        engine = self.load()
        result = engine(image.convert("RGB"))
        texts = result.txts or ()
        boxes = result.boxes if result.boxes is not None else ()
        scores = result.scores or ()
        lines: list[OcrLine] = []
        for text, points, score in zip(texts, boxes, scores, strict=False):
            if float(score) < MIN_SCORE or not str(text).strip():
                continue
            xs = [float(p[0]) for p in points]
            ys = [float(p[1]) for p in points]
            box = (int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1)
            lines.append(OcrLine(str(text).strip(), box, float(score)))
        return lines


def return_freed_memory() -> None:
    """A full-screen detection pass allocates ~300 MB of intermediate tensors (and
    embedding the text some more); glibc keeps the freed pages, so a capturing app
    would sit at its peak for good. Hand them back to the system after each frame
    (measured on one OCR pass: 400 -> 170 MB resident)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim  # noqa: B018  (musl and others lack it)
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _load_libc()


def reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top to bottom, then left to right within a row of text."""
    if not lines:
        return []
    height = sorted(line.box[3] - line.box[1] for line in lines)[len(lines) // 2]
    band = max(4, height // 2)
    return sorted(lines, key=lambda ln: ((ln.box[1] + ln.box[3]) // 2 // band, ln.box[0]))


def lines_text(lines: list[OcrLine]) -> str:
    return "\n".join(line.text for line in reading_order(lines))


@dataclass
class _Seen:
    fingerprint: Fingerprint
    lines: list[OcrLine]


class IncrementalOcr:
    """OCR that reads only what changed since the last frame of the same monitor."""

    def __init__(self, engine: OcrEngine) -> None:
        self.engine = engine
        self._seen: dict[int | None, _Seen] = {}
        self.full_reads = 0
        self.region_reads = 0

    def read(
        self, image: Image.Image, fingerprint: Fingerprint, monitor: int | None
    ) -> list[OcrLine]:
        previous = self._seen.get(monitor)
        regions = changed_regions(previous.fingerprint if previous else None, fingerprint)
        area = sum((r - left) * (b - t) for left, t, r, b in regions)
        if previous is None or area > CHANGED_AREA_MAX * image.width * image.height:
            lines = self.engine.read(image)
            self.full_reads += 1
        else:
            regions = _whole_lines(regions, previous.lines, image.size)
            lines = [ln for ln in previous.lines if not any(_overlaps(ln.box, r) for r in regions)]
            for region in regions:
                lines.extend(_shifted(self.engine.read(image.crop(region)), region))
            self.region_reads += 1
        self._seen[monitor] = _Seen(fingerprint, lines)
        return lines

    def forget(self) -> None:
        self._seen.clear()


def _whole_lines(regions: list[Box], lines: list[OcrLine], size: tuple[int, int]) -> list[Box]:
    """Grow the regions until no earlier line is cut by one (a crop through the
    middle of a line reads half words), pad them, and merge the ones that meet.

    The padding stops short of the lines next to a region: padding into them
    would cut them too, and growing to take them in would cascade through a
    whole page of closely spaced lines (a 12 px pad spans the gap between lines
    of most screen text)."""
    grown = _grow(list(regions), lines)
    return _grow([_pad_clear(r, lines, size) for r in grown], lines)


def _grow(regions: list[Box], lines: list[OcrLine]) -> list[Box]:
    """Take in every line a region cuts, and merge regions that meet."""
    grown = list(regions)
    changed = True
    while changed:
        changed = False
        for i, region in enumerate(grown):
            for line in lines:
                if _overlaps(line.box, region) and not _inside(line.box, region):
                    region = _union(region, line.box)
                    changed = True
            for j in range(len(grown)):
                if j != i and grown[j] != region and _overlaps(grown[j], region):
                    region = _union(region, grown[j])
                    grown[j] = region
                    changed = True
            grown[i] = region
        grown = sorted(set(grown))
        grown = [r for r in grown if not any(o != r and _inside(r, o) for o in grown)]
    return grown


def _pad_clear(region: Box, lines: list[OcrLine], size: tuple[int, int]) -> Box:
    """``region`` padded by up to REGION_PAD on each side, but never into a line
    that lies outside it."""
    left, top, right, bottom = region
    pads = [REGION_PAD] * 4
    for line in lines:
        x0, y0, x1, y1 = line.box
        if _overlaps(line.box, region):
            continue
        beside_h = y0 < bottom + REGION_PAD and top - REGION_PAD < y1
        beside_v = x0 < right + REGION_PAD and left - REGION_PAD < x1
        if beside_v and y1 <= top:
            pads[1] = min(pads[1], top - y1)
        if beside_v and y0 >= bottom:
            pads[3] = min(pads[3], y0 - bottom)
        if beside_h and x1 <= left:
            pads[0] = min(pads[0], left - x1)
        if beside_h and x0 >= right:
            pads[2] = min(pads[2], x0 - right)
    return (
        max(0, left - pads[0]),
        max(0, top - pads[1]),
        min(size[0], right + pads[2]),
        min(size[1], bottom + pads[3]),
    )


def _inside(a: Box, b: Box) -> bool:
    return b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _shifted(lines: list[OcrLine], region: Box) -> list[OcrLine]:
    dx, dy = region[0], region[1]
    return [
        OcrLine(ln.text, (ln.box[0] + dx, ln.box[1] + dy, ln.box[2] + dx, ln.box[3] + dy), ln.score)
        for ln in lines
    ]
