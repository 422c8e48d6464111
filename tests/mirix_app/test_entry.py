"""The mirix-app script: with no command and no display it fails with one plain
line instead of letting Qt abort; --help needs no display."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
