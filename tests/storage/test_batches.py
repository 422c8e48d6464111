"""storage/batches.py: observation batches persist until absorbed; failures stay pending."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage import InvalidInputError, NotFoundError, Storage


def _item(n: int) -> dict[str, Any]:
    return {"kind": "message", "source_id": f"msg_{n}", "at": "2023-01-01T00:00:00Z", "text": "hi"}


def test_a_batch_persists_and_stays_pending_until_done(data_dir: Path) -> None:
    with Storage.open(data_dir) as storage:
        first = storage.batches.enqueue([_item(1), _item(2)])
        second = storage.batches.enqueue([_item(3)])
        assert first.status == "pending" and first.attempts == 0
    with Storage.open(data_dir) as storage:  # written before it was acknowledged
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


def test_enqueue_in_rolls_back_with_the_callers_transaction(storage: Storage) -> None:
    def write(conn: Any) -> None:
        storage.batches.enqueue_in(conn, [_item(1)])
        raise RuntimeError("the import failed after queueing")

    with pytest.raises(RuntimeError):
        storage.db.write(write)
    assert storage.batches.pending() == []


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


def test_an_open_batch_fills_then_seals_and_survives_a_restart(data_dir: Path) -> None:
    with Storage.open(data_dir) as storage:
        first = storage.batches.append([_item(1), _item(2)], max_items=3)
        assert first.sealed_at is None
        assert storage.batches.pending() == []  # open: not work yet
        assert storage.batches.counts()["open"] == 1
    with Storage.open(data_dir) as storage:  # persisted before it was acknowledged
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
