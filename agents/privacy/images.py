"""The image side of redaction: where a screen shows what :func:`redact` would
hide, and blacking those places out before an image leaves the machine.

An image cannot be redacted like text. What can be done: every OCR line whose
text redaction changes (a key, a password, an e-mail address, a card or phone
number) is recorded with its box when the frame is kept, and those boxes are
painted black, with a margin, on a copy sent to a provider. Text that OCR did
not read, or read too badly for redaction to recognise, stays visible.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from PIL import Image, ImageDraw

from agents.privacy.redact import redact

Box = tuple[int, int, int, int]
"""(left, top, right, bottom) in the image's pixels."""

MARGIN_PX = 4
MARGIN_OF_HEIGHT = 0.25
"""Painted beyond a box on every side: OCR boxes hug the glyphs, and a sliver of
a character (a descender, the top of a capital) must not survive."""


def sensitive_boxes(lines: Sequence[tuple[str, Box]]) -> list[Box]:
    """The boxes of the lines (``(text, box)`` in reading order) that redaction
    changes: each line alone, and the screen's text as a whole, as it goes into a
    prompt, since one finding can span lines (a private-key block)."""
    texts = [text for text, _box in lines]
    hits = {n for n, text in enumerate(texts) if redact(text).text != text}
    whole = redact("\n".join(texts)).text
    if whole.split("\n") != texts:
        # Line by line: the original lines the redacted text does not keep verbatim.
        matcher = difflib.SequenceMatcher(None, texts, whole.split("\n"), autojunk=False)
        kept = {
            n
            for tag, start, end, _s, _e in matcher.get_opcodes()
            if tag == "equal"
            for n in range(start, end)
        }
        hits |= set(range(len(texts))) - kept
    return [lines[n][1] for n in sorted(hits)]


def black_out(image: Image.Image, boxes: Sequence[Box]) -> Image.Image:
    """An RGB copy of ``image`` with every box, grown by its margin, painted black."""
    out = image.convert("RGB")  # a copy, also when the image is RGB already
    draw = ImageDraw.Draw(out)
    for left, top, right, bottom in boxes:
        margin = MARGIN_PX + round(MARGIN_OF_HEIGHT * max(0, bottom - top))
        x0, y0 = max(0, left - margin), max(0, top - margin)
        x1, y1 = min(out.width, right + margin) - 1, min(out.height, bottom + margin) - 1
        if x0 <= x1 and y0 <= y1:  # a box wholly off the image paints nothing
            draw.rectangle((x0, y0, x1, y1), fill=(0, 0, 0))
    return out
