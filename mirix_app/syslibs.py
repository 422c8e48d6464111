"""The system libraries the desktop app needs on Linux, checked before Qt loads.

Qt's X11 platform plugin (xcb) aborts the process (exit 134) when a library it
links is missing, with a message about ``libxcb-cursor0`` whatever the missing
one is; a fresh Debian desktop lacked ``libxcb-icccm4`` and ``libxcb-keysyms1``,
and a minimal Debian (a container) also GLib, without which QtCore does not even
import.
This module tries to load each library first and names the missing ones in one
line, with the packages that provide them on the user's distribution. The same
table is the README's list ("Set up").
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SystemLibrary:
    soname: str
    debian: str
    """The Debian and Ubuntu package."""
    fedora: str
    arch: str
    xcb: bool = True
    """Needed by the X11 platform plugin only (not under Wayland)."""


LIBRARIES: tuple[SystemLibrary, ...] = (
    # Qt itself (any platform)
    SystemLibrary("libEGL.so.1", "libegl1", "libglvnd-egl", "libglvnd", xcb=False),
    SystemLibrary("libGL.so.1", "libgl1", "libglvnd-glx", "libglvnd", xcb=False),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig", "fontconfig", xcb=False),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon", "libxkbcommon", xcb=False),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs", "dbus", xcb=False),
    # QtCore's event loop; a desktop has it, a minimal system (a container) does not
    SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "glib2", "glib2", xcb=False),
    SystemLibrary("libgthread-2.0.so.0", "libglib2.0-0", "glib2", "glib2", xcb=False),
    SystemLibrary("libfreetype.so.6", "libfreetype6", "freetype", "freetype2", xcb=False),
    # the X11 platform plugin
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image", "xcb-util-image"),
    SystemLibrary(
        "libxcb-render-util.so.0",
        "libxcb-render-util0",
        "xcb-util-renderutil",
        "xcb-util-renderutil",
    ),
    SystemLibrary("libxcb-util.so.1", "libxcb-util1", "xcb-util", "xcb-util"),
    SystemLibrary(
        "libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"
    ),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb", "libx11"),
    SystemLibrary("libX11.so.6", "libx11-6", "libX11", "libx11"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb", "libxcb"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb", "libxcb"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb", "libxcb"),
    SystemLibrary("libxcb-shm.so.0", "libxcb-shm0", "libxcb", "libxcb"),
    SystemLibrary("libxcb-sync.so.1", "libxcb-sync1", "libxcb", "libxcb"),
    SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb", "libxcb"),
    SystemLibrary("libxcb-render.so.0", "libxcb-render0", "libxcb", "libxcb"),
    SystemLibrary("libxcb.so.1", "libxcb1", "libxcb", "libxcb"),
)
INSTALL = {
    "debian": "sudo apt install",
    "fedora": "sudo dnf install",
    "arch": "sudo pacman -S",
}


def can_load(soname: str) -> bool:
    """Whether the dynamic loader finds ``soname`` (and what it needs) here."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_x11(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Whether Qt will use its X11 plugin: forced (QT_QPA_PLATFORM=xcb), or by
    default on a display that is not a Wayland session (there Qt uses Wayland)."""
    forced = environ.get("QT_QPA_PLATFORM", "")
    if forced:
        return forced.startswith("xcb")
    wayland = environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE") == "wayland"
    return bool(environ.get("DISPLAY")) and not wayland


def missing_libraries(
    libraries: Sequence[SystemLibrary] = LIBRARIES,
    *,
    x11: bool = True,
    load: Callable[[str], bool] = can_load,
) -> list[SystemLibrary]:
    """The libraries of ``libraries`` that cannot be loaded (the X11 plugin's only
    when ``x11``)."""
    return [lib for lib in libraries if (x11 or not lib.xcb) and not load(lib.soname)]


def distribution(os_release: Path = Path("/etc/os-release")) -> str:
    """debian, fedora or arch (the family, from ID and ID_LIKE), or "" when unknown."""
    try:
        text = os_release.read_text(encoding="utf-8")
    except OSError:
        return ""
    names: list[str] = []
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            names += value.strip().strip('"').lower().split()
    for family, members in (
        ("debian", {"debian", "ubuntu"}),
        ("fedora", {"fedora", "rhel", "centos"}),
        ("arch", {"arch", "archlinux", "manjaro"}),
    ):
        if members & set(names):
            return family
    return ""


def message(missing: Sequence[SystemLibrary], family: str) -> str:
    """One line: what is missing and how to install it here."""
    names = ", ".join(lib.soname for lib in missing)
    line = f"the desktop app needs system libraries that are missing: {names}."
    if family in INSTALL:
        packages = sorted({getattr(lib, family) for lib in missing})
        line += f" Install them with: {INSTALL[family]} {' '.join(packages)}"
    else:
        debian = " ".join(sorted({lib.debian for lib in missing}))
        line += f" (Debian/Ubuntu packages: {debian}; see the README for Fedora and Arch)"
    return line


UNLOADABLE = re.compile(r"(\S+\.so[\w.]*): cannot open shared object file")
"""The dynamic loader's words for a library it did not find (in an ImportError)."""


def import_problem(error: ImportError, family: str) -> str | None:
    """The one-line problem when importing Qt failed because the loader did not
    find a system library (one the table lacks, for a newer PySide6), or None
    when ``error`` is something else."""
    found = UNLOADABLE.search(str(error))
    if found is None:
        return None
    soname = found.group(1)
    known = [lib for lib in LIBRARIES if lib.soname == soname]
    if known:
        return message(known, family)
    return (
        f"the desktop app needs a system library that is missing: {soname} (Qt could "
        "not load it; install the package that provides it)"
    )


def check_desktop() -> str | None:
    """The one-line problem that would stop the desktop app here, or None."""
    if not sys.platform.startswith("linux"):
        return None
    missing = missing_libraries(x11=uses_x11())
    return message(missing, distribution()) if missing else None


M_ARENA_MAX = -8
"""glibc's mallopt parameter for the most malloc arenas (malloc.h)."""


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Let at most ``arenas`` malloc arenas serve all threads (glibc's default is 8
    per core). Each thread that allocates gets an arena of its own, and what a
    thread frees stays scattered in its arena: with OCR, the embedder, the chat and
    the windows' workers on different threads, the desktop app went from 678 to 981
    MB over a session (tests/bench/startup.py --session); with two arenas it ended
    at 627. Called before the app's threads start; False where glibc is not the C
    library."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
