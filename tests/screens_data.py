"""Small screenshots made with Pillow for the screen tests: text OCR can read; and
frames kept with known text, for tests that need no OCR."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from agents import Assistant
from agents.screens import Frame
from agents.screens.store import embed_screen, keep_frame


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


def keep_text_frame(
    assistant: Assistant,
    name: str,
    text: str,
    *,
    app: str = "Browser",
    title: str = "",
    at: str = "2024-06-01T10:00:00Z",
) -> str:
    """Keep a blank frame as if OCR had read ``text`` from it; its screenshot id."""
    frame = Frame(Image.new("RGB", (64, 48), "white"), at, 0, app, title, external_id=name)
    return keep_frame(
        assistant.storage,
        assistant.storage.frame_files(),
        frame,
        text=text,
        text_vectors=embed_screen(assistant.embedder, app, title, text),
        image_vector=None,
        phash="0" * 16,
        quality=50,
        sensitive_boxes=[],
    ).id
