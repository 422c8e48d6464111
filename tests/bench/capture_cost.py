"""What live capture costs, on 1920x1080 frames.

    python tests/bench/capture_cost.py [--minutes 5] [--parts dedup,ocr,bytes,grab,cpu]
    python tests/bench/capture_cost.py --grabber wayland [--minutes 5]

Prints:

1. milliseconds per dedup decision (downscale + fingerprint + comparison),
   median and p95 over rendered desktop frames;
2. OCR seconds per changed frame, full frame versus incremental
   (agents.screens.ocr.IncrementalOcr: the changed regions only, or the strip a
   scroll brought into view), median per kind of change: a typed line, a new
   paragraph, a scrolled page (rendered with Pillow); with how the incremental
   reads went (full, regions, scroll) and the milliseconds it spent besides the
   OCR engine (changed regions, the scroll search, moving the kept lines);
3. bytes stored per kept frame (WebP image + thumbnail on disk, and the
   database growth: OCR text, FTS index, embedding) through the real pipeline;
4. (grab) wall time and CPU per grab of a 1920x1080 screen showing the same
   text through the capture's grabbers: mss on an Xvfb display (an xmessage
   window), and with ``--grabber wayland`` next to it the desktop portal on
   headless sway (a foot window; tests/wayland.py, the packages it names): the
   capture process and the display's processes (the X server; or sway, the
   portals with the grim they run, PipeWire, the bus) measured apart;
5. (cpu) the capture loop's CPU share over ``--minutes`` of a static screen: a
   real CaptureService (default settings) on that screen, with the X11 grabber
   and probe, or with ``--grabber wayland`` the portal grabber and sway's IPC.

Figures on a shared machine are noisy: run it alone for numbers to quote.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MIRIX_APP_KEYRING", "off")

SIZE = (1920, 1080)
XFONT = "-misc-fixed-medium-r-normal--20-200-75-75-c-100-iso8859-1"
LINE_H = 26
TEXT = (
    "the quarterly report shows revenue growth in every region while costs stayed flat "
    "our team will review the deployment plan on thursday and confirm the rollout dates "
    "please send the updated figures before the meeting so we can compare both options "
    "the database migration finished without errors and the backups were verified twice"
)
WORDS = TEXT.split()


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
    ):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


FONT = font(17)


def sentence(n: int, words: int = 11) -> str:
    return " ".join(WORDS[(n * 7 + k) % len(WORDS)] for k in range(words)).capitalize() + "."


def desktop(lines: list[str]) -> Image.Image:
    """An editor-like window: title bar, side bar, text lines, a status bar."""
    image = Image.new("RGB", SIZE, (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SIZE[0], 36), fill=(45, 48, 56))
    draw.text((16, 9), "report.md - Editor", fill="white", font=FONT)
    draw.rectangle((0, 36, 260, SIZE[1]), fill=(235, 237, 240))
    for n in range(14):
        draw.text((20, 60 + n * 30), f"notes-{n:02d}.md", fill=(60, 60, 60), font=FONT)
    draw.rectangle((0, SIZE[1] - 28, SIZE[0], SIZE[1]), fill=(0, 110, 190))
    draw.text((16, SIZE[1] - 24), "Ln 42, Col 7   UTF-8   Markdown", fill="white", font=FONT)
    for n, line in enumerate(lines):
        y = 60 + n * LINE_H
        if y > SIZE[1] - 60:
            break
        draw.text((300, y), line, fill=(20, 20, 20), font=FONT)
    return image


def page(first: int, count: int) -> list[str]:
    return [sentence(n) if n % 6 != 5 else "" for n in range(first, first + count)]


def scenarios() -> dict[str, list[tuple[Image.Image, Image.Image]]]:
    """(previous, current) frame pairs per kind of change, five of each."""
    out: dict[str, list[tuple[Image.Image, Image.Image]]] = {
        "typed line": [],
        "new paragraph": [],
        "scrolled page": [],
    }
    for k in range(5):
        base = page(k * 3, 18 + k * 3)
        out["typed line"].append((desktop(base), desktop([*base, sentence(100 + k, 9)])))
        paragraph = [sentence(200 + k * 5 + j, 12) for j in range(5)]
        out["new paragraph"].append((desktop(base), desktop([*base, "", *paragraph])))
        full = page(k * 3, 60)
        out["scrolled page"].append((desktop(full[:38]), desktop(full[12:50])))
    return out


def bench_dedup(pairs: list[tuple[Image.Image, Image.Image]]) -> None:
    from agents.screens.dedup import fingerprint, is_near_duplicate

    frames = [img for pair in pairs for img in pair]
    previous = fingerprint(frames[0])
    times = []
    for _ in range(10):
        for image in frames:
            start = time.perf_counter()
            current = fingerprint(image)
            is_near_duplicate(previous, current)
            times.append((time.perf_counter() - start) * 1000)
            previous = current
    times.sort()
    print(
        f"dedup decision, 1920x1080 (downscale + fingerprint + compare): median "
        f"{statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms "
        f"over {len(times)} frames (goal <= 3 ms)"
    )


class _TimedEngine:
    """An OCR engine that adds up the time spent in it, so what IncrementalOcr costs
    besides OCR is its total time less this."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.name = engine.name
        self.seconds = 0.0

    def read(self, image: Image.Image) -> Any:
        start = time.perf_counter()
        try:
            return self.engine.read(image)
        finally:
            self.seconds += time.perf_counter() - start


