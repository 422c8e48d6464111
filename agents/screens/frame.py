"""A screen frame, and reading image files safely.

Images from disk may be anything: corrupt or truncated files, files that are
not images at all, zero-size or enormous pictures. :func:`open_image` turns
every one of those into a :class:`FrameError` with a plain message, and never
decodes more pixels than :data:`MAX_PIXELS`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from agents.errors import AgentError

MAX_PIXELS = 40_000_000
"""Largest frame accepted (40 megapixels: an 8K screen is 33). Bigger images are
refused before they are decoded: an 8000x8000 picture alone is 192 MB of RGB."""


class FrameError(AgentError):
    """A frame or image file that cannot be used; the message says why."""


class FrameForgotten(FrameError):
    """The user forgot this frame's time while it waited for OCR: it is not kept."""


@dataclass(frozen=True)
class Frame:
    """One screen image with where and when it was seen."""

    image: Image.Image
    at: str
    """ISO-8601 time (UTC)."""
    monitor: int | None
    app: str
    title: str
    external_id: str | None = None


MIN_SIDE = 16
"""Narrowest frame accepted: no line of text fits in fewer pixels."""


def check_size(width: int, height: int, what: str) -> None:
    if width < 1 or height < 1:
        raise FrameError(f"{what} is empty ({width}x{height} pixels).")
    if min(width, height) < MIN_SIDE:
        raise FrameError(
            f"{what} is {width}x{height} pixels: too thin to show a line of text "
            f"(a screenshot is at least {MIN_SIDE} pixels each way)."
        )
    if width * height > MAX_PIXELS:
        raise FrameError(
            f"{what} is {width}x{height} pixels, more than the "
            f"{MAX_PIXELS // 1_000_000}-megapixel limit for a screenshot."
        )


def open_image(path: Path) -> Image.Image:
    """Read ``path`` fully into an RGB image, or raise FrameError."""
    what = str(path)
    try:
        if path.stat().st_size == 0:
            raise FrameError(f"{what} is an empty file.")
        with warnings.catch_warnings():
            # Pillow warns (and past twice the limit, refuses) on huge images; the
            # size is checked below from the header, before any pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                check_size(img.width, img.height, what)
                img.load()
                # An RGB file is used as read: a copy is 3 bytes a pixel (120 MB at the cap).
                return img if img.mode == "RGB" else img.convert("RGB")
    except FrameError:
        raise
    except FileNotFoundError:
        raise FrameError(f"{what} does not exist.") from None
    except IsADirectoryError:
        raise FrameError(f"{what} is a directory, not an image.") from None
    except UnidentifiedImageError:
        raise FrameError(f"{what} is not an image Pillow can read.") from None
    except Image.DecompressionBombError:
        raise FrameError(f"{what} is too large to be a screenshot.") from None
    except (OSError, ValueError, SyntaxError) as exc:
        # Truncated or corrupt data surfaces here while decoding.
        raise FrameError(f"{what} is damaged or truncated ({exc}).") from None
