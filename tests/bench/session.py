"""A working session of the desktop app, for ``tests/bench/startup.py --session``.

The parent seeds the demo data directory (packaging/demo_seed.py), starts Xvfb
with trayer, a scripted OpenAI-compatible server (tests/llm_server.py) answering
every chat turn and memory-agent call, and a window whose text changes every
two seconds (a line typed, a page turned now and then), then runs the app in a
child process that drives its own windows:

1. idle with capture on for ``--idle`` seconds: the idle figure;
2. every window opened (chat, each tab of the memory browser, an item's
   history, screenshot search, a full image, settings, first run), 20 searches
   (10 in the memory browser, 10 of screenshots) and 10 chat turns;
3. the windows closed and capture left running on the changing screen until
   ``--minutes`` have passed since step 2 began;
4. idle again for ``--idle`` seconds: the end figure.

The child reports its resident memory (VmRSS) at each step and every 30 s as
JSON lines; the parent prints them and the end against the idle figure (goal:
within 1.3 times). ``--trace`` also prints the Python allocation sites that grew
most between the idle and the end figure (tracemalloc; it slows the app).
"""

from __future__ import annotations

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
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve()
sys.path[:0] = [str(ROOT), str(ROOT / "packaging")]

CHAT_QUESTIONS = (
    "When is Miso's first vaccination?",
    "What is left before the launch?",
    "Where is the team offsite this year?",
    "How do I deploy the blog?",
    "Who is booking the flights?",
    "What did the Northwind invoice come to?",
    "When is the code freeze?",
    "What is the hotel in Lisbon called?",
    "Which slides does Maya still need?",
    "What did I decide about the release tag?",
)
MEMORY_QUERIES = (
    "vaccination",
    "launch date",
    "offsite Lisbon",
    "invoice",
    "deploy the blog",
    "Miso",
    "flights",
    "release",
    "slides",
    "hotel",
)
SCREEN_QUERIES = (
    "invoice total due",
    "release.py",
    "launch moved to Thursday",
    "vet appointment",
    "offsite agenda",
    "quarterly report",
    "support tickets",
    "Northwind",
    "water the ficus",
    "revenue",
)
SAMPLE_S = 5.0
"""How often the resident memory is read; each figure is the median of a step's
readings (an OCR pass in flight lifts a single reading by 100 MB or more)."""


def rss_mb(pid: int | None = None) -> float:
    status = Path(f"/proc/{pid or 'self'}/status").read_text()
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# -- the parent ------------------------------------------------------------------------


def run_session(*, minutes: float, idle: float, trace: bool = False) -> None:
    import demo_seed
    from xsession import tray_host, virtual_display

    from agents.embeddings import MiniLMEmbedder
    from tests.llm_server import MODEL, ScriptedLLMServer

    with (
        tempfile.TemporaryDirectory() as tmp,
        ScriptedLLMServer() as server,
    ):
        server.responder = _respond
        work = Path(tmp)
        data = work / "data"
        print("seeding the demo data directory (OCR and embeddings take a minute)…", flush=True)
        assistant = demo_seed.seed(data, work, embedder=MiniLMEmbedder())
        try:
            for name, value in (
                ("llm_model", MODEL),
                ("llm_api_base", server.api_base),
                ("first_run_done", "true"),
                ("capture_on_start", "true"),
            ):
                assistant.set_config(name, value)
        finally:
            assistant.close()
        with virtual_display("1600x1000x24") as display, tray_host(display):
            env = {
                **os.environ,
                "DISPLAY": display,
                "QT_QPA_PLATFORM": "xcb",
                "MIRIX_APP_KEYRING": "off",
                "PYTHONPATH": str(ROOT),
            }
            with _changing_screen(env):
                _run_child(env, data, minutes=minutes, idle=idle, trace=trace)


def _respond(request: Any) -> Any:
    """Every request the session makes: a chat answer (streamed), a topic, or the
    meta-agent's call (it dispatches nothing, so no memory agent runs)."""
    from tests.llm_server import Reply

    names = request.tool_names()
    if names:
        name = next((n for n in names if n.startswith("dispatch")), names[0])
        return Reply(tool_calls=[(name, {"assignments": []})])
    return Reply(text="From your memories: it is on Thursday, see the launch notes.")


