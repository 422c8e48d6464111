"""storage/batches.py: observation batches persist until absorbed; failures stay pending."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from storage import InvalidInputError, NotFoundError, Storage
from storage.errors import LeaseLostError
from storage.interface import UnitOfWork
from tests.storage.conftest import Reopen


def _item(n: int) -> dict[str, Any]:
    return {"kind": "message", "source_id": f"msg_{n}", "at": "2023-01-01T00:00:00Z", "text": "hi"}


def test_a_batch_persists_and_stays_pending_until_done(reopen: Reopen) -> None:
    with reopen() as storage:
        first = storage.batches.enqueue([_item(1), _item(2)])
        second = storage.batches.enqueue([_item(3)])
        assert first.status == "pending" and first.attempts == 0
    with reopen() as storage:  # written before it was acknowledged
        pending = storage.batches.pending()
        assert [b.id for b in pending] == [first.id, second.id]
        assert [i["source_id"] for i in pending[0].items] == ["msg_1", "msg_2"]
        done = storage.batches.mark_done(first.id)
        assert done.status == "done" and done.attempts == 1
        assert [b.id for b in storage.batches.pending()] == [second.id]
        assert storage.batches.counts() == {
            "pending": 1,
            "open": 0,
            "done": 1,
            "failed": 0,
            "retrying": 0,
        }


def test_a_failed_attempt_is_counted_and_kept_for_a_retry(storage: Storage) -> None:
    batch = storage.batches.enqueue([_item(1)])
    failed = storage.batches.mark_failed(batch.id, "The model had a server error.")
    failed = storage.batches.mark_failed(batch.id, "The model did not answer in time.")
    assert failed.status == "pending"
    assert failed.attempts == 2
    assert failed.last_error == "The model did not answer in time."
    assert failed.items == batch.items
    assert [b.id for b in storage.batches.pending()] == [batch.id]


def test_a_batch_queued_in_a_unit_of_work_rolls_back_with_it(storage: Storage) -> None:
    def write(work: UnitOfWork) -> None:
        work.batches.enqueue([_item(1)])
        work.batches.append([_item(2)], max_items=5)
        raise RuntimeError("the import failed after queueing")

    with pytest.raises(RuntimeError):
        storage.transaction(write)
    assert storage.batches.pending() == []
    assert storage.batches.open_batch() is None
    queued = storage.transaction(lambda work: work.batches.enqueue([_item(3)]))
    assert [b.id for b in storage.batches.pending()] == [queued]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "at least one"),
        (["text"], "not an object"),
        ([{**_item(1), "kind": "email"}], "kind must be"),
        ([{**_item(1), "text": None}], "text must be a string"),
    ],
)
def test_bad_observations_are_refused(storage: Storage, items: list[Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        storage.batches.enqueue(items)
    assert storage.batches.pending() == []


def test_an_unknown_batch_is_not_found(storage: Storage) -> None:
    with pytest.raises(NotFoundError):
        storage.batches.mark_done("batch_nope")
    with pytest.raises(NotFoundError):
        storage.batches.get("batch_nope")


def test_an_open_batch_fills_then_seals_and_survives_a_restart(reopen: Reopen) -> None:
    with reopen() as storage:
        first = storage.batches.append([_item(1), _item(2)], max_items=3)
        assert first.sealed_at is None
        assert storage.batches.pending() == []  # open: not work yet
        assert storage.batches.counts()["open"] == 1
    with reopen() as storage:  # persisted before it was acknowledged
        kept = storage.batches.open_batch()
        assert kept is not None and kept.id == first.id and len(kept.items) == 2
        full = storage.batches.append([_item(3), _item(4)], max_items=3)
        assert full.id == first.id and full.sealed_at is not None  # an exchange stays whole
        assert [i["source_id"] for i in full.items] == ["msg_1", "msg_2", "msg_3", "msg_4"]
        assert [b.id for b in storage.batches.pending()] == [first.id]
        second = storage.batches.append([_item(5)], max_items=3)
        assert second.id != first.id and storage.batches.open_batch() == second


def test_seal_older_than_seals_only_old_open_batches(storage: Storage) -> None:
    whole = storage.batches.enqueue([_item(1)])
    partial = storage.batches.append([_item(2)], max_items=10)
    assert storage.batches.seal_older_than("2000-01-01T00:00:00Z") == 0
    assert storage.batches.seal_older_than(partial.created_at) == 1
    assert [b.id for b in storage.batches.pending()] == [whole.id, partial.id]
    assert storage.batches.open_batch() is None


def test_append_refuses_bad_items(storage: Storage) -> None:
    with pytest.raises(InvalidInputError):
        storage.batches.append([], max_items=3)
    with pytest.raises(InvalidInputError):
        storage.batches.append([{"kind": "email"}], max_items=3)
    assert storage.batches.open_batch() is None


def test_a_split_batch_becomes_two_halves_next_in_line_with_its_plan(storage: Storage) -> None:
    first = storage.batches.enqueue([_item(n) for n in range(5)])
    later = storage.batches.enqueue([_item(9)])
    storage.batches.mark_failed(first.id, "The conversation is too long for the model.")
    storage.batches.save_plan(first.id, {"episodic": "Merge the trip."})
    one, two = storage.batches.split(first.id)
    assert [i["source_id"] for i in one.items] == ["msg_0", "msg_1"]
    assert [i["source_id"] for i in two.items] == ["msg_2", "msg_3", "msg_4"]
    assert (one.attempts, two.attempts) == (0, 0)
    assert one.plan == two.plan == {"episodic": "Merge the trip."}
    assert one.created_at == two.created_at == first.created_at  # still first in line
    assert [b.id for b in storage.batches.pending()] == [one.id, two.id, later.id]
    with pytest.raises(NotFoundError):
        storage.batches.get(first.id)
    with pytest.raises(InvalidInputError, match="one observation"):
        storage.batches.split(later.id)
    storage.batches.mark_done(one.id)
    with pytest.raises(InvalidInputError, match="not waiting"):
        storage.batches.split(one.id)


def test_a_given_up_batch_leaves_the_queue_until_requeued(storage: Storage) -> None:
    batch = storage.batches.enqueue([_item(1)])
    storage.batches.mark_failed(batch.id, "The provider refused the content.")
    given_up = storage.batches.give_up(batch.id)
    assert (given_up.status, given_up.attempts) == ("failed", 1)
    assert given_up.last_error == "The provider refused the content."
    assert storage.batches.pending() == [] and storage.batches.retrying() == []
    assert storage.batches.counts()["failed"] == 1
    assert [b.id for b in storage.batches.listed()] == [batch.id]

    again = storage.batches.requeue(batch.id)
    assert (again.status, again.attempts) == ("pending", 0)  # due at once
    assert [b.id for b in storage.batches.pending()] == [batch.id]
    assert again.items == batch.items


def test_only_a_sealed_batch_not_done_can_be_given_up_or_requeued(storage: Storage) -> None:
    done = storage.batches.enqueue([_item(1)])
    storage.batches.mark_done(done.id)
    filling = storage.batches.append([_item(2)], max_items=5)
    waiting = storage.batches.enqueue([_item(3)])
    with pytest.raises(InvalidInputError, match="is done"):
        storage.batches.give_up(done.id)
    with pytest.raises(InvalidInputError, match="still filling"):
        storage.batches.give_up(filling.id)
    with pytest.raises(InvalidInputError, match="is not given up"):
        storage.batches.requeue(waiting.id)
    storage.batches.give_up(waiting.id)
    with pytest.raises(InvalidInputError, match="already given up"):
        storage.batches.give_up(waiting.id)
    with pytest.raises(NotFoundError):
        storage.batches.give_up("batch_missing")
    with pytest.raises(InvalidInputError, match="Unknown batch status"):
        storage.batches.listed(("lost",))
    assert [b.id for b in storage.batches.listed()] == [filling.id, waiting.id]


# -- claims ----------------------------------------------------------------------------


def test_a_claimed_batch_is_not_claimed_again_until_its_lease_ends(reopen: Reopen) -> None:
    with reopen() as one, reopen() as other:  # two processes
        first = one.batches.enqueue([_item(1)])
        second = one.batches.enqueue([_item(2)])
        one.batches.append([_item(3)], max_items=5)  # open: never claimed
        a = one.batches.claim_next("worker-a", lease_s=60)
        b = other.batches.claim_next("worker-b", lease_s=60)
        assert (a and a.id, b and b.id) == (first.id, second.id)
        assert a is not None and a.held() and a.lease_owner == "worker-a"
        assert other.batches.claim_next("worker-c", lease_s=60) is None
        assert one.batches.claimable() == 0
        assert [x.id for x in other.batches.held()] == [first.id, second.id]
        with pytest.raises(InvalidInputError, match="being absorbed right now"):
            other.batches.give_up(first.id)

        # Outcomes end the lease; only the holder may record them.
        with pytest.raises(LeaseLostError):
            other.batches.mark_done(first.id, owner="worker-b")
        assert one.batches.mark_done(first.id, owner="worker-a").lease_owner is None
        failed = other.batches.mark_failed(
            second.id, "The model timed out.", owner="worker-b", retry_after_s=60
        )
        assert (failed.attempts, failed.lease_until) == (1, None)
        assert failed.retry_at is not None and failed.retry_at > failed.updated_at
        # The background run waits out the back-off; a manual run takes it at once.
        assert one.batches.claim_next("worker-a", lease_s=60, due_only=True) is None
        assert one.batches.claimable(due_only=True) == 0
        assert one.batches.claimable(skip=[second.id]) == 0
        retried = one.batches.claim_next("worker-a", lease_s=60)
        assert retried is not None and retried.id == second.id


def test_a_lease_that_runs_out_is_taken_over_and_the_old_holder_told(storage: Storage) -> None:
    batch = storage.batches.enqueue([_item(1), _item(2)])
    assert storage.batches.claim_next("gone", lease_s=0.2) is not None
    assert storage.batches.renew(batch.id, "gone", lease_s=0.2)  # alive: still its own
    assert storage.batches.claim_next("next", lease_s=60) is None
    time.sleep(0.3)
    taken = storage.batches.claim_next("next", lease_s=60)
    assert taken is not None and taken.id == batch.id and taken.lease_owner == "next"
    assert not storage.batches.renew(batch.id, "gone", lease_s=60)
    for late in (
        lambda: storage.batches.mark_done(batch.id, owner="gone"),
        lambda: storage.batches.mark_failed(batch.id, "late", owner="gone"),
        lambda: storage.batches.save_plan(batch.id, {}, owner="gone"),
        lambda: storage.batches.split(batch.id, owner="gone"),
    ):
        with pytest.raises(LeaseLostError, match="taken over"):
            late()
    assert storage.batches.get(batch.id).attempts == 0  # nothing of "gone" was recorded
    # A release frees it at once, but only by its holder.
    assert not storage.batches.release(batch.id, "gone")
    assert storage.batches.release(batch.id, "next")
    assert storage.batches.claim_next("third", lease_s=60) is not None


def test_claims_from_many_threads_take_each_batch_once(storage: Storage) -> None:
    ids = {storage.batches.enqueue([_item(n)]).id for n in range(40)}
    taken: list[str] = []

    def work(name: str) -> None:
        while (batch := storage.batches.claim_next(name, lease_s=60)) is not None:
            taken.append(batch.id)
            storage.batches.mark_done(batch.id, owner=name)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ids)
    assert storage.batches.counts()["done"] == 40