def bench_ocr(cases: dict[str, list[tuple[Image.Image, Image.Image]]]) -> None:
    from agents.screens.dedup import changed_regions, fingerprint
    from agents.screens.ocr import IncrementalOcr, RapidOcr

    engine = RapidOcr()
    engine.read(cases["typed line"][0][0])  # load the models once
    print("OCR seconds per changed frame (rapidocr, use_cls off), median of 5:")
    all_full, all_incremental = [], []
    for name, pairs in cases.items():
        full, incremental, share, besides = [], [], [], []
        kinds = {"full": 0, "regions": 0, "scroll": 0}
        for prev, cur in pairs:
            start = time.perf_counter()
            engine.read(cur)
            full.append(time.perf_counter() - start)
            timed = _TimedEngine(engine)
            ocr = IncrementalOcr(timed)
            prev_print, cur_print = fingerprint(prev), fingerprint(cur)
            ocr.read(prev, prev_print, 1)
            before = (ocr.full_reads, ocr.region_reads, ocr.scroll_reads)
            timed.seconds = 0.0
            start = time.perf_counter()
            ocr.read(cur, cur_print, 1)
            incremental.append(time.perf_counter() - start)
            besides.append(1000 * (incremental[-1] - timed.seconds))
            after = (ocr.full_reads, ocr.region_reads, ocr.scroll_reads)
            for kind, b, a in zip(kinds, before, after, strict=True):
                kinds[kind] += a - b
            boxes = changed_regions(prev_print, cur_print)
            share.append(sum((r - x) * (b - y) for x, y, r, b in boxes) / (SIZE[0] * SIZE[1]))
        all_full += full
        all_incremental += incremental
        reads = ", ".join(f"{n} {kind}" for kind, n in kinds.items() if n)
        print(
            f"  {name:<14} full {statistics.median(full):.3f} s   incremental "
            f"{statistics.median(incremental):.3f} s   (changed area "
            f"{100 * statistics.median(share):.1f}% of the frame; read as {reads}; "
            f"{statistics.median(besides):.1f} ms besides OCR)"
        )
    print(
        f"  all changes    full {statistics.median(all_full):.3f} s   incremental "
        f"{statistics.median(all_incremental):.3f} s   (goal: median <= 0.5 s)"
    )


