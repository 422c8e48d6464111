"""How a frame is cut for OCR, so that one read never holds more than
:data:`READ_PIXELS` pixels, whatever the frame's size.

The text detector's working memory grows with the pixels it reads at once
(about 450 MB for a full-HD screen, 1.3 GB for the 2000x2000 rapidocr made of a
6300x6300 image). So a large frame is first scaled down, as rapidocr did by
itself (longest side 2000 px), but never below half size while it fits
:data:`MAX_READ_SIDE` (past that its text would be too small to read: 8 of 9
words of a 6300x6300 page were lost), then read in full-width horizontal bands
of at most :data:`READ_PIXELS`, overlapping by :data:`BAND_OVERLAP` rows. A line
is kept from the band whose middle part (the band less half the overlap at each
inner edge) holds its vertical centre: a line no taller than the overlap is
whole there, and no line is kept twice. Screens up to 2000x1250 px, and 4K
screens (scaled by 0.52 to 2000x1125, as before), are read in one pass as
before.
"""

from __future__ import annotations

from dataclasses import dataclass

READ_SIDE = 2000
"""A frame whose longest side is larger is scaled down towards this..."""
MIN_SCALE = 0.5
"""...but not below half size (text stays readable)..."""
MAX_READ_SIDE = 4096
"""...unless its width would still be larger than this (the detector's own limit)."""
READ_PIXELS = 2_500_000
"""Most pixels in one read (2000x1250)."""
BAND_OVERLAP = 96
"""Rows two neighbouring bands share: the tallest line a band boundary never cuts."""
MAX_BAND_HEIGHT = MAX_READ_SIDE


@dataclass(frozen=True)
class Band:
    top: int
    bottom: int
    keep_from: int
    """A line is kept from this band when its vertical centre is in
    [keep_from, keep_to)."""
    keep_to: int


def read_scale(width: int, height: int) -> float:
    """The factor a ``width`` x ``height`` frame is scaled by before it is read."""
    longest = max(width, height)
    if longest <= READ_SIDE:
        return 1.0
    return min(max(READ_SIDE / longest, MIN_SCALE), MAX_READ_SIDE / width)


def bands(width: int, height: int) -> list[Band]:
    """Full-width bands covering a (scaled) frame, each at most READ_PIXELS."""
    band = min(MAX_BAND_HEIGHT, max(READ_PIXELS // max(width, 1), 4 * BAND_OVERLAP))
    if height <= band:
        return [Band(0, height, 0, height)]
    out: list[Band] = []
    top = 0
    while True:
        bottom = min(height, top + band)
        last = bottom == height
        keep_from = top + BAND_OVERLAP // 2 if top else 0
        keep_to = height if last else bottom - BAND_OVERLAP // 2
        out.append(Band(top, bottom, keep_from, keep_to))
        if last:
            return out
        top = bottom - BAND_OVERLAP
