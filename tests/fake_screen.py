"""A fake display at the capture boundary: it implements both
:class:`agents.capture.Grabber` and :class:`agents.capture.WindowProbe`, so
capture tests control monitors, pixels, windows and idle time without an X
server (the real one is tested under Xvfb)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

from agents.capture import CaptureError, Monitor, MonitorGoneError, Window

FONT = ImageFont.load_default(size=18)


def screen_with(lines: list[str], size: tuple[int, int] = (1280, 720)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(lines):
        draw.text((30, 30 + 28 * n), line, fill="black", font=FONT)
    return image


@dataclass
class FakeScreen:
    monitors_: list[Monitor] = field(default_factory=lambda: [Monitor(1, 0, 0, 1280, 720)])
    images: dict[int, Image.Image] = field(default_factory=dict)
    active: Window = field(default_factory=lambda: Window("Editor", "notes.txt"))
    visible: list[Window] = field(default_factory=list)
    idle: float | None = None
    unplugged: set[int] = field(default_factory=set)
    broken_probe: bool = False
    on_grab: Callable[[Monitor], None] | None = None
    grabs: list[int] = field(default_factory=list)
    closed: bool = False
    whole_desktop: bool = False

    # -- Grabber -------------------------------------------------------------------------

    def monitors(self, *, refresh: bool = False) -> list[Monitor]:
        return [m for m in self.monitors_ if m.number not in self.unplugged]

    def grab(self, monitor: Monitor) -> Image.Image:
        if monitor.number in self.unplugged:
            raise MonitorGoneError(f"Monitor {monitor.number} is no longer connected.")
        self.grabs.append(monitor.number)
        if self.on_grab is not None:
            self.on_grab(monitor)
        image = self.images.get(monitor.number)
        if image is None:
            image = screen_with([f"monitor {monitor.number}"], (monitor.width, monitor.height))
        return image.copy()

    def close(self) -> None:
        self.closed = True

    # -- WindowProbe ---------------------------------------------------------------------

    def active_window(self) -> Window:
        if self.broken_probe:
            raise CaptureError("Cannot read the active window: BadWindow.")
        return self.active

    def visible_windows(self) -> list[Window]:
        if self.broken_probe:
            raise CaptureError("Cannot list the visible windows: BadWindow.")
        return list(self.visible)

    def idle_seconds(self) -> float | None:
        return self.idle
