"""Run facade calls off the GUI thread and get the result back on it.

``Jobs.submit(fn, on_done=..., on_error=..., on_progress=...)`` runs ``fn`` on a
thread pool. ``fn`` receives an ``emit`` callable for progress (a streamed
token, a count); every callback runs later on the GUI thread, through queued
signal connections, so no widget is touched from a worker and the GUI thread
never waits on the database, a model or the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

log = logging.getLogger(__name__)

Emit = Callable[[Any], None]
_QUEUED = Qt.ConnectionType.QueuedConnection


class _Relay(QObject):
    """Lives on the GUI thread; its signals cross from the worker to it."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[Emit], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Jobs keeps the Python reference until it reports
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn(self._progress)
        except Exception as exc:  # every failure goes back to the GUI thread to be shown
            self._report(self._relay.failed, exc)
        else:
            self._report(self._relay.succeeded, result)

    def _progress(self, value: Any) -> None:
        self._report(self._relay.progressed, value)

    @staticmethod
    def _report(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:
            # The window that asked was closed and deleted: nobody is left to tell.
            log.debug("result of a background job dropped: its window is gone")


class Jobs(QObject):
    """A window's background work: submit jobs, count those in flight.

    ``idle`` is emitted whenever the last job in flight has reported, which is
    what tests wait on.
    """

    idle = Signal()

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._running: set[tuple[_Task, _Relay]] = set()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def submit(
        self,
        fn: Callable[[Emit], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
    ) -> None:
        relay = _Relay()  # created here, on the GUI thread
        task = _Task(fn, relay)
        entry = (task, relay)
        self._running.add(entry)

        def finish(callback: Callable[[Any], None] | None, value: Any) -> None:
            self._running.discard(entry)
            if not shiboken6.isValid(self):
                return  # the window that asked is gone: a late result is dropped
            try:
                if callback is not None:
                    callback(value)
                elif isinstance(value, Exception):
                    log.error("background job failed", exc_info=value)
            finally:
                if not self._running:
                    self.idle.emit()

        relay.succeeded.connect(lambda value: finish(on_done, value), _QUEUED)
        relay.failed.connect(lambda exc: finish(on_error, exc), _QUEUED)
        if on_progress is not None:
            relay.progressed.connect(on_progress, _QUEUED)
        self._pool.start(task)
