"""agents/screens/ocr_bands.py: a large frame is read in bands of bounded size,
each line once and where it is on the frame."""

from __future__ import annotations

import itertools

from PIL import Image, ImageDraw, ImageFont

from agents.screens.ocr import RapidOcr
from agents.screens.ocr_bands import BAND_OVERLAP, READ_PIXELS, bands, read_scale


def test_screens_keep_their_size_and_large_frames_stay_readable() -> None:
    assert read_scale(1920, 1080) == read_scale(2000, 1250) == 1.0
    assert round(read_scale(3840, 2160), 3) == 0.521  # 2000x1125, as rapidocr did
    assert read_scale(6300, 6300) == 0.5  # not 0.32: its text would be unreadable
    assert read_scale(20_000, 2000) == 4096 / 20_000


def test_bands_cover_the_frame_and_each_row_is_kept_by_one_band() -> None:
    for width, height in [(1920, 1080), (3150, 3150), (400, 9000), (4096, 410), (4096, 1)]:
        cut = bands(width, height)
        assert cut[0].top == 0 and cut[-1].bottom == height
        assert cut[0].keep_from == 0 and cut[-1].keep_to == height
        for band, after in itertools.pairwise(cut):
            assert band.keep_to == after.keep_from  # the kept rows meet, never overlap
            assert band.bottom - after.top == BAND_OVERLAP
        assert max((b.bottom - b.top) * width for b in cut) <= max(READ_PIXELS, width * 384)


def test_a_frame_read_in_bands_gives_each_line_once_where_it_was_drawn() -> None:
    image = Image.new("RGB", (2000, 2600), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    drawn = {}
    for n in range(40):  # rows every 64 px: some cross the band boundary
        y = 20 + n * 64
        text = f"row {n} of the long page"
        draw.text((40, y), text, fill="black", font=font)
        drawn[text] = y
    assert len(bands(*(round(s * read_scale(2000, 2600)) for s in image.size))) == 2
    lines = RapidOcr().read(image)
    texts = [line.text for line in lines]
    assert sorted(texts) == sorted(drawn)  # every line, none twice
    for line in lines:
        assert abs(line.box[1] - drawn[line.text]) < 20 and line.box[0] < 60
