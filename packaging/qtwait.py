"""Running the Qt event loop until something happened, for the scripts that drive
the real app (the README screenshots, the session benchmark): no test helpers
here, just a loop that waits for a signal or for some time to pass."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any


@contextlib.contextmanager
def waiting(
    signal: Any, seconds: float = 120, when: Callable[..., bool] = lambda *_a: True
) -> Iterator[list[Any]]:
    """Run the event loop from the end of the block until ``signal`` fires (with
    arguments that satisfy ``when``); ``signal`` may be a list, any of which ends
    the wait. The block gets a list that then holds the signal that fired."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    fired: list[Any] = []
    signals = signal if isinstance(signal, list) else [signal]
    slots = []
    for one in signals:

        def done(*args: Any, one: Any = one) -> None:
            if when(*args):
                fired.append(one)
                loop.quit()

        one.connect(done)
        slots.append((one, done))
    yield fired
    if not fired:
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
    for one, done in slots:
        one.disconnect(done)
    if not fired:
        raise RuntimeError(f"timed out waiting for {signal}")


def settle(ms: int = 400) -> None:
    """Run the event loop for ``ms`` milliseconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def idle_jobs(window: Any, seconds: float = 60) -> None:
    """Wait until a window's background jobs (``window.jobs``) have all reported."""
    if window.jobs.busy:
        with waiting(window.jobs.idle, seconds):
            pass
