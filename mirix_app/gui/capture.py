"""The capture service as the GUI sees it: state changes arrive as a Qt signal on
the GUI thread, and pause / resume run on a worker."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from mirix_app.gui.worker import Jobs

SELF_PAUSED = ("paused", "error")


class CaptureControl(QObject):
    """Wraps ``Assistant.capture_service``; ``state_changed(state, reason, by_user)``.

    ``by_user`` is False when the service changed state on its own (disk full,
    display lost), which is when the app shows a notification.
    """

    state_changed = Signal(str, str, bool)
    _event = Signal()

    def __init__(self, assistant: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = Jobs(self)
        self.state = "stopped"
        self.reason = ""
        self._expecting: str | None = None
        self._calls = threading.Lock()
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        # The service calls on_event from its own thread; a queued signal brings it here.
        self.service = assistant.capture_service(on_event=lambda _event: self._event.emit())

    def start(self) -> None:
        self._run(self.service.start, "capturing")

    def pause(self) -> None:
        self._run(self.service.pause, "paused")

    def resume(self) -> None:
        self._run(self.service.resume, "capturing")

    def toggle(self) -> None:
        if self.state == "capturing":
            self.pause()
        elif self.state == "stopped":
            self.start()
        else:
            self.resume()

    def stop_now(self) -> None:
        """At quit: stop the service on this thread (the app is going away anyway),
        after a start or pause still running on a worker."""
        with self._calls:
            self.service.stop()

    def _run(self, call: Any, expected: str) -> None:
        self._expecting = expected

        def run(_emit: Any) -> None:
            with self._calls:  # one control call at a time, stop_now included
                call()

        self.jobs.submit(
            run,
            on_done=lambda _r: self._on_event(),
            on_error=lambda exc: self._set("error", str(exc), by_user=True),
        )

    def _on_event(self) -> None:
        state = str(self.service.state)
        reason = str(getattr(self.service, "reason", "") or "")
        by_user = self._expecting == state
        if state == self._expecting:
            self._expecting = None
        self._set(state, reason, by_user=by_user)

    def _set(self, state: str, reason: str, *, by_user: bool) -> None:
        if (state, reason) == (self.state, self.reason):
            return
        self.state, self.reason = state, reason
        self.state_changed.emit(state, reason, by_user)
