"""Key frames: a few images of a screen batch for the meta-agent (vision_key_frames).

A batch goes to the meta-agent as compact text. With a vision-capable provider
and ``vision_key_frames`` above 0, up to that many of its frames go along as
images, chosen to show the most the text alone may miss: first the first frame
of each window (app and title) in the batch, the ones with the most new text
first, then the other frames with new text, the most first. A frame without
new text that repeats its window is never chosen.

Each image is a copy of the stored frame with its sensitive boxes blacked out
(:func:`agents.privacy.black_out`), scaled to at most MAX_SIDE pixels on its
long side and sent as JPEG (which every vision provider takes). A frame is left
out when its image file is gone (the storage budget deleted it), it was deleted,
its sensitive boxes are not known (kept before they were recorded) or its file
cannot be read; another candidate then takes its place.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from agents.llm import image_part
from agents.privacy import black_out
from agents.screens.batching import UNCHANGED
from storage import Storage
from storage.screens import Box, FrameImage

log = logging.getLogger(__name__)

MAX_KEY_FRAMES = 4
MAX_SIDE = 1280
JPEG_QUALITY = 80


@dataclass(frozen=True)
class KeyFrame:
    number: int
    """The observation's number (``n``) in the prompt's observation block."""
    screenshot_id: str
    part: dict[str, Any]
    """The OpenAI-style ``image_url`` content part."""


def key_frames(storage: Storage, items: Sequence[dict[str, Any]], count: int) -> list[KeyFrame]:
    """Up to ``count`` key frames of a batch's observations, in observation order."""
    count = min(count, MAX_KEY_FRAMES)
    ids = [str(item["source_id"]) for item in items if item.get("kind") == "screenshot"]
    if count <= 0 or not ids:
        return []
    images = storage.screenshots.frame_images(ids)
    files = storage.frame_files()
    chosen: list[KeyFrame] = []
    for index in preference_order(items, set(images)):
        image = images[str(items[index]["source_id"])]
        path = files.absolute(image.image_path)
        data = prepared_image(path, image) if path is not None else None
        if data is not None:
            part = image_part(data, "image/jpeg")
            chosen.append(KeyFrame(index + 1, image.id, part))
        if len(chosen) == count:
            break
    return sorted(chosen, key=lambda frame: frame.number)


def shareable_image(storage: Storage, screenshot_id: str) -> bytes | None:
    """One stored frame as it may leave the machine (for another AI tool): prepared
    like a key frame; None where a key frame could not be sent either."""
    image = storage.screenshots.frame_images([screenshot_id]).get(screenshot_id)
    if image is None:
        return None
    path = storage.frame_files().absolute(image.image_path)
    return prepared_image(path, image) if path is not None else None


def preference_order(items: Sequence[dict[str, Any]], attachable: set[str]) -> list[int]:
    """Indices of the screenshot observations whose frame can be shown, best first:
    each window's first frame, then the frames with new text; the most new text
    first within each (earlier first on a tie)."""
    firsts: list[int] = []
    others: list[int] = []
    windows: set[tuple[str, str]] = set()
    for index, item in enumerate(items):
        if item.get("kind") != "screenshot" or str(item.get("source_id")) not in attachable:
            continue
        window = (str(item.get("app") or ""), str(item.get("title") or ""))
        if window not in windows:
            windows.add(window)
            firsts.append(index)
        elif _new_text(item):
            others.append(index)

    def most_text(index: int) -> tuple[int, int]:
        return -len(_new_text(items[index])), index

    return sorted(firsts, key=most_text) + sorted(others, key=most_text)


def prepared_image(path: Path, image: FrameImage) -> bytes | None:
    """The frame's image, its sensitive boxes blacked out, scaled down, as JPEG;
    None when the file is gone or cannot be read."""
    try:
        with Image.open(path) as opened:
            opened.load()
            boxes = _scaled(image.sensitive_boxes, image, opened.size)
            masked = black_out(opened, boxes)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        log.warning("key frame %s not readable: %s", image.id, exc)
        return None
    masked.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    masked.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def _new_text(item: dict[str, Any]) -> str:
    text = str(item.get("text") or "")
    return "" if text == UNCHANGED else text


def _scaled(boxes: list[Box], image: FrameImage, size: tuple[int, int]) -> list[Box]:
    """Boxes in the file's pixels: they were recorded on the frame as captured,
    which is the file's size unless the file was replaced by a smaller one."""
    if not image.width or not image.height or (image.width, image.height) == size:
        return boxes
    sx, sy = size[0] / image.width, size[1] / image.height
    return [
        (int(left * sx), int(top * sy), int(right * sx + 1), int(bottom * sy + 1))
        for left, top, right, bottom in boxes
    ]
