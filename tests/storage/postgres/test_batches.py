"""Batches on a shared PostgreSQL: devices claiming at once take each batch once
(``FOR UPDATE SKIP LOCKED``). What one storage does with batches, and two storages
of one device, is tests/storage/test_batches.py, on both engines."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from storage.postgres.engine import PostgresEngine


def _item(n: int) -> dict[str, str]:
    return {"kind": "message", "source_id": f"msg_{n}", "at": "2026-05-01T10:00:00Z", "text": "hi"}


@pytest.fixture
def devices(pg_url: str) -> Iterator[tuple[PostgresEngine, PostgresEngine]]:
    with (
        PostgresEngine.open(pg_url, device="a") as a,
        PostgresEngine.open(pg_url, device="b") as b,
    ):
        yield a, b


def test_two_devices_claiming_at_once_take_every_batch_exactly_once(
    devices: tuple[PostgresEngine, PostgresEngine],
) -> None:
    a, b = devices
    made = {a.repos.batches.enqueue_id([_item(n)]) for n in range(40)}
    taken: dict[str, list[str]] = {}
    lock = threading.Lock()

    def absorb(engine: PostgresEngine, worker: str) -> None:
        while (batch := engine.repos.batches.claim_next(worker, lease_s=60)) is not None:
            with lock:
                taken.setdefault(batch.id, []).append(worker)
            engine.repos.batches.mark_done(batch.id, owner=worker)

    workers = [
        threading.Thread(target=absorb, args=(engine, f"{engine.device}-{n}"))
        for engine in (a, b)
        for n in range(3)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert set(taken) == made
    assert all(len(holders) == 1 for holders in taken.values())
    assert {h[0].split("-")[0] for h in taken.values()} == {"a", "b"}
    assert b.repos.batches.counts() == {
        "pending": 0,
        "open": 0,
        "done": 40,
        "failed": 0,
        "retrying": 0,
    }
