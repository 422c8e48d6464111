"""The mirix-app script: with no command and no display it fails with one plain
line instead of letting Qt abort; --help needs no display."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mirix_app.entry import desktop_data_dir
from mirix_app.syslibs import (
    LIBRARIES,
    SystemLibrary,
    distribution,
    import_problem,
    limit_malloc_arenas,
    message,
    missing_libraries,
    uses_x11,
)

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "mirix_app", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )


def test_no_display_is_one_plain_error() -> None:
    result = run()
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no display")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_help_needs_no_display() -> None:
    result = run("--help")
    assert result.returncode == 0, result.stderr
    assert "starts the desktop app" in result.stdout


def test_data_dir_alone_starts_the_desktop_app(tmp_path: Path) -> None:
    # Settings says the folder is chosen with --data-dir: with no command that is
    # the desktop app (here without a display, so its one-line error).
    for args in (("--data-dir", str(tmp_path)), (f"--data-dir={tmp_path}",)):
        result = run(*args)
        assert result.returncode == 1
        assert result.stderr.startswith("Error: no display"), result.stderr
    assert desktop_data_dir(["--data-dir", "/x"]) == (True, Path("/x"))
    assert desktop_data_dir([]) == (True, None)
    assert desktop_data_dir(["--data-dir", "/x", "stats"]) == (False, None)


def test_data_dir_before_a_command_is_that_commands(tmp_path: Path) -> None:
    result = run("--data-dir", str(tmp_path / "d"), "stats", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data_dir"] == str(tmp_path / "d")


# -- the system libraries Qt needs, checked before it aborts ---------------------------


def test_a_missing_library_is_named_in_one_line_with_its_package() -> None:
    here = SystemLibrary("libc.so.6", "libc6", "glibc", "glibc")
    absent = SystemLibrary(
        "libmirix-no-such-library.so.9", "libmirix-none9", "mirix-none", "mirix-none"
    )
    also = SystemLibrary("libxcb-icccm-nope.so.4", "libxcb-icccm4", "xcb-util-wm", "xcb-util-wm")
    found = missing_libraries([here, absent, also])
    assert found == [absent, also]  # really looked up by the dynamic loader
    line = message(found, "debian")
    assert "\n" not in line
    assert "libmirix-no-such-library.so.9, libxcb-icccm-nope.so.4" in line
    assert line.endswith("sudo apt install libmirix-none9 libxcb-icccm4")
    assert message(found, "arch").endswith("sudo pacman -S mirix-none xcb-util-wm")
    assert "Debian/Ubuntu packages: libmirix-none9 libxcb-icccm4" in message(found, "")


def test_x11_only_libraries_are_not_needed_under_wayland() -> None:
    x11_only = SystemLibrary("libmirix-xcb-nope.so.1", "a", "b", "c", xcb=True)
    assert missing_libraries([x11_only], x11=False) == []
    assert uses_x11({"DISPLAY": ":0"})
    assert not uses_x11({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w", "XDG_SESSION_TYPE": "wayland"})
    assert uses_x11({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"})
    assert not uses_x11({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"})


def test_the_distribution_family_comes_from_os_release(tmp_path: Path) -> None:
    release = tmp_path / "os-release"
    for text, family in (
        ('ID=ubuntu\nID_LIKE="debian"\n', "debian"),
        ("ID=fedora\n", "fedora"),
        ("ID=manjaro\nID_LIKE=arch\n", "arch"),
        ("ID=alpine\n", ""),
    ):
        release.write_text(text)
        assert distribution(release) == family
    assert distribution(tmp_path / "none") == ""


# What the loader finds in any Linux base system (glibc, the C++ runtime, zlib, zstd).
BASE_SYSTEM = {
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "libz.so.1",
    "libzstd.so.1",
}
# The Qt libraries and plugins the desktop app loads on X11.
QT_LOADED = (
    "lib/libQt6Core.so.6",
    "lib/libQt6Gui.so.6",
    "lib/libQt6Widgets.so.6",
    "lib/libQt6Svg.so.6",
    "lib/libQt6DBus.so.6",
    "lib/libQt6XcbQpa.so.6",
    "plugins/platforms/libqxcb.so",
    "plugins/iconengines/libqsvgicon.so",
    "plugins/imageformats/libqsvg.so",
)


@pytest.mark.skipif(shutil.which("readelf") is None, reason="needs readelf (binutils)")
def test_the_list_covers_what_the_installed_qt_links() -> None:
    """Every system library that the Qt the app loads links directly is checked:
    upgrading PySide6 can add one, and a minimal Debian lacked GLib, which QtCore
    links, while the list had only the X11 plugin's."""
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    needed: set[str] = set()
    for name in QT_LOADED:
        out = subprocess.run(
            ["readelf", "-d", str(qt / name)], capture_output=True, text=True, check=True
        )
        needed |= {
            line.split("[", 1)[1].rstrip("]")
            for line in out.stdout.splitlines()
            if "(NEEDED)" in line
        }
    shipped = {path.name for path in (qt / "lib").iterdir()}
    system = needed - shipped - BASE_SYSTEM
    listed = {lib.soname for lib in LIBRARIES}
    assert "libglib-2.0.so.0" in system  # really read from the ELF files
    assert system <= listed, system - listed


def test_a_library_qt_failed_to_load_is_named_in_one_line() -> None:
    # The loader's words when an extension module's library is not found.
    unlisted = ImportError(
        "libmirix-new.so.2: cannot open shared object file: No such file or directory"
    )
    line = import_problem(unlisted, "debian")
    assert line is not None and "\n" not in line
    assert "missing: libmirix-new.so.2 " in line
    listed = ImportError(
        "libglib-2.0.so.0: cannot open shared object file: No such file or directory"
    )
    assert str(import_problem(listed, "debian")).endswith("sudo apt install libglib2.0-0")
    assert str(import_problem(listed, "fedora")).endswith("sudo dnf install glib2")
    assert import_problem(ImportError("No module named 'PySide6'"), "debian") is None


def test_the_readme_lists_the_packages_per_distribution() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for family in ("debian", "fedora", "arch"):
        for package in {getattr(lib, family) for lib in LIBRARIES}:
            assert package in readme, (family, package)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for package in {lib.debian for lib in LIBRARIES}:
        assert package in ci, package


def test_malloc_arenas_are_limited_where_glibc_runs() -> None:
    # A call that glibc accepts (1) or, elsewhere, a plain False: never an error.
    assert limit_malloc_arenas(2) is sys.platform.startswith("linux")
