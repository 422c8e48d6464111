"""mirix_app/gui/collector.py: cyclic garbage is collected on the GUI thread only."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from mirix_app.gui.collector import GuiThreadCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_a_worker_thread_never_collects_and_the_gui_thread_does(qtbot: Any) -> None:
    gc.collect()
    collector = GuiThreadCollector()
    try:
        assert not gc.isenabled()
        made: list[weakref.ref[Node]] = []

        def allocate() -> None:  # far past the threshold, on a worker
            for _ in range(3 * gc.get_threshold()[0]):
                made.append(weakref.ref(Node()))

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert all(ref() is not None for ref in made)  # nothing collected there
        qtbot.waitUntil(lambda: all(ref() is None for ref in made), timeout=5000)
    finally:
        collector.deleteLater()
        qtbot.waitUntil(gc.isenabled, timeout=5000)
