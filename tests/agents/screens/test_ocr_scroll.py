"""Scrolling: incremental OCR moves the earlier lines and reads only what scrolled
into view, and the text it ends with is what a full read of the frame gives.

Pages are rendered with Pillow; :class:`FakeOcr` knows what was drawn where, finds
each crop it is given in the frame (exact pixel match) and reports the lines the
crop shows. A line the crop shows only in part is reported with the part it saw
(``text|top:bottom:left:right``), so a crop through a line, or a partial line kept
from an earlier frame, can never pass for the line a full read sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image, ImageDraw, ImageFont

from agents.screens.dedup import Scroll, find_scroll, fingerprint, luma
from agents.screens.ocr import IncrementalOcr, OcrLine, RapidOcr, lines_text

Box = tuple[int, int, int, int]
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if DEJAVU.exists():
        return ImageFont.truetype(str(DEJAVU), size)
    return ImageFont.load_default(size=size)


FONT = font(17)
SIZE = (960, 720)
PITCH = 26
"""Pixels from one line of text to the next (17 px text, a 9 px gap)."""
HEADER = 40
STATUS = 28
MIN_SEEN = 6
"""Rows of a line a reader needs to see to report it at all (a third of it)."""
WORDS = [
    "invoice",
    "budget",
    "meeting",
    "deploy",
    "rollout",
    "backup",
    "report",
    "review",
    "figures",
    "compare",
    "migration",
    "verified",
    "quarterly",
    "revenue",
    "region",
    "costs",
    "thursday",
    "confirm",
    "options",
]


def sentence(n: int) -> str:
    return f"{n:03d} " + " ".join(WORDS[(n * 5 + k * 3) % len(WORDS)] for k in range(9))


@dataclass(frozen=True)
class Drawn:
    text: str
    box: Box
    """Where the whole line would be (frame pixels)."""
    visible: Box
    """The part of it inside its view."""


@dataclass(frozen=True)
class Page:
    image: Image.Image
    drawn: list[Drawn]


def page(
    offset: int,
    *,
    first: int = 0,
    size: tuple[int, int] = SIZE,
    bars: bool = False,
    x: int = 40,
) -> Page:
    """A document of numbered lines scrolled down by ``offset`` pixels, in a view
    that fills the frame or (``bars``) sits between a sticky header and a status
    bar that do not scroll."""
    width, height = size
    top, bottom = (HEADER, height - STATUS) if bars else (0, height)
    image = Image.new("RGB", size, (250, 250, 250))
    view = Image.new("RGB", (width, bottom - top), (250, 250, 250))
    draw = ImageDraw.Draw(view)
    drawn: list[Drawn] = []
    for n in range(first, first + 200):
        y = 12 + (n - first) * PITCH - offset
        if y > bottom - top:
            break
        text = sentence(n)
        draw.text((x, y), text, fill=(20, 20, 20), font=FONT)
        left, t, right, b = (int(v) for v in draw.textbbox((x, y), text, font=FONT))
        box = (left, t + top, right, b + top)
        visible = (left, max(top, box[1]), right, min(bottom, box[3]))
        if visible[3] - visible[1] >= MIN_SEEN:
            drawn.append(Drawn(text, box, visible))
    image.paste(view, (0, top))
    if bars:
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, width, HEADER - 1), fill=(45, 48, 56))
        draw.rectangle((0, height - STATUS, width, height), fill=(0, 110, 190))
        for text, y in (("Sticky header: notes.md", 11), ("Ln 42, Col 7  UTF-8", height - 24)):
            draw.text((16, y), text, fill="white", font=FONT)
            box = tuple(int(v) for v in draw.textbbox((16, y), text, font=FONT))
            drawn.append(Drawn(text, box, box))  # type: ignore[arg-type]
    return Page(image, drawn)


class FakeOcr:
    """Reads what :func:`page` drew, and records every box it was asked to read."""

    name = "fake"

    def __init__(self) -> None:
        self.page: Page | None = None
        self.crops: list[Box] = []

    def read(self, image: Image.Image) -> list[OcrLine]:
        assert self.page is not None
        frame = luma(self.page.image)
        crop = luma(image)
        places = _locate(crop, frame)
        assert places, "the crop is not part of the frame"
        readings = {tuple(self._lines(place, crop.shape)) for place in places}
        assert len(readings) == 1, f"a crop found at {places} reads differently"
        x, y = places[0]
        self.crops.append((x, y, x + crop.shape[1], y + crop.shape[0]))
        return list(readings.pop())

    def _lines(self, place: tuple[int, int], shape: tuple[int, ...]) -> list[OcrLine]:
        assert self.page is not None
        x, y = place
        crop = (x, y, x + shape[1], y + shape[0])
        lines = []
        for line in self.page.drawn:
            seen = (
                max(line.visible[0], crop[0]),
                max(line.visible[1], crop[1]),
                min(line.visible[2], crop[2]),
                min(line.visible[3], crop[3]),
            )
            if seen[3] - seen[1] < MIN_SEEN or seen[2] <= seen[0]:
                continue
            text = line.text
            if seen != line.box:
                top, left = line.box[1], line.box[0]
                text += f"|{seen[1] - top}:{seen[3] - top}:{seen[0] - left}:{seen[2] - left}"
            lines.append(OcrLine(text, (seen[0] - x, seen[1] - y, seen[2] - x, seen[3] - y), 0.9))
        return lines


def _locate(crop: npt.NDArray[np.uint8], frame: npt.NDArray[np.uint8]) -> list[tuple[int, int]]:
    """Every (x, y) where ``crop`` lies in ``frame`` pixel for pixel; [(0, 0)] for a
    crop of one colour (it shows no text wherever it is)."""
    if (crop == crop[0, 0]).all():
        return [(0, 0)]
    h, w = crop.shape
    k = int(np.argmax([len(np.unique(row)) for row in crop]))  # the most telling row
    needle = crop[k].tobytes()
    places = []
    for y in range(k, frame.shape[0] - h + k + 1):
        row = frame[y].tobytes()
        x = row.find(needle)
        while x != -1:
            found = frame[y - k : y - k + h, x : x + w]
            if found.shape == crop.shape and np.array_equal(found, crop):
                places.append((x, y - k))
            x = row.find(needle, x + 1)
    return places


def full_read(shown: Page) -> list[OcrLine]:
    engine = FakeOcr()
    engine.page = shown
    return sorted(engine.read(shown.image), key=lambda ln: (ln.box, ln.text))


def read_two(before: Page, after: Page) -> tuple[IncrementalOcr, FakeOcr, list[OcrLine]]:
    """Read ``before`` then ``after`` incrementally; the engine keeps only the
    crops of the second read."""
    engine = FakeOcr()
    ocr = IncrementalOcr(engine)
    engine.page = before
    ocr.read(before.image, fingerprint(before.image), 1)
    engine.crops.clear()
    engine.page = after
    lines = ocr.read(after.image, fingerprint(after.image), 1)
    return ocr, engine, sorted(lines, key=lambda ln: (ln.box, ln.text))


def area(boxes: list[Box]) -> int:
    return sum((r - x) * (b - y) for x, y, r, b in boxes)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (0, 5 * PITCH),  # down by whole lines
        (0, 5 * PITCH + 11),  # down, cutting lines at the edges of the view
        (8 * PITCH, 3 * PITCH),  # up
        (8 * PITCH + 7, 2 * PITCH + 20),  # up, cutting lines
    ],
)
def test_a_scroll_reads_only_the_strip_that_came_into_view(start: int, end: int) -> None:
    before, after = page(start), page(end)
    ocr, engine, lines = read_two(before, after)
    assert (ocr.full_reads, ocr.region_reads, ocr.scroll_reads) == (1, 0, 1)
    assert lines == full_read(after)
    shift = end - start
    # Only a strip about as high as the scroll is read (plus a line of margin on
    # each side), at the bottom when scrolling down and at the top when scrolling up;
    # besides it at most the part of a line half scrolled out at the other edge.
    assert area(engine.crops) <= SIZE[0] * (abs(shift) + 4 * PITCH)
    strips = [c for c in engine.crops if c[3] - c[1] > PITCH]
    assert len(strips) == 1
    [(_, top, _, bottom)] = strips
    if shift > 0:
        assert top >= SIZE[1] - shift - 2 * PITCH and bottom == SIZE[1]
    else:
        assert top == 0 and bottom <= -shift + 2 * PITCH
    for _, top, _, bottom in engine.crops:
        assert top == 0 or bottom == SIZE[1]
    # The lines nowhere near a crop are the earlier lines, moved with the page.
    earlier = {ln.text: ln.box for ln in before.drawn}
    kept = [ln for ln in lines if not any(_near(ln.box, c) for c in engine.crops)]
    assert len(kept) >= 10
    for line in kept:
        x0, y0, x1, y1 = earlier[line.text]
        assert line.box == (x0, y0 - shift, x1, y1 - shift)


def _near(box: Box, crop: Box) -> bool:
    return box[1] < crop[3] + PITCH and crop[1] - PITCH < box[3]


@pytest.mark.parametrize(("start", "end"), [(0, 4 * PITCH + 5), (6 * PITCH, 2 * PITCH - 9)])
def test_a_sticky_header_and_a_status_bar_stay_and_only_the_strip_is_read(
    start: int, end: int
) -> None:
    before, after = page(start, bars=True), page(end, bars=True)
    ocr, engine, lines = read_two(before, after)
    assert ocr.scroll_reads == 1
    assert lines == full_read(after)
    assert {"Sticky header: notes.md", "Ln 42, Col 7  UTF-8"} <= {ln.text for ln in lines}
    assert area(engine.crops) <= SIZE[0] * (abs(end - start) + 4 * PITCH)
    header = next(ln for ln in after.drawn if ln.text.startswith("Sticky"))
    assert not any(_overlap(header.box, crop) for crop in engine.crops)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_another_page_is_read_in_full() -> None:
    before, after = page(0), page(0, first=100)
    ocr, engine, lines = read_two(before, after)
    assert (ocr.full_reads, ocr.scroll_reads) == (2, 0)
    assert engine.crops == [(0, 0, *SIZE)]
    assert lines == full_read(after)


def test_a_sideways_shift_is_no_scroll() -> None:
    before, after = page(0), page(0, x=40 + 48)
    ocr, _, lines = read_two(before, after)
    assert ocr.scroll_reads == 0
    assert ocr.full_reads + ocr.region_reads == 2
    assert lines == full_read(after)


def test_a_frame_of_another_size_is_read_in_full() -> None:
    before, after = page(0), page(3 * PITCH, size=(SIZE[0], SIZE[1] - 64))
    ocr, engine, lines = read_two(before, after)
    assert (ocr.full_reads, ocr.scroll_reads) == (2, 0)
    assert engine.crops == [(0, 0, SIZE[0], SIZE[1] - 64)]
    assert lines == full_read(after)


def test_a_small_change_is_still_read_as_regions() -> None:
    before = page(0)
    after = page(0)
    ImageDraw.Draw(after.image).text((600, 690), "a new note", fill="black", font=FONT)
    ocr, engine, _ = read_two(before, after)
    assert (ocr.region_reads, ocr.scroll_reads) == (1, 0)
    assert area(engine.crops) < SIZE[0] * SIZE[1] // 10


def test_find_scroll_gives_the_shift_and_which_rows_are_new() -> None:
    before, after = luma(page(0).image), luma(page(3 * PITCH).image)
    band = (0, 0, *SIZE)
    scroll = find_scroll(before, after, band)
    assert isinstance(scroll, Scroll)
    assert scroll.dy == 3 * PITCH  # row y now shows what row y + 78 showed
    [(top, bottom)] = _merged(scroll.new_rows(), gap=PITCH)
    assert SIZE[1] - 3 * PITCH - PITCH <= top and bottom <= SIZE[1]
    # Scrolling back up is the same shift the other way.
    back = find_scroll(after, before, band)
    assert back is not None and back.dy == -3 * PITCH


def _merged(runs: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for top, bottom in runs:
        if out and top - out[-1][1] <= gap:
            out[-1] = (out[-1][0], bottom)
        else:
            out.append((top, bottom))
    return out


def test_plain_and_repeated_rows_do_not_make_a_scroll() -> None:
    # Rows of one colour and a repeating pattern match at any shift: no vote.
    stripes = np.zeros((400, 300), dtype=np.uint8)
    stripes[::8] = 200
    stripes[:, ::50] = 90
    shifted = np.roll(stripes, 16, axis=0)
    assert find_scroll(stripes, shifted, (0, 0, 300, 400)) is None
    blank = np.full((400, 300), 250, dtype=np.uint8)
    assert find_scroll(blank, blank.copy(), (0, 0, 300, 400)) is None


@pytest.fixture(scope="module")
def rapid() -> RapidOcr:
    engine = RapidOcr()
    engine.load()
    return engine


def test_real_ocr_after_a_scroll_reads_what_a_full_pass_reads(rapid: RapidOcr) -> None:
    size = (900, 420)
    before, after = page(0, size=size), page(4 * PITCH, size=size)
    ocr = IncrementalOcr(rapid)
    ocr.read(before.image, fingerprint(before.image), 1)
    lines = ocr.read(after.image, fingerprint(after.image), 1)
    assert ocr.scroll_reads == 1
    full = {ln.text for ln in rapid.read(after.image)}
    got = {ln.text for ln in lines}
    assert len(got ^ full) <= 2, (sorted(got - full), sorted(full - got))
    assert sentence(17) in lines_text(lines)  # a line that scrolled into view was read
