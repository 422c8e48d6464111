"""OCR of screen frames with rapidocr on onnxruntime (models ship in the wheel).

:class:`RapidOcr` reads a whole image or a crop of it. :class:`IncrementalOcr`
remembers the last frame it read per monitor and, when only a small part of the
screen changed, reads just the changed regions and keeps the earlier lines
outside them: a typed line costs a crop, not a full-screen pass. When the
content scrolled, it moves the earlier lines by the shift and reads only the
strip that scrolled into view: a scrolled page costs that strip, not the page.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from PIL import Image

from agents.errors import ModelUnavailableError
from agents.screens.dedup import Fingerprint, changed_regions, find_scroll, luma
from agents.screens.frame import FrameError
from agents.screens.ocr_bands import MAX_READ_SIDE, bands, read_scale

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]

CHANGED_AREA_MAX = 0.5
"""Read only the changed regions while they cover at most this share of the
frame; past it one full pass is cheaper than many crops."""
MIN_SCORE = 0.5
REGION_PAD = 12
"""Pixels added around a region read alone: text detection needs a margin."""
SCROLL_AREA_MIN = 0.1
"""Look for a scroll only when the changed regions cover more than this share of
the frame: smaller changes are cheap to read as they are, and a typed line
should not pay for the row comparison."""
SCROLL_GAIN = 0.5
"""Read by the scroll plan only when it reads at most this share of the area the
regions (or the full pass) would read: a shift that explains few rows saves
too little to be worth the extra crops."""
SCROLL_MARGIN = REGION_PAD
"""Rows that only moved read above and below each run of new rows. A line cut
by the edge of the scrolled view showed only part of its glyphs in the previous
frame; those rows only moved, and without the margin a crop would start in the
middle of the line (and the partial line read before would be kept)."""


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
                        "Det.limit_side_len": MAX_READ_SIDE,
                        # Large frames are scaled and cut here (agents.screens.ocr_bands);
                        # rapidocr's own cut to 2000 px would undo that.
                        "Global.max_side_len": MAX_READ_SIDE,
                        # Lines are recognised one by one: a batch pads every line to
                        # its widest, and screen lines vary from one word to a full
                        # width. 24 % faster on 35 chat and web screens (763 lines,
                        # the same text but for two lines, both better read alone).
                        "Rec.rec_batch_num": 1,
                    }
                )
                logging.getLogger("RapidOCR").setLevel(logging.CRITICAL)
            return self._engine

    def read(self, image: Image.Image) -> list[OcrLine]:
        """The lines of text in ``image``, read in bands of at most READ_PIXELS
        (see :mod:`agents.screens.ocr_bands`); FrameError when the engine cannot
        read it at all."""
        engine = self.load()
        rgb = image if image.mode == "RGB" else image.convert("RGB")  # no copy of 120 MB
        scale = read_scale(*rgb.size)
        if scale < 1:
            size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
            rgb = rgb.resize(size, Image.Resampling.BILINEAR)
        lines: list[OcrLine] = []
        cut = bands(*rgb.size)
        for band in cut:
            part = (
                rgb
                if band.bottom - band.top == rgb.height
                else rgb.crop((0, band.top, rgb.width, band.bottom))
            )
            for line in self._read_once(engine, part):
                x0, y0, x1, y1 = line.box
                if band.keep_from <= band.top + (y0 + y1) / 2 < band.keep_to:
                    box = (x0, y0 + band.top, x1, y1 + band.top)
                    lines.append(OcrLine(line.text, _unscaled(box, scale), line.score))
            if len(cut) > 1:
                return_freed_memory()  # or each band's detection adds to the peak
        return lines

    def _read_once(self, engine: Any, image: Image.Image) -> list[OcrLine]:
        try:
            result = engine(image)
        except Exception as exc:  # the engine failing on these pixels, not our bug
            log.debug("OCR failed on a %dx%d image", image.width, image.height, exc_info=True)
            why = ": ".join(filter(None, (type(exc).__name__, str(exc))))
            raise FrameError(f"OCR could not read this image ({why}).") from exc
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


def _unscaled(box: Box, scale: float) -> Box:
    if scale == 1:
        return box
    x0, y0, x1, y1 = box
    return (int(x0 / scale), int(y0 / scale), int(x1 / scale) + 1, int(y1 / scale) + 1)


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
    grey: npt.NDArray[np.uint8]
    """Full-resolution grey pixels, to tell a scroll by exact row matches."""


class IncrementalOcr:
    """OCR that reads only what changed since the last frame of the same monitor.

    Three ways to read a frame, counted apart: ``full_reads`` (the first frame of
    a monitor, or most of the screen changed), ``region_reads`` (the changed
    regions only) and ``scroll_reads`` (the content of the largest changed region
    moved vertically: the earlier lines are moved with it and only the rows that
    match neither the same nor the shifted row of the previous frame are read).
    """

    def __init__(self, engine: OcrEngine) -> None:
        self.engine = engine
        self._seen: dict[int | None, _Seen] = {}
        self.full_reads = 0
        self.region_reads = 0
        self.scroll_reads = 0

    def read(
        self, image: Image.Image, fingerprint: Fingerprint, monitor: int | None
    ) -> list[OcrLine]:
        previous = self._seen.get(monitor)
        grey = luma(image)
        frame_area = image.width * image.height
        if previous is None:
            lines = self._read_full(image)
        else:
            regions = changed_regions(previous.fingerprint, fingerprint)
            area = _area(regions)
            usual = (
                None
                if area > CHANGED_AREA_MAX * frame_area
                else _whole_lines(regions, previous.lines, image.size)
            )
            usual_area = frame_area if usual is None else _area(usual)
            plan = (
                _scroll_plan(previous, grey, regions, image.size)
                if area > SCROLL_AREA_MIN * frame_area
                else None
            )
            if plan is not None and _area(plan[1]) <= SCROLL_GAIN * usual_area:
                lines = self._read_regions(image, *plan)
                self.scroll_reads += 1
            elif usual is None:
                lines = self._read_full(image)
            else:
                lines = self._read_regions(image, previous.lines, usual)
                self.region_reads += 1
        self._seen[monitor] = _Seen(fingerprint, lines, grey)
        return lines

    def forget(self) -> None:
        self._seen.clear()

    def _read_full(self, image: Image.Image) -> list[OcrLine]:
        self.full_reads += 1
        return self.engine.read(image)

    def _read_regions(
        self, image: Image.Image, kept: list[OcrLine], regions: list[Box]
    ) -> list[OcrLine]:
        """``kept`` outside the regions, and what the regions read now."""
        lines = [ln for ln in kept if not any(_overlaps(ln.box, r) for r in regions)]
        for region in regions:
            lines.extend(_shifted(self.engine.read(image.crop(region)), region))
        return lines


def _scroll_plan(
    previous: _Seen, grey: npt.NDArray[np.uint8], regions: list[Box], size: tuple[int, int]
) -> tuple[list[OcrLine], list[Box]] | None:
    """The earlier lines still on screen (moved where the content moved) and the
    regions to read, when the largest changed region scrolled; None when not.

    An earlier line is kept where its pixels are found unchanged: in place (a
    sticky header, a status bar) or shifted by the scroll. Its own pixels are
    compared, not the band's rows: they are what OCR read it from, and they are
    checked whole even where the line reaches out of the band. A line found in
    neither place is dropped, and what may still show of it is read: the rows of
    its shifted box that show moved content (a line half scrolled out of view,
    when at least a quarter of it shows; not the rows of a sticky header it slid
    under), and its own box when it reached out of the band (that part did not
    change). The other changed regions are read as they are.
    """
    band = max(regions, key=lambda r: _area([r]))
    scroll = find_scroll(previous.grey, grey, band)
    if scroll is None:
        return None
    dy = scroll.dy
    kept: list[OcrLine] = []
    reads = [r for r in regions if r != band]
    for line in previous.lines:
        if not _overlaps(line.box, band) or _same_pixels(previous.grey, grey, line.box, 0):
            kept.append(line)
            continue
        x0, y0, x1, y1 = line.box
        moved = (x0, y0 - dy, x1, y1 - dy)
        if _same_pixels(previous.grey, grey, line.box, -dy):
            kept.append(OcrLine(line.text, moved, line.score))
            continue
        if not _inside(line.box, band):
            reads.append(line.box)
        shown = scroll.moved_span(moved[1], moved[3])
        if shown is not None and 4 * (shown[1] - shown[0]) >= y1 - y0:
            reads.append((max(x0, band[0]), shown[0], min(x1, band[2]), shown[1]))
    left, _, right, _ = band
    reads.extend((left, start, right, end) for start, end in scroll.new_rows(SCROLL_MARGIN))
    # Two earlier lines that look alike can land on one place (one stayed, one moved there).
    kept = list(dict.fromkeys(kept))
    return kept, _whole_lines(reads, kept, size)


def _same_pixels(
    prev: npt.NDArray[np.uint8], cur: npt.NDArray[np.uint8], box: Box, dy: int
) -> bool:
    """Whether ``box`` of ``prev`` shows unchanged in ``cur`` moved down by ``dy``."""
    height, width = prev.shape
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
    if x0 >= x1 or y0 >= y1 or y0 + dy < 0 or y1 + dy > height:
        return False
    return bool(np.array_equal(prev[y0:y1, x0:x1], cur[y0 + dy : y1 + dy, x0:x1]))


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


def _area(boxes: list[Box]) -> int:
    return sum((r - left) * (b - t) for left, t, r, b in boxes)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _shifted(lines: list[OcrLine], region: Box) -> list[OcrLine]:
    dx, dy = region[0], region[1]
    return [
        OcrLine(ln.text, (ln.box[0] + dx, ln.box[1] + dy, ln.box[2] + dx, ln.box[3] + dy), ln.score)
        for ln in lines
    ]