@contextlib.contextmanager
def _changing_screen(env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE), "ticker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(2)
        yield
    finally:
        proc.terminate()
        proc.wait(10)


def _run_child(
    env: dict[str, str], data: Path, *, minutes: float, idle: float, trace: bool
) -> None:
    command = [sys.executable, str(HERE), "drive", str(data), str(minutes), str(idle)]
    if trace:
        command.append("trace")
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    figures: dict[str, float] = {}
    for line in proc.stdout:
        if not line.startswith("{"):
            print(line, end="", flush=True)
            continue
        event = json.loads(line)
        figures[event["step"]] = event["rss_mb"]
        extra = "  ".join(f"{k} {v}" for k, v in event.items() if k not in ("step", "rss_mb", "t"))
        print(f"[{event['t']:7.1f} s] {event['step']:<24} {event['rss_mb']:7.1f} MB  {extra}")
    if proc.wait() != 0:
        raise SystemExit(f"the session ended with status {proc.returncode}")
    idle_mb, end_mb = figures["idle"], figures["end"]
    peak = max(figures.values())
    print(
        f"resident memory: idle {idle_mb:.0f} MB, end {end_mb:.0f} MB "
        f"({end_mb / idle_mb:.2f}x idle; goal <= 1.3x), highest step {peak:.0f} MB"
    )


# -- the changing screen ----------------------------------------------------------------


