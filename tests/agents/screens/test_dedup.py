from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from agents.screens.dedup import (
    TILE,
    changed_regions,
    changed_tiles,
    fingerprint,
    is_near_duplicate,
    similarity,
)

FONT = ImageFont.load_default(size=16)


def desktop(lines: list[str], *, size: tuple[int, int] = (1920, 1080)) -> Image.Image:
    """A text editor-like frame: a title bar and lines of text on white."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], 30), fill=(40, 44, 52))
    draw.text((10, 6), "notes.txt - Editor", fill="white", font=FONT)
    for n, line in enumerate(lines):
        draw.text((40, 60 + n * 22), line, fill="black", font=FONT)
    return image


BASE = [f"Line {n}: the quick brown fox jumps over the lazy dog" for n in range(20)]


def test_identical_frames_are_duplicates() -> None:
    a, b = fingerprint(desktop(BASE)), fingerprint(desktop(BASE))
    assert is_near_duplicate(a, b)
    assert similarity(a, b) == 1.0
    assert changed_regions(a, b) == []


def test_no_previous_frame_is_never_a_duplicate() -> None:
    cur = fingerprint(desktop(BASE))
    assert not is_near_duplicate(None, cur)
    assert changed_regions(None, cur) == [(0, 0, 1920, 1080)]


def test_blinking_caret_is_a_duplicate() -> None:
    plain = desktop(BASE)
    caret = plain.copy()
    ImageDraw.Draw(caret).line((500, 62, 500, 78), fill="black", width=1)
    prev, cur = fingerprint(plain), fingerprint(caret)
    assert changed_tiles(prev, cur).sum() == 1  # it is seen, but it is not news
    assert is_near_duplicate(prev, cur)


def test_a_typed_line_is_a_change_with_one_region_around_it() -> None:
    prev = fingerprint(desktop(BASE))
    cur = fingerprint(desktop([*BASE, "A new line typed by the user, several words long"]))
    assert not is_near_duplicate(prev, cur)
    regions = changed_regions(prev, cur)
    assert len(regions) == 1
    left, top, right, bottom = regions[0]
    new_line_y = 60 + 20 * 22
    assert top <= new_line_y and bottom >= new_line_y + 16
    assert left <= 40 and right >= 300
    # Only a strip of the screen, not the whole frame.
    assert (right - left) * (bottom - top) < 0.05 * 1920 * 1080


def test_two_distant_changes_are_two_regions() -> None:
    prev_img = desktop(BASE)
    cur_img = prev_img.copy()
    draw = ImageDraw.Draw(cur_img)
    draw.text((40, 900), "Something new at the bottom left", fill="black", font=FONT)
    draw.text((1400, 300), "And a note on the right", fill="black", font=FONT)
    regions = changed_regions(fingerprint(prev_img), fingerprint(cur_img))
    assert len(regions) == 2
    assert regions[0][1] < regions[1][1]  # sorted top to bottom
    assert regions[0][0] >= 1400 - TILE and regions[1][0] <= 40


def test_a_scrolled_page_changes_all_its_text() -> None:
    prev = fingerprint(desktop(BASE))
    cur = fingerprint(desktop([*BASE[3:], "x", "y", "z"]))
    assert not is_near_duplicate(prev, cur)
    assert similarity(prev, cur) < 1.0
    # Every line moved, so one region spans the whole block of text.
    [(left, top, _right, bottom)] = changed_regions(prev, cur)
    assert top <= 60 and bottom >= 60 + 19 * 22 + 16 and left <= 40


def test_colour_only_change_is_seen() -> None:
    prev_img = Image.new("RGB", (640, 480), (200, 40, 40))
    cur_img = prev_img.copy()
    ImageDraw.Draw(cur_img).rectangle((100, 100, 400, 300), fill=(40, 40, 200))
    assert not is_near_duplicate(fingerprint(prev_img), fingerprint(cur_img))


def test_resolution_change_is_a_full_change() -> None:
    prev = fingerprint(desktop(BASE))
    cur = fingerprint(desktop(BASE, size=(1280, 720)))
    assert not is_near_duplicate(prev, cur)
    assert changed_regions(prev, cur) == [(0, 0, 1280, 720)]


def test_odd_sizes_and_modes() -> None:
    rgba = Image.new("RGBA", (1001, 333), (0, 0, 0, 255))
    fp = fingerprint(rgba)
    assert fp.size == (1001, 333)
    assert fingerprint(Image.new("L", (3, 5))).thumb.shape == (1, 1)
    changed = rgba.copy()
    ImageDraw.Draw(changed).rectangle((990, 320, 1000, 332), fill="white")
    regions = changed_regions(fp, fingerprint(changed))
    assert len(regions) == 1
    assert regions[0][2] == 1001 and regions[0][3] == 333  # clipped to the frame


def test_empty_image_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        fingerprint(Image.new("RGB", (0, 10)))
