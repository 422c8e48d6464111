"""Python's cyclic garbage collection on the GUI thread only.

The collector runs on whichever thread happens to allocate when a generation
fills up: in the desktop app, often a worker thread running a facade call. If
that collection frees a Qt object held in a reference cycle (a closed window
and its slots), its C++ destructor runs on the worker and the process can
crash. So automatic collection is turned off while the app runs and a timer on
the GUI thread collects instead: as often as the allocation counts would have,
checked every half second (each check costs nothing when little was allocated).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 500


class GuiThreadCollector(QObject):
    """Collects on the GUI thread, while it lives, what the interpreter would have
    collected anywhere."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threshold = gc.get_threshold()[0]
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        self.destroyed.connect(gc.enable)

    def check(self) -> None:
        """Collect the young generation when it is as full as the interpreter's own
        threshold (older generations follow through the usual counts)."""
        if gc.get_count()[0] >= self._threshold:
            gc.collect(0)
            if gc.get_count()[1] >= gc.get_threshold()[1]:
                gc.collect(1)
                if gc.get_count()[2] >= gc.get_threshold()[2]:
                    gc.collect()