def ticker() -> None:
    """A window whose text changes every two seconds: a line is typed, and every
    30 lines the page is turned (a new page of text)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication, QPlainTextEdit

    app = QApplication(["ticker"])
    page = QPlainTextEdit()
    page.setFont(QFont("DejaVu Sans Mono", 13))
    page.setGeometry(0, 40, 1500, 940)
    page.setWindowTitle("notes.txt — editor")
    page.show()
    count = [0]

    def tick() -> None:
        n = count[0]
        count[0] += 1
        if n % 30 == 0:
            page.clear()
        page.appendPlainText(
            f"{n:4d}  Quarterly report, item {n}: revenue rose {n % 9 + 1}% while support "
            f"tickets fell to {300 - n % 250}; follow up with team {n % 7} on {n % 28 + 1} May."
        )

    timer = QTimer(interval=2000)
    timer.timeout.connect(tick)
    timer.start()
    tick()
    app.exec()


# -- the app, driven --------------------------------------------------------------------


class Driver:
    def __init__(self, data: Path, *, trace: bool) -> None:
        from PySide6.QtWidgets import QApplication

        from agents import open_assistant
        from mirix_app.gui.app import Desktop, prepare_application

        self.started = time.monotonic()
        self.trace = trace
        self.app = QApplication.instance() or QApplication(["mirix-app"])
        prepare_application(self.app)
        self.desktop = Desktop(lambda: open_assistant(data), use_tray=True, show_first_run=False)

    def report(self, step: str, rss: float | None = None, **extra: Any) -> None:
        """One JSON line: the step, seconds since start, resident memory (``rss``: a
        median of readings, else read now), and the app's widget count."""
        from PySide6.QtWidgets import QApplication

        event = {
            "step": step,
            "t": round(time.monotonic() - self.started, 1),
            "rss_mb": round(rss_mb() if rss is None else rss, 1),
            "widgets": len(QApplication.allWidgets()),
            **extra,
        }
        print(json.dumps(event), flush=True)

    def run_for(self, seconds: float, step: str, **extra: Any) -> None:
        """Let the app run for ``seconds`` (capturing), reading its resident memory
        every SAMPLE_S; report the median of the readings as ``step``."""
        from qtwait import settle

        end = time.monotonic() + seconds
        readings: list[float] = []
        while (left := end - time.monotonic()) > 0:
            settle(int(min(left, SAMPLE_S) * 1000))
            readings.append(rss_mb())
            if len(readings) % 6 == 0 and end - time.monotonic() > SAMPLE_S:
                self.report(step + " (so far)", statistics.median(readings[-6:]))
        self.report(step, statistics.median(readings) if readings else None, **extra)

    def run(self, minutes: float, idle: float) -> None:
        try:
            self._run(minutes, idle)
        finally:
            self.desktop.quit()

    def _run(self, minutes: float, idle: float) -> None:
        import tracemalloc

        from qtwait import waiting

        with waiting(self.desktop.ready, 120):
            pass
        self.report("ready")
        if self.trace:
            tracemalloc.start(12)
        self.run_for(idle, "idle", **self._capture_counts())
        if self.trace:
            before = tracemalloc.take_snapshot()
        session_start = time.monotonic()
        self.chat()
        self.memories()
        self.screens()
        self.settings()
        for window in list(self.desktop.windows.values()):
            window.close()
        self.report("windows closed")
        left = minutes * 60 - (time.monotonic() - session_start)
        self.run_for(max(0.0, left), "capturing", **self._capture_counts())
        self.run_for(idle, "end", **self._capture_counts())
        if self.trace:
            after = tracemalloc.take_snapshot()
            for stat in after.compare_to(before, "traceback")[:15]:
                print(f"{stat.size_diff / 1e6:+8.1f} MB  {stat.count_diff:+7d} blocks")
                for frame in stat.traceback.format()[-6:]:
                    print("      " + frame)

    def _capture_counts(self) -> dict[str, Any]:
        assistant = self.desktop.assistant
        if assistant is None:
            return {}
        shots = assistant.stats()["screenshots"]
        return {
            "screenshots": assistant.storage.stats()["counts"]["screenshot"]["live"],
            "ocr_skipped": shots["ocr_skipped_behind"],
        }

    def chat(self) -> None:
        from qtwait import waiting

        window = self.desktop.open_chat()
        with waiting(window.history_loaded):
            pass
        failed = 0
        for question in CHAT_QUESTIONS:
            window.input.setPlainText(question)
            with waiting([window.answered, window.failed], 300) as fired:
                window.send()
            failed += fired[0] is window.failed
        self.report("10 chat turns", failed=failed)

    def memories(self) -> None:
        from qtwait import waiting

        from mirix_app.gui.browser import TABS

        window = self.desktop.open_memories()
        for type_name, _label in TABS:
            with waiting(window.listed, when=lambda t, _n, want=type_name: t == want):
                window.select_type(type_name)
            tree = window.lists[type_name]
            if tree.topLevelItemCount():
                with waiting(window.shown):
                    tree.setCurrentItem(tree.topLevelItem(0))
        window.select_type("semantic")
        for query in MEMORY_QUERIES:
            with waiting(window.listed):
                window.search_box.setText(query)
                window.reload()
        tree = window.lists["semantic"]
        if tree.topLevelItemCount():
            with waiting(window.shown):
                tree.setCurrentItem(tree.topLevelItem(0))
            with waiting(window.history_dialog_shown):
                window.detail.history_button.click()
            window.history_dialog.close()
        self.report("memory browser", searches=len(MEMORY_QUERIES))

    def screens(self) -> None:
        from qtwait import idle_jobs, waiting

        window = self.desktop.open_screens()
        with waiting(window.activity_shown):
            pass
        for query in SCREEN_QUERIES:
            window.query.setText(query)
            with waiting(window.searched):
                window.search()
            idle_jobs(window)
        card = next((c for c in window.cards if c.hit.path), None)
        if card is not None:
            card.clicked.emit(str(card.hit.path))
            image = next(w for k, w in self.desktop.windows.items() if k.startswith("image"))
            with waiting(image.loaded):
                pass
            image.close()
        self.report("screenshot search", searches=len(SCREEN_QUERIES))

    def settings(self) -> None:
        from qtwait import settle, waiting

        window = self.desktop.open_settings()
        with waiting(window.use_shown):
            pass
        for n in range(window.tabs.count()):
            window.tabs.setCurrentIndex(n)
            settle(200)
        window.close()
        first = self.desktop.open_first_run()
        settle(500)
        first.close()
        self.report("settings and first run")


def drive(data: Path, minutes: float, idle: float, trace: bool) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    Driver(data, trace=trace).run(minutes, idle)


if __name__ == "__main__":
    if sys.argv[1] == "ticker":
        ticker()
    elif sys.argv[1] == "drive":
        drive(Path(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), "trace" in sys.argv[5:])
