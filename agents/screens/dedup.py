"""Cheap near-duplicate detection for screen frames, and where two frames differ.

A frame's :class:`Fingerprint` is its luma, box-averaged down by :data:`SCALE`
(a 1920x1080 frame becomes 240x135 bytes, about 2 ms with Pillow's C reducer).
Two fingerprints are compared tile by tile: a tile is :data:`TILE` screen pixels
square, and it has changed when any of its thumbnail pixels moved by more than
``pixel_delta`` grey levels. Box-averaging keeps small changes visible: one
typed glyph darkens its 8x8 block by tens of levels, while a strided subsample
could step right over it.

Frames count as near-duplicates when at most ``max_changed_tiles`` tiles
changed: a blinking caret or a ticking clock stays below that, a typed word
does not. :func:`changed_regions` turns the changed tiles into a few merged
pixel boxes, so OCR can read only what is new.

Scrolling changes nearly every tile while most of the text only moved.
:func:`find_scroll` compares the full-resolution grey pixels of a changed band
row by row to find the vertical shift, so OCR can move the earlier lines
instead of reading them again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

SCALE = 8
"""Screen pixels per thumbnail pixel, in each direction."""
TILE_CELLS = 4
"""Thumbnail pixels per tile side."""
TILE = SCALE * TILE_CELLS
"""Screen pixels per tile side (32)."""
PIXEL_DELTA = 10
MAX_CHANGED_TILES = 3
REGION_MARGIN = 8
"""Screen pixels added around each changed region, so OCR sees whole glyphs."""
SCROLL_MIN_SHARE = 0.5
"""A shift is a scroll when at least this share of the band's changed rows
(plain rows left out) are found shifted by it in the previous frame."""
SCROLL_MIN_ROWS = 16
"""...and at least this many rows: a few matching rows are chance, not a scroll."""
SCROLL_MAX_REPEATS = 2
"""A row that occurs more often than this in the previous band (a rule, a table
border, a repeated icon) matches at many shifts and does not vote."""

Box = tuple[int, int, int, int]
"""(left, top, right, bottom) in screen pixels, right and bottom exclusive."""


@dataclass(frozen=True)
class Fingerprint:
    size: tuple[int, int]
    """(width, height) of the frame it was made from."""
    thumb: npt.NDArray[np.uint8]
    """Luma thumbnail, shape (ceil(height / SCALE), ceil(width / SCALE))."""


def fingerprint(image: Image.Image) -> Fingerprint:
    """Fingerprint ``image`` (any Pillow mode; RGB and L are fastest)."""
    if image.width < 1 or image.height < 1:
        raise ValueError(f"cannot fingerprint an empty {image.width}x{image.height} image")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    # Reduce first, then convert: the colour conversion then runs on 1/64 of the pixels.
    # reduce() rounds up, so the thumbnail is ceil(size / SCALE) (at least 1x1).
    thumb = np.asarray(image.reduce(SCALE).convert("L"), dtype=np.uint8)
    return Fingerprint(size=image.size, thumb=thumb)


def changed_tiles(
    prev: Fingerprint, cur: Fingerprint, *, pixel_delta: int = PIXEL_DELTA
) -> npt.NDArray[np.bool_]:
    """A boolean grid of tiles (rows, columns) that differ; every tile when the
    frames differ in size (a resolution change is a change everywhere)."""
    rows = -(-cur.thumb.shape[0] // TILE_CELLS)
    cols = -(-cur.thumb.shape[1] // TILE_CELLS)
    if prev.size != cur.size or prev.thumb.shape != cur.thumb.shape:
        return np.ones((rows, cols), dtype=np.bool_)
    diff = np.abs(cur.thumb.astype(np.int16) - prev.thumb.astype(np.int16)) > pixel_delta
    padded = np.zeros((rows * TILE_CELLS, cols * TILE_CELLS), dtype=np.bool_)
    padded[: diff.shape[0], : diff.shape[1]] = diff
    return np.asarray(padded.reshape(rows, TILE_CELLS, cols, TILE_CELLS).any(axis=(1, 3)))


def similarity(prev: Fingerprint, cur: Fingerprint, *, pixel_delta: int = PIXEL_DELTA) -> float:
    """Share of tiles that did not change, from 0.0 (all changed) to 1.0 (identical)."""
    tiles = changed_tiles(prev, cur, pixel_delta=pixel_delta)
    return 1.0 - float(tiles.mean())


def is_near_duplicate(
    prev: Fingerprint | None,
    cur: Fingerprint,
    *,
    pixel_delta: int = PIXEL_DELTA,
    max_changed_tiles: int = MAX_CHANGED_TILES,
) -> bool:
    """True when ``cur`` shows nothing new beyond ``prev`` (no previous frame: False)."""
    if prev is None:
        return False
    changed = int(changed_tiles(prev, cur, pixel_delta=pixel_delta).sum())
    return changed <= max_changed_tiles


def changed_regions(
    prev: Fingerprint | None,
    cur: Fingerprint,
    *,
    pixel_delta: int = PIXEL_DELTA,
    margin: int = REGION_MARGIN,
) -> list[Box]:
    """Merged pixel boxes covering every changed tile of ``cur``, top to bottom.

    Changed tiles with at most two unchanged tiles between them form one region,
    so a typed line is one box rather than a box per word. With no
    previous frame, or a size change, the whole frame is one region.
    """
    width, height = cur.size
    if prev is None:
        return [(0, 0, width, height)]
    tiles = changed_tiles(prev, cur, pixel_delta=pixel_delta)
    boxes = [_tile_box_to_pixels(b, width, height, margin) for b in _tile_groups(tiles)]
    return _merge_overlapping(boxes)


def _tile_groups(tiles: npt.NDArray[np.bool_]) -> list[Box]:
    """Bounding boxes (in tile units) of groups of changed tiles at most two tiles apart."""
    rows, cols = tiles.shape
    # Growing each tile by one in every direction bridges gaps of up to two tiles.
    grown = tiles.copy()
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            shifted = np.zeros_like(tiles)
            shifted[max(dr, 0) : rows + min(dr, 0), max(dc, 0) : cols + min(dc, 0)] = tiles[
                max(-dr, 0) : rows + min(-dr, 0), max(-dc, 0) : cols + min(-dc, 0)
            ]
            grown |= shifted
    seen = np.zeros_like(tiles)
    groups: list[Box] = []
    for r0, c0 in zip(*np.nonzero(tiles), strict=True):
        if seen[r0, c0]:
            continue
        top, left, bottom, right = int(r0), int(c0), int(r0), int(c0)
        stack = [(int(r0), int(c0))]
        seen[r0, c0] = True
        while stack:
            r, c = stack.pop()
            if tiles[r, c]:
                top, left = min(top, r), min(left, c)
                bottom, right = max(bottom, r), max(right, c)
            for nr in (r - 1, r, r + 1):
                for nc in (c - 1, c, c + 1):
                    if 0 <= nr < rows and 0 <= nc < cols and grown[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        stack.append((nr, nc))
        groups.append((left, top, right + 1, bottom + 1))
    return groups


def _tile_box_to_pixels(box: Box, width: int, height: int, margin: int) -> Box:
    left, top, right, bottom = box
    return (
        max(0, left * TILE - margin),
        max(0, top * TILE - margin),
        min(width, right * TILE + margin),
        min(height, bottom * TILE + margin),
    )


def _merge_overlapping(boxes: list[Box]) -> list[Box]:
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    merged[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return sorted(merged, key=lambda b: (b[1], b[0]))


def luma(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The grey pixels of ``image`` at full resolution (about 2 ms for 1920x1080)."""
    return np.asarray(image.convert("L"), dtype=np.uint8)


