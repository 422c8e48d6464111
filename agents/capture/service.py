"""The capture loop on its own thread.

``state`` is one of ``stopped``, ``capturing``, ``paused`` and ``error``, with
``reason`` saying why in plain words. :meth:`CaptureService.pause` (or the pause
file, see :mod:`agents.capture.pause`) pauses until :meth:`resume`. The
environment can pause it too: no display, every chosen monitor gone, a full
disk. Then it looks again every ``max_interval_s`` and resumes by itself
when the cause is gone. Anything else is a bug: the state becomes ``error``,
the traceback is logged, and the thread ends.

``on_event`` is called on the capture thread for every event; it must return
quickly (the desktop app re-posts it to the GUI thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from agents.capture.capturer import Capturer
from agents.capture.errors import CaptureError
from agents.capture.events import CaptureEvent, EventKind

log = logging.getLogger(__name__)

State = Literal["stopped", "capturing", "paused", "error"]
EventHandler = Callable[[CaptureEvent], None]


class CaptureService:
    def __init__(
        self,
        capturer: Capturer,
        *,
        on_event: EventHandler | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self.capturer = capturer
        self.scheduler = capturer.scheduler
        self.on_event = on_event
        self._on_stop = on_stop
        self.state: State = "stopped"
        self.reason = "not started"
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._env_retry_at: float | None = None
        self.kept = 0
        self._last_window: tuple[str, str] | None = None

    # -- control (any thread) ------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping = False
        self._set("capturing", "started", "started")
        self._thread = threading.Thread(target=self._run, name="screen-capture", daemon=True)
        self._thread.start()

    def pause(self, reason: str = "paused by the user") -> None:
        """Pause now (the state says so on return) until :meth:`resume`."""
        self.capturer.pause_flag.set(reason)
        if self._thread is not None and self._thread.is_alive():
            self._set("paused", reason, "paused")
        self._poke()

    def resume(self) -> None:
        """Resume after a pause; after an error, or before any start, start again."""
        self.capturer.pause_flag.clear()
        self.scheduler.last_grab = None  # grab at once
        if self._thread is None or not self._thread.is_alive():
            self.start()
            return
        self._env_retry_at = None
        self._set("capturing", "capturing", "resumed")
        self._poke()

    def stop(self, timeout: float | None = 10.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_stopped(self, timeout: float | None = None) -> bool:
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the loop (capture thread) -------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping:
                self._step()
        except Exception as exc:  # a bug: say so, keep the traceback in the log
            log.exception("screen capture stopped by an unexpected error")
            self._set("error", f"unexpected error: {exc}", "error")
        finally:
            try:
                self.capturer.close()
            finally:
                if self.state != "error":
                    self._set("stopped", "stopped", "stopped")
                if self._on_stop is not None:
                    self._on_stop()

    def _step(self) -> None:
        clock = self.capturer.clock
        paused = self.capturer.pause_flag.reason()
        if paused is not None:
            if self.state != "paused" or self.reason != paused:
                self._set("paused", paused, "paused")
            self._sleep(self.scheduler.interval_s)
            return
        if self.state == "paused" and self._env_retry_at is None:
            self._set("capturing", "capturing", "resumed")  # the pause file was removed
        now = clock()
        if self._env_retry_at is not None and now < self._env_retry_at:
            self._sleep(min(self.scheduler.interval_s, self._env_retry_at - now))
            return
        due = self.scheduler.due_at()
        if now < due:
            window, idle = self.capturer.signals()
            changed = self._last_window is not None and window != self._last_window
            if not self.scheduler.wake(now, idle_s=idle, window_changed=changed):
                self._sleep(min(self.scheduler.interval_s, due - now))
                return
        self._grab(now)

    def _grab(self, now: float) -> None:
        try:
            result = self.capturer.grab_once()
        except CaptureError as exc:
            self._env_retry_at = now + self.scheduler.max_interval_s
            if self.state != "paused" or self.reason != str(exc):
                self._set("paused", str(exc), "paused")
            return
        if self._env_retry_at is not None:  # the display, monitor or disk is back
            self._env_retry_at = None
            self._set("capturing", "capturing", "resumed")
        self._last_window, _ = self.capturer.signals()
        for event in result.events:
            if event.kind == "paused":
                if (self.state, self.reason) != ("paused", event.reason):
                    self._set("paused", event.reason, "paused")
                return
            if event.kind == "kept":
                self.kept += 1
            self._emit(event)
        self.scheduler.grabbed(now, changed=result.changed, idle_s=self.capturer.last_idle_s)

    def _sleep(self, seconds: float) -> None:
        with self._wake:
            if not self._stopping:
                self._wake.wait(max(0.0, seconds))

    def _poke(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def _set(self, state: State, reason: str, kind: EventKind) -> None:
        self.state, self.reason = state, reason
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._emit(CaptureEvent(kind, at, reason=reason))

    def _emit(self, event: CaptureEvent) -> None:
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:  # a listener's bug must not stop capture
                log.exception("capture event handler failed")
