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
"""

from __future__ import annotations

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
