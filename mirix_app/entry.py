"""The ``mirix-app`` script. With no arguments it starts the desktop app without
loading the command line (and with it the agents layer) first, so the tray icon
appears sooner; anything else goes to the command line in mirix_app.cli."""

from __future__ import annotations

import os
import sys


def _no_display() -> bool:
    """On Linux, Qt aborts the process when it finds no display; say so plainly first."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main() -> None:
    if len(sys.argv) == 1:
        if _no_display():
            print(
                "Error: no display to show the desktop app on (DISPLAY and WAYLAND_DISPLAY "
                "are unset); run it in a desktop session, or use a command: mirix-app --help",
                file=sys.stderr,
            )
            sys.exit(1)
        for name, value in (
            ("HF_HUB_OFFLINE", "1"),
            ("TRANSFORMERS_OFFLINE", "1"),
            ("LITELLM_LOCAL_MODEL_COST_MAP", "True"),
        ):
            os.environ.setdefault(name, value)
        from mirix_app.gui.app import run

        sys.exit(run())
    from mirix_app.cli import main as cli_main

    cli_main()