@dataclass(frozen=True)
class Scroll:
    """The band of a frame whose content moved up or down since the previous frame."""

    dy: int
    """Row y of the current frame shows row y + dy of the previous one: positive
    when the content moved up (scrolling down), negative when it moved down."""
    band: Box
    static: npt.NDArray[np.bool_]
    """Per band row (top to bottom): equal to the same row of the previous frame."""
    moved: npt.NDArray[np.bool_]
    """Per band row: equal to row y + dy of the previous frame."""

    def moved_span(self, top: int, bottom: int) -> tuple[int, int] | None:
        """The first and last (exclusive) frame rows in [top, bottom) that show
        moved content, or None: where a line partly scrolled out of view still shows."""
        start = min(max(top - self.band[1], 0), len(self.moved))
        rows = np.flatnonzero(self.moved[start : max(bottom - self.band[1], start)])
        if rows.size == 0:
            return None
        first = self.band[1] + start
        return first + int(rows[0]), first + int(rows[-1]) + 1

    def new_rows(self, margin: int = 0) -> list[tuple[int, int]]:
        """Runs of band rows that are neither static nor moved, as (top, bottom)
        frame rows, bottom exclusive: what scrolled into view or changed.

        Each run is widened by up to ``margin`` rows that only moved: a line cut by
        the edge of the view before was partly visible, and those rows of it moved
        next to the new ones. A static row (a gap between lines, a sticky bar) ends
        the widening: no line runs through it."""
        new = ~(self.static | self.moved)
        edges = np.flatnonzero(np.diff(np.concatenate(([False], new, [False])).astype(np.int8)))
        runs = []
        for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
            start, end = a, b
            while start > max(0, a - margin) and not self.static[start - 1]:
                start -= 1
            while end < min(len(new), b + margin) and not self.static[end]:
                end += 1
            runs.append((self.band[1] + start, self.band[1] + end))
        return runs


