"""The ``mirix-app`` script. With no arguments (or only ``--data-dir DIR``) it
starts the desktop app without loading the command line (and with it the
agents layer) first, so the tray icon appears sooner; anything else goes to the
command line in mirix_app.cli."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn


def _no_display() -> bool:
    """On Linux, Qt aborts the process when it finds no display; say so plainly first."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def desktop_data_dir(args: list[str]) -> tuple[bool, Path | None]:
    """Whether ``args`` (argv without the program) only start the desktop app, and
    with which data directory: none, ``--data-dir DIR`` or ``--data-dir=DIR``."""
    if not args:
        return True, None
    if len(args) == 2 and args[0] == "--data-dir" and args[1]:
        return True, Path(args[1])
    if len(args) == 1 and args[0].startswith("--data-dir=") and len(args[0]) > 11:
        return True, Path(args[0].split("=", 1)[1])
    return False, None


def fail(message: str) -> NoReturn:
    print(f"Error: {message}", file=sys.stderr)
    sys.exit(1)


def start_desktop(data_dir: Path | None) -> None:
    """Check what Qt needs (a display, its system libraries), then run the app."""
    if _no_display():
        fail(
            "no display to show the desktop app on (DISPLAY and WAYLAND_DISPLAY are "
            "unset); run it in a desktop session, or use a command: mirix-app --help"
        )
    from mirix_app.syslibs import check_desktop, distribution, import_problem

    problem = check_desktop()
    if problem:
        fail(problem)
    for name, value in (
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("LITELLM_LOCAL_MODEL_COST_MAP", "True"),
    ):
        os.environ.setdefault(name, value)
    try:
        from mirix_app.gui.app import run
    except ImportError as error:
        # a library Qt links that the check does not know (a newer PySide6)
        problem = import_problem(error, distribution())
        if problem is None:
            raise
        fail(problem)
    sys.exit(run(data_dir))


def one_blas_thread() -> None:
    """OpenBLAS on one thread unless the user set otherwise (before numpy loads).
    What this process multiplies interactively is one short query's embedding and
    a vector search, where BLAS threads gain nothing and, on a busy machine, their
    spinning made it slow (MiniLM+USE on one query at a load of 11 on two cores:
    p95 1.2-1.6 s on two threads, 0.5 s on one); bulk embedding runs one worker
    per core with one BLAS thread each anyway (agents.embeddings.bulk)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    one_blas_thread()
    desktop, data_dir = desktop_data_dir(sys.argv[1:])
    if desktop:
        start_desktop(data_dir)
    from mirix_app.cli import main as cli_main

    cli_main()
