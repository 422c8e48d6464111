"""Small screenshots made with Pillow for the screen tests: text OCR can read."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def screen(
    lines: Sequence[str], *, size: tuple[int, int] = (900, 300), shade: int = 255
) -> Image.Image:
    """A light window with dark text lines, large enough for OCR."""
    image = Image.new("RGB", size, (shade, shade, shade))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    for n, line in enumerate(lines):
        draw.text((30, 30 + 48 * n), line, fill=(20, 20, 20), font=font)
    return image


def save_screen(path: Path, lines: Sequence[str], **kwargs: object) -> Path:
    screen(lines, **kwargs).save(path)  # type: ignore[arg-type]
    return path


def write_manifest(path: Path, entries: Iterable[dict[str, object] | str]) -> Path:
    """A manifest; a str entry is written as it is (for bad lines)."""
    path.write_text(
        "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entries),
        encoding="utf-8",
    )
    return path
