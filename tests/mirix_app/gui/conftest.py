"""Fixtures for the desktop app's tests (pytest-qt, offscreen platform).

Every test fails on a Qt warning (through pytest-qt's message handler), and
each window gets a real assistant on a fresh data directory with the fake
embedder; nothing of the project is mocked."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool, QtMsgType

from agents import Assistant, open_assistant
from mirix_app.gui.collector import GuiThreadCollector
from tests.fakes import BODIES, SAMPLE_MESSAGES, FakeEmbedder, write_jsonl

# The offscreen platform itself says these (about every top-level window, and about
# having no tray host when a test forces the tray on); they concern the test
# platform, not the app.
PLATFORM_NOISE = (
    "This plugin does not support ",  # propagateSizeHints(), raise(): window-manager calls
    "QObject::connect: No such signal QPlatformNativeInterface::systemTrayWindowChanged(QScreen*)",
)
SERIOUS = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(qapp: Any) -> Iterator[None]:
    """As the app does (mirix_app.gui.collector): no cyclic collection on a worker,
    which could free a window of this test or an earlier one off the GUI thread."""
    collector = GuiThreadCollector()
    yield
    QThreadPool.globalInstance().waitForDone(60_000)
    collector.deleteLater()
    gc.enable()
    gc.collect()


@pytest.fixture(autouse=True)
def _qt_warnings_fail(qtlog: Any) -> Iterator[None]:
    yield
    # No background job may outlive its test (and report into the next one).
    QThreadPool.globalInstance().waitForDone(60_000)
    bad = [
        r for r in qtlog.records if r.type in SERIOUS and not r.message.startswith(PLATFORM_NOISE)
    ]
    if bad:
        pytest.fail("Qt warnings: " + "; ".join(r.message for r in bad))


@pytest.fixture
def seeded(assistant: Assistant, tmp_path: Path) -> Assistant:
    """The conftest assistant holding the sample conversation and one memory per type."""
    assistant.import_messages(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES))
    for type_name, body in BODIES.items():
        assistant.add(type_name, body)
    assistant.core_append("human", "Prefers short answers.")
    return assistant


@pytest.fixture
def opener(data_dir: Path) -> Iterator[Any]:
    """An assistant factory for Desktop; closes what it opened."""
    opened: list[Assistant] = []

    def make() -> Assistant:
        app = open_assistant(data_dir, embedder=FakeEmbedder())
        opened.append(app)
        return app

    yield make
    for app in opened:
        app.close()
