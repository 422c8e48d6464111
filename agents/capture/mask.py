"""Blacking out private windows: mirix-app's own, and excluded ones not in use.

The rule (README, "Privacy"):

- mirix-app's own windows, active or not, are blacked out of the frame;
- while an excluded window (``capture_exclude_apps`` / ``capture_exclude_titles``)
  is the active window, nothing is grabbed at all; one that is visible but not
  active is blacked out;
- only what shows of a private window is blacked out: where another window lies
  on top of it, that window is captured;
- a monitor where no other window shows is not grabbed (a frame of nothing but
  private windows says nothing);
- a private window whose place is unknown stops the grab of every monitor.

The probe lists the windows bottom to top, so painting their boxes in that order
leaves each pixel marked with the window that shows there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

from agents.capture.grabber import Monitor
from agents.capture.window import Window

Mask = npt.NDArray[np.bool_]

_OTHER = 1
_PRIVATE = 2


@dataclass(frozen=True)
class Layer:
    window: Window
    private: str | None
    """Why the window must not be recorded ("mirix-app's own window", "excluded
    app KeePassXC"), or None for any other window."""


@dataclass(frozen=True)
class MonitorView:
    """What shows on one monitor, as far as privacy goes."""

    hidden: Mask | None
    """Pixels to black out (True), in the monitor's coordinates; None: none."""
    others: bool
    """Some window that is not private shows on the monitor."""
    why: tuple[str, ...] = ()
    """Why each hidden part is hidden, once each."""
    boxes: tuple[tuple[int, int, int, int], ...] = ()
    """The private windows' boxes on this monitor (to see whether they moved)."""


def view_of(monitor: Monitor, layers: Sequence[Layer]) -> MonitorView:
    """Paint ``layers`` (bottom to top) over ``monitor``."""
    private = [
        layer for layer in layers if layer.private and _clip(layer.window.box, monitor) is not None
    ]
    if not private:
        return MonitorView(None, others=True)
    label = np.zeros((monitor.height, monitor.width), dtype=np.uint8)
    for layer in layers:
        area = _clip(layer.window.box, monitor)
        if area is not None:
            left, top, right, bottom = area
            label[top:bottom, left:right] = _PRIVATE if layer.private else _OTHER
    hidden = label == _PRIVATE
    why = tuple(dict.fromkeys(str(layer.private) for layer in private))
    boxes = tuple(layer.window.box for layer in private if layer.window.box is not None)
    return MonitorView(
        hidden if hidden.any() else None, others=bool((label == _OTHER).any()), why=why, boxes=boxes
    )


def black_out(image: Image.Image, hidden: Mask) -> Image.Image:
    """A copy of ``image`` with the ``hidden`` pixels black."""
    out = image.convert("RGB")  # a copy
    mask = Image.fromarray(hidden.astype(np.uint8) * 255)
    if mask.size != out.size:  # a grab scaled from the layout (HiDPI)
        mask = mask.resize(out.size, Image.Resampling.NEAREST)
    out.paste((0, 0, 0), mask=mask)
    return out


def _clip(
    box: tuple[int, int, int, int] | None, monitor: Monitor
) -> tuple[int, int, int, int] | None:
    """``box`` in the monitor's pixel coordinates, cut to it; None when they do not meet."""
    if box is None:
        return None
    left = max(box[0], monitor.left) - monitor.left
    top = max(box[1], monitor.top) - monitor.top
    right = min(box[2], monitor.left + monitor.width) - monitor.left
    bottom = min(box[3], monitor.top + monitor.height) - monitor.top
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom
