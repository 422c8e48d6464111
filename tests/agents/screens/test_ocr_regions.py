"""Which regions incremental OCR reads: whole lines, and no cascade through a page."""

from __future__ import annotations

from agents.screens.ocr import REGION_PAD, OcrLine, _whole_lines

SIZE = (1920, 1080)
# A page of text: 17 px high lines every 26 px (a 9 px gap, less than the pad).
PAGE = [OcrLine(f"line {n}", (300, 60 + 26 * n, 1500, 77 + 26 * n), 0.9) for n in range(20)]


def cuts(region: tuple[int, int, int, int], line: OcrLine) -> bool:
    a, b = line.box, region
    overlaps = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    inside = b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]
    return overlaps and not inside


def test_a_new_line_below_the_text_does_not_pull_in_the_page() -> None:
    new_line = (292, 60 + 26 * 20 - 8, 900, 77 + 26 * 20 + 8)  # as dedup reports it
    [region] = _whole_lines([new_line], PAGE, SIZE)
    assert region[1] >= PAGE[-1].box[3]  # not a single earlier line is read again
    assert not any(cuts(region, line) for line in PAGE)


def test_a_region_through_a_line_takes_the_whole_line() -> None:
    middle = (800, 60 + 26 * 5 + 4, 900, 60 + 26 * 5 + 12)  # inside line 5
    [region] = _whole_lines([middle], PAGE, SIZE)
    assert region[0] <= 300 and region[2] >= 1500  # line 5 whole
    assert region[1] <= PAGE[5].box[1] and region[3] >= PAGE[5].box[3]
    assert not any(cuts(region, line) for line in PAGE)
    assert region[1] > PAGE[4].box[3] - 1 and region[3] < PAGE[6].box[1] + 1  # no cascade


def test_padding_is_full_where_there_is_room() -> None:
    alone = (100, 900, 200, 950)
    assert _whole_lines([alone], PAGE, SIZE) == [
        (100 - REGION_PAD, 900 - REGION_PAD, 200 + REGION_PAD, 950 + REGION_PAD)
    ]


def test_regions_that_meet_are_merged() -> None:
    regions = [(100, 900, 200, 950), (205, 900, 300, 950)]
    assert len(_whole_lines(regions, [], SIZE)) == 1