def find_scroll(
    prev: npt.NDArray[np.uint8], cur: npt.NDArray[np.uint8], band: Box
) -> Scroll | None:
    """The vertical shift of the content of ``band`` between two grey frames
    (:func:`luma`), or None when most of its changed rows did not just move.

    Rows are compared whole across the band and exactly: a scrolled view moves its
    pixels unchanged, so a row of text found elsewhere in the previous band is
    the same row moved. Each changed row votes for the shifts at which it occurs
    in the previous band; plain rows (one colour) and rows that occur more than
    :data:`SCROLL_MAX_REPEATS` times match anywhere and do not vote. Hashing the
    row bytes keeps this to a few milliseconds for a 1920x1080 band.
    """
    if prev.shape != cur.shape:
        return None
    left, top, right, bottom = band
    before = prev[top:bottom, left:right]
    after = cur[top:bottom, left:right]
    if after.size == 0:
        return None
    static = np.asarray((before == after).all(axis=1))
    plain_before = (before == before[:, :1]).all(axis=1)
    plain_after = (after == after[:, :1]).all(axis=1)
    where: dict[bytes, list[int]] = {}
    for y in np.flatnonzero(~plain_before):
        where.setdefault(before[y].tobytes(), []).append(int(y))
    votes: Counter[int] = Counter()
    voters = np.flatnonzero(~plain_after & ~static)
    for y in voters:
        found = where.get(after[y].tobytes(), ())
        if len(found) <= SCROLL_MAX_REPEATS:
            votes.update(py - int(y) for py in found)
    if not votes:
        return None
    dy, count = votes.most_common(1)[0]
    if count < max(SCROLL_MIN_ROWS, SCROLL_MIN_SHARE * len(voters)):
        return None
    # Rows y whose source row y + dy lies in the frame; the rest cannot have moved.
    moved = np.zeros(bottom - top, dtype=np.bool_)
    first, last = max(top, -dy), min(bottom, prev.shape[0] - dy)
    if first < last:
        moved[first - top : last - top] = (
            cur[first:last, left:right] == prev[first + dy : last + dy, left:right]
        ).all(axis=1)
    return Scroll(dy=dy, band=band, static=static, moved=moved)
