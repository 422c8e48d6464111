"""A worker's hold on a batch while the memory agents run on it.

The claim itself is storage's (:meth:`storage.batches.BatchStore.claim_next`, a
lease with an owner and an expiry); here are the worker's side of it: its name,
a heartbeat that renews the lease while a batch takes long (LLM calls can take
minutes), and telling that a holder on this machine is gone (killed), so its
batch is taken over at once instead of when its lease runs out.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from types import TracebackType

from storage import StorageError
from storage.interface import Batches

log = logging.getLogger(__name__)

LEASE_S = 120.0
"""How long a claim lasts without renewal: a worker killed on another machine (or
whose process id is reused) blocks its batch at most this long."""
RENEWALS_PER_LEASE = 4
"""The heartbeat renews the lease this many times per lease length."""


def worker_name() -> str:
    """A name for one absorbing run: host, process id and a random part (two runs
    in one process, the app's timer and a manual one, are two workers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_gone(owner: str) -> bool:
    """Whether the worker ``owner`` ran in a process of this machine that no longer
    exists. Unknown (another machine, another naming, no way to ask): False, and
    its lease runs out as usual."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if os.name != "posix" or host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # exists, but another user's (not ours to judge)
        return False
    return False


def release_abandoned(batches: Batches) -> int:
    """Release the batches held by workers of this machine that were killed (or
    crashed) holding them; returns how many."""
    released = 0
    for batch in batches.held():
        if batch.lease_owner and holder_is_gone(batch.lease_owner):
            released += batches.release(batch.id, batch.lease_owner)
    return released


class Heartbeat:
    """Renews ``owner``'s lease on a batch from a thread until the block ends;
    ``lost`` tells that a renewal found the batch taken over."""

    def __init__(self, batches: Batches, batch_id: str, owner: str, *, lease_s: float) -> None:
        self._batches = batches
        self._batch_id = batch_id
        self._owner = owner
        self._lease_s = lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="batch-lease", daemon=True)
        self.lost = False

    def _run(self) -> None:
        while not self._stop.wait(self._lease_s / RENEWALS_PER_LEASE):
            try:
                if not self._batches.renew(self._batch_id, self._owner, lease_s=self._lease_s):
                    self.lost = True
                    return
            except StorageError as exc:  # a locked database: try again at the next beat
                log.warning("Could not renew the lease on %s: %s", self._batch_id, exc)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
