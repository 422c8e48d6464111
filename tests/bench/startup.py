"""Startup time and idle memory of the desktop app.

Starts ``python -m mirix_app`` (the tray app) under Xvfb with trayer as the tray
host, on a fresh data directory whose first run is already done, and prints:

- the time from process start to the tray icon being embedded in the tray
  (median of --runs cold starts; goal <= 1.5 s);
- the resident memory (VmRSS) after --idle seconds with capture off, then on
  (goal <= 350 MB with capture on).

    python tests/bench/startup.py [--runs 5] [--idle 60]

With ``--session`` it measures a working session instead (see
``tests/bench/session.py``): the app on the demo data directory, idle with
capture on, then every window opened, 20 searches, 10 chat turns against the
scripted LLM server and capture of a changing screen for ``--minutes``; it prints
the resident memory when idle, along the way and at the end (goal: the end
within 1.3 times the idle figure).

    python tests/bench/startup.py --session [--minutes 10] [--idle 60]

Needs the Debian packages xvfb, trayer and x11-utils.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "packaging"), str(Path(__file__).resolve().parent)]

from xsession import tray_host, tray_icons, virtual_display  # noqa: E402


def app_env(display: str, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "MIRIX_APP_HOME": str(home),
        "MIRIX_APP_KEYRING": "off",
        "PYTHONPATH": str(ROOT),
    }


def fresh_home(root: Path, name: str, *, capture: bool = True) -> Path:
    home = root / name
    home.mkdir()
    (home / "settings.json").write_text(
        json.dumps({"first_run_done": True, "capture_on_start": capture})
    )
    return home


def time_to_tray(display: str, home: Path, timeout: float = 30.0) -> tuple[float, int]:
    """Seconds until the icon is in the tray, and the pid (still running)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mirix_app"],
        env=app_env(display, home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while tray_icons(display) < 1:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with status {proc.returncode}")
        if time.monotonic() - started > timeout:
            raise RuntimeError("no tray icon appeared")
        time.sleep(0.01)
    return time.monotonic() - started, proc.pid


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def stop(pid: int) -> None:
    os.kill(pid, 15)
    for _ in range(100):
        try:
            os.waitpid(pid, os.WNOHANG)
            os.kill(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            return
        time.sleep(0.05)


@contextlib.contextmanager
def text_window(display: str, tmp: Path) -> Iterator[None]:
    """A window full of text (xmessage), so capture has a real screen to OCR and
    the memory figure includes full-frame text detection, not a blank desktop."""
    page = tmp / "page.txt"
    page.write_text(
        "\n".join(
            f"{n:3d}  Quarterly report, section {n}: revenue rose {n % 9 + 1}% while "
            f"support tickets fell to {200 - n * 3}; follow up with team {n % 7}."
            for n in range(40)
        )
    )
    proc = subprocess.Popen(
        ["xmessage", "-geometry", "1500x950+0+0", "-file", str(page)],
        env={**os.environ, "DISPLAY": display},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--session", action="store_true", help="measure a working session")
    parser.add_argument("--minutes", type=float, default=10.0, help="session length")
    parser.add_argument(
        "--trace", action="store_true", help="with --session: what Python allocated meanwhile"
    )
    args = parser.parse_args()
    if args.session:
        from session import run_session

        run_session(minutes=args.minutes, idle=args.idle, trace=args.trace)
        return
    with tempfile.TemporaryDirectory() as tmp, virtual_display() as display:
        times: list[float] = []
        for n in range(args.runs):
            with tray_host(display):
                seconds, pid = time_to_tray(display, fresh_home(Path(tmp), f"run{n}"))
                times.append(seconds)
                stop(pid)
        print(
            f"start to tray icon: median {statistics.median(times):.2f} s, "
            f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} runs"
        )
        for capture in (False, True):
            with tray_host(display), text_window(display, Path(tmp)):
                home = fresh_home(Path(tmp), f"idle-{capture}", capture=capture)
                _s, pid = time_to_tray(display, home)
                time.sleep(args.idle)
                print(
                    f"resident memory after {args.idle:.0f} s idle with capture "
                    f"{'on' if capture else 'off'}: {rss_mb(pid):.0f} MB"
                )
                stop(pid)


if __name__ == "__main__":
    main()
