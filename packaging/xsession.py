"""A throwaway X session for the screenshot script and the startup benchmark:
Xvfb on a free display number, and Debian's ``trayer`` as the system tray host.

Needs the Debian packages xvfb, trayer and x11-utils (for xwininfo).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator


@contextlib.contextmanager
def virtual_display(size: str = "1600x1000x24") -> Iterator[str]:
    """Start Xvfb on a free display; yields ``":N"``."""
    read, write = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start (is the xvfb package installed?)")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def tray_host(display: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run trayer (a freedesktop system tray) on ``display`` until the block ends."""
    env = {**os.environ, "DISPLAY": display}
    proc = subprocess.Popen(
        [
            "trayer",
            "--edge",
            "top",
            "--align",
            "right",
            "--widthtype",
            "request",
            "--height",
            "32",
            "--transparent",
            "false",
            "--tint",
            "0xe5e7eb",
            "--SetDockType",
            "true",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while tray_panel(display) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("trayer did not come up")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


_WINDOW = re.compile(r"^\s*(0x[0-9a-f]+) (.*?): \((.*?)\)\s+(\d+)x(\d+)")


def _tree(display: str) -> list[str]:
    out = subprocess.run(
        ["xwininfo", "-root", "-tree"],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.splitlines()


def tray_panel(display: str) -> str | None:
    for line in _tree(display):
        m = _WINDOW.match(line)
        if m and '"panel" "trayer"' in m.group(3):
            return m.group(1)
    return None


def tray_icons(display: str) -> int:
    """How many icons the tray holds: embedded children of trayer's panel wider than 1px."""
    lines = _tree(display)
    count, inside, depth = 0, False, 0
    for line in lines:
        m = _WINDOW.match(line)
        if not m:
            continue
        indent = len(line) - len(line.lstrip())
        if '"panel" "trayer"' in m.group(3):
            inside, depth = True, indent
            continue
        if inside:
            if indent <= depth:
                break
            if int(m.group(4)) > 1 and int(m.group(5)) > 1:
                count += 1
    return count


def paint_root(display: str, colour: int = 0x3B4252) -> None:
    """Give the bare X root window a desktop colour instead of black."""
    from Xlib import display as xdisplay

    conn = xdisplay.Display(display)
    try:
        root = conn.screen().root
        root.change_attributes(background_pixel=colour)
        root.clear_area()
        conn.sync()
    finally:
        conn.close()
