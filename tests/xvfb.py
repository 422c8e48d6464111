"""A real X display for capture tests: an Xvfb server, and windows shown on it.

Tests that need it skip with a clear reason only when the Xvfb (or xmessage)
binary is missing; CI installs both (.ci/run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

FONT = "-misc-fixed-medium-r-normal--20-200-75-75-c-100-iso8859-1"
"""A large core X font from xfonts-base, so OCR can read the window's text."""


@contextmanager
def xvfb(width: int = 1280, height: int = 720) -> Iterator[str]:
    """Start ``Xvfb`` on a free display number; yields the display name (":N")."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb); no X display to capture")
    read, write = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            pytest.fail("Xvfb started but did not report a display number")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def window(
    display: str,
    text: str,
    *,
    title: str,
    app: str = "mirixtest",
    at: tuple[int, int] | None = None,
) -> Iterator[None]:
    """Show an xmessage window with ``text``; ``app`` is its WM_CLASS instance; at
    the screen's centre, or with its top left corner ``at`` (x, y)."""
    if shutil.which("xmessage") is None:
        pytest.skip("xmessage is not installed (apt-get install x11-utils)")
    place = ["-center"] if at is None else ["-geometry", f"+{at[0]}+{at[1]}"]
    proc = subprocess.Popen(
        ["xmessage", "-name", app, "-title", title, "-fn", FONT, *place, text],
        env={**os.environ, "DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_window(display, title)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for_window(display: str, title: str, timeout: float = 10.0) -> None:
    from Xlib import X
    from Xlib import display as xdisplay

    conn = xdisplay.Display(display)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for child in conn.screen().root.query_tree().children:
                if (
                    child.get_wm_name() == title
                    and child.get_attributes().map_state == X.IsViewable
                ):
                    time.sleep(0.3)  # let it draw its text
                    return
            time.sleep(0.05)
    finally:
        conn.close()
    pytest.fail(f"the window {title!r} did not appear on {display}")
