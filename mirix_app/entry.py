"""The ``mirix-app`` script. With no arguments it starts the desktop app without
loading the command line (and with it the agents layer) first, so the tray icon
appears sooner; anything else goes to the command line in mirix_app.cli."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if len(sys.argv) == 1:
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
