"""Batches on a shared PostgreSQL: devices claiming at once take each batch once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from storage.errors import InvalidInputError, LeaseLostError, NotFoundError
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


def test_a_batch_held_by_a_device_waits_for_its_lease_then_is_taken_over(
    devices: tuple[PostgresEngine, PostgresEngine],
) -> None:
    a, b = devices
    batch = a.repos.batches.get(a.repos.batches.enqueue_id([_item(1)]))
    held = a.repos.batches.claim_next("a-run", lease_s=0.5)
    assert held is not None and held.id == batch.id and held.lease_owner == "a-run"
    assert b.repos.batches.claim_next("b-run", lease_s=60) is None
    time.sleep(0.6)
    taken = b.repos.batches.claim_next("b-run", lease_s=60)
    assert taken is not None and taken.id == batch.id
    with pytest.raises(LeaseLostError, match="taken over"):
        a.repos.batches.mark_done(batch.id, owner="a-run")
    assert not a.repos.batches.renew(batch.id, "a-run", lease_s=60)
    failed = b.repos.batches.mark_failed(batch.id, "rate limited", owner="b-run", retry_after_s=300)
    assert (failed.attempts, failed.last_error, failed.lease_owner) == (1, "rate limited", None)
    assert failed.retry_at is not None and failed.retry_at > failed.updated_at
    assert a.repos.batches.claimable(due_only=True) == 0
    assert a.repos.batches.claimable() == 1
    assert a.repos.batches.claim_next("a-run", lease_s=60, due_only=True) is None
    assert a.repos.batches.claim_next("a-run", lease_s=60, skip=[batch.id]) is None
    again = a.repos.batches.claim_next("a-run", lease_s=60)
    assert again is not None and again.id == batch.id


def test_chat_turns_of_two_devices_fill_one_open_batch(
    devices: tuple[PostgresEngine, PostgresEngine],
) -> None:
    a, b = devices
    first = a.repos.batches.append_id([_item(1)], max_items=3)
    second = b.repos.batches.get(b.repos.batches.append_id([_item(2)], max_items=3))
    assert second.id == first and second.sealed_at is None
    assert a.repos.batches.pending() == []
    sealed = a.repos.batches.get(a.repos.batches.append_id([_item(3)], max_items=3))
    assert sealed.id == first and sealed.sealed_at is not None
    assert [x["source_id"] for x in sealed.items] == ["msg_1", "msg_2", "msg_3"]
    assert [p.id for p in b.repos.batches.pending()] == [first]
    b.repos.batches.append_id([_item(4)], max_items=3)
    assert b.repos.batches.seal_older_than("9999-01-01T00:00:00.000000Z") == 1
    assert b.repos.batches.counts() == {
        "pending": 2,
        "open": 0,
        "done": 0,
        "failed": 0,
        "retrying": 0,
    }


def test_a_batch_given_up_requeued_and_split_by_hand(
    devices: tuple[PostgresEngine, PostgresEngine],
) -> None:
    a, b = devices
    batch_id = a.repos.batches.enqueue_id([_item(n) for n in range(5)])
    held = b.repos.batches.claim_next("b-run", lease_s=60)
    assert held is not None and [x.id for x in a.repos.batches.held()] == [batch_id]
    with pytest.raises(InvalidInputError, match="being absorbed right now"):
        a.repos.batches.give_up(batch_id)
    b.repos.batches.mark_failed(batch_id, "refused", owner="b-run")
    assert [x.id for x in a.repos.batches.retrying()] == [batch_id]
    assert a.repos.batches.give_up(batch_id).status == "failed"
    assert a.repos.batches.claim_next("a-run", lease_s=60) is None
    assert [x.id for x in b.repos.batches.listed(("failed",))] == [batch_id]
    requeued = b.repos.batches.requeue(batch_id)
    assert (requeued.status, requeued.attempts) == ("pending", 0)
    a.repos.batches.save_plan(batch_id, {"semantic": "note the facts"})
    first, second = a.repos.batches.split(batch_id)
    assert [len(first.items), len(second.items)] == [2, 3]
    assert first.plan == second.plan == {"semantic": "note the facts"}
    assert first.created_at == second.created_at == requeued.created_at
    with pytest.raises(NotFoundError):
        a.repos.batches.get(batch_id)
    assert a.repos.batches.counts()["pending"] == 2