def bench_bytes(cases: dict[str, list[tuple[Image.Image, Image.Image]]]) -> None:
    from agents import open_assistant
    from agents.screens.frame import Frame

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        app = open_assistant(data)
        try:
            pipeline = app.screens.pipeline()
            db = data / "mirix.db"
            frames = [cur for pairs in cases.values() for _, cur in pairs]
            # One frame first, so the database's fixed overhead is not counted.
            first = Frame(
                image=frames[0],
                at="2024-01-01T09:00:00Z",
                monitor=1,
                app="Editor",
                title="report.md",
            )
            pipeline.process(first, dedup=False)
            db_before = _db_bytes(db)
            files_before = _tree_bytes(data / "frames")
            for n, image in enumerate(frames[1:], start=1):
                frame = Frame(
                    image=image,
                    at=f"2024-01-01T09:{n:02d}:00Z",
                    monitor=1,
                    app="Editor",
                    title="report.md",
                )
                pipeline.process(frame, dedup=False)
            kept = len(frames) - 1
            files = (_tree_bytes(data / "frames") - files_before) / kept
            rows = (_db_bytes(db) - db_before) / kept
        finally:
            app.close()
    quality = app.settings.integer("screenshot_quality")
    print(
        f"bytes stored per kept 1920x1080 frame (WebP quality {quality} + thumbnail): "
        f"files {files / 1024:.1f} KiB, database {rows / 1024:.1f} KiB "
        f"(text, index, embedding), total {(files + rows) / 1024:.1f} KiB over {kept} frames"
    )


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def _db_bytes(db: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


class Screen:
    """A 1920x1080 screen showing ``text``: the grabber and window probe capture uses
    there, and the process ids of what draws and serves it (the X server; or sway, the
    portals, PipeWire and the session bus)."""

    def __init__(self, grabber: Any, probe: Any, pids: list[int]) -> None:
        self.grabber, self.probe, self.pids = grabber, probe, pids

    def server_cpu(self) -> float:
        return sum(_proc_cpu(pid) for pid in self.pids)


@contextlib.contextmanager
def x11_screen(text: str) -> Iterator[Screen | None]:
    import subprocess

    from agents.capture import MssGrabber, X11Probe

    if shutil.which("Xvfb") is None or shutil.which("xmessage") is None:
        print("X11: skipped (Xvfb or xmessage is not installed)")
        yield None
        return
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        display = ":" + pipe.readline().strip()
    viewer = subprocess.Popen(
        ["xmessage", "-fn", XFONT, "-geometry", "1920x1080+0+0", text],
        env={**os.environ, "DISPLAY": display},
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    try:
        yield Screen(MssGrabber(display), X11Probe(display), [server.pid])
    finally:
        viewer.terminate()
        server.terminate()
        viewer.wait()
        server.wait()


@contextlib.contextmanager
def wayland_screen(text: str) -> Iterator[Screen | None]:
    """Headless sway (tests/wayland.py) with a foot window showing ``text``."""
    from agents.capture.dbus import SessionBus
    from agents.capture.idle import SessionIdle
    from agents.capture.portal import PortalGrabber, PortalScreenshot
    from agents.capture.sway import SwayProbe
    from tests.wayland import sway

    try:
        with sway(*SIZE) as session, session.window(text, app_id="bench", title="Static"):
            bus = SessionBus(session.env["DBUS_SESSION_BUS_ADDRESS"])
            probe = SwayProbe(session.env["SWAYSOCK"], SessionIdle(bus))
            grabber = PortalGrabber(PortalScreenshot(bus), probe.outputs)
            yield Screen(grabber, probe, [pid or proc.pid for proc, pid in session.procs])
    except BaseException as exc:  # pytest's skip: the packages are missing
        if type(exc).__name__ != "Skipped":
            raise
        print(f"Wayland: skipped ({exc})")
        yield None


def bench_grab(grabbers: list[str], grabs: int = 30) -> None:
    """Wall time and CPU per grab of the whole 1920x1080 screen, through the capture's
    own grabbers, on the same text."""
    text = "\n".join(page(0, 34))
    print(f"one grab of a 1920x1080 screen showing the same text, median of {grabs}:")
    for kind in grabbers:
        with (x11_screen if kind == "x11" else wayland_screen)(text) as screen:
            if screen is None:
                continue
            [monitor] = screen.grabber.monitors()
            screen.grabber.grab(monitor)  # connect first
            times = []
            cpu0, server0 = time.process_time(), screen.server_cpu()
            for _ in range(grabs):
                start = time.perf_counter()
                image = screen.grabber.grab(monitor)
                times.append(time.perf_counter() - start)
            cpu = (time.process_time() - cpu0) / grabs
            server = (screen.server_cpu() - server0) / grabs
            screen.grabber.close()
            screen.probe.close()
            name = "X11 (mss)" if kind == "x11" else "Wayland (portal)"
            print(
                f"  {name:<17} {1000 * statistics.median(times):6.1f} ms wall, CPU "
                f"{1000 * cpu:5.1f} ms in the capture process + {1000 * server:5.1f} ms in "
                f"the display's processes ({image.size[0]}x{image.size[1]})"
            )


def bench_cpu(minutes: float, grabber: str) -> None:
    from agents.capture import ExclusionRules, Scheduler
    from agents.capture.capturer import Capturer
    from agents.capture.service import CaptureService
    from agents.settings import SETTINGS

    defaults = {s.name: s.default for s in SETTINGS}
    screen_of = x11_screen if grabber == "x11" else wayland_screen
    with screen_of("A static screen: nothing changes here.") as screen:
        if screen is None:
            return
        kept: list[object] = []
        with tempfile.TemporaryDirectory() as tmp:
            capturer = Capturer(
                grabber=screen.grabber,
                probe=screen.probe,
                rules=ExclusionRules(
                    defaults["capture_exclude_apps"], defaults["capture_exclude_titles"]
                ),
                sink=lambda frame: kept.append(frame) or None,
                scheduler=Scheduler(
                    interval_s=float(defaults["capture_interval_s"]),
                    max_interval_s=float(defaults["capture_max_interval_s"]),
                    keyframe_s=float(defaults["capture_keyframe_s"]),
                ),
                data_dir=Path(tmp),
            )
            grabs = 0

            def count(event: object) -> None:
                nonlocal grabs
                grabs += getattr(event, "kind", "") in ("kept", "duplicate")

            service = CaptureService(capturer, on_event=count)
            # What the display's processes cost with nothing capturing, for comparison.
            quiet0, quiet_wall0 = screen.server_cpu(), time.monotonic()
            time.sleep(min(60.0, minutes * 12))
            quiet = (screen.server_cpu() - quiet0) / (time.monotonic() - quiet_wall0)
            cpu0, server0, wall0 = time.process_time(), screen.server_cpu(), time.monotonic()
            service.start()
            time.sleep(minutes * 60)
            service.stop()
            wall = time.monotonic() - wall0
            cpu, server = time.process_time() - cpu0, screen.server_cpu() - server0
    display = "X server" if grabber == "x11" else "sway, portals, PipeWire and bus"
    print(
        f"capture loop ({grabber}) on a static 1920x1080 screen for {wall / 60:.1f} min "
        f"(default settings): capture process {100 * cpu / wall:.3f}% of one core, {display} "
        f"{100 * server / wall:.3f}% (without capture: {100 * quiet:.3f}%) ({grabs} grabs, "
        f"{len(kept)} kept; goal <= 1%)"
    )


def _proc_cpu(pid: int) -> float:
    """User and system CPU seconds of ``pid`` and of its children it has waited for
    (grim, which xdg-desktop-portal-wlr runs for each screenshot)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(fields[n]) for n in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="static-screen run length")
    parser.add_argument(
        "--grabber",
        choices=("x11", "wayland"),
        default="x11",
        help="the grabber of the static-screen run; wayland also puts the portal's cost per "
        "grab next to X11's (default parts then: grab,cpu)",
    )
    parser.add_argument(
        "--parts",
        help="comma-separated parts to run: dedup,ocr,bytes,grab,cpu "
        "(default: dedup,ocr,bytes,cpu; with --grabber wayland: grab,cpu)",
    )
    args = parser.parse_args()
    default = "grab,cpu" if args.grabber == "wayland" else "dedup,ocr,bytes,cpu"
    parts = set((args.parts or default).split(","))
    if parts & {"dedup", "ocr", "bytes"}:
        cases = scenarios()
    if "dedup" in parts:
        bench_dedup([pair for pairs in cases.values() for pair in pairs])
    if "ocr" in parts:
        bench_ocr(cases)
    if "bytes" in parts:
        bench_bytes(cases)
    if "grab" in parts:
        bench_grab(["x11", "wayland"] if args.grabber == "wayland" else ["x11"])
    if "cpu" in parts:
        bench_cpu(args.minutes, args.grabber)


if __name__ == "__main__":
    main()
