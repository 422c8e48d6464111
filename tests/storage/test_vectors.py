"""Vector search stays in step with every write, this process's and another's
(on SQLite: storage/sqlite/vectors.py's in-memory matrices, loaded once and
followed; on PostgreSQL: pgvector's indexes), and the matrices themselves."""

from __future__ import annotations

import numpy as np
import pytest

from storage import Query, Storage
from storage.kinds import EPISODIC, SEMANTIC, Kind
from storage.sqlite.vectors import KindVectors
from tests.fakes import FakeEmbedder
from tests.storage.conftest import Reopen

EMB = FakeEmbedder()


def _add(storage: Storage, name: str, summary: str, *, embed: bool = True) -> str:
    vector = EMB.vector(f"{name} {summary}") if embed else None
    record = storage.memories["semantic"].add({"name": name, "summary": summary}, embedding=vector)
    return record.id


def _nearest(
    storage: Storage, text: str, k: int = 10, *, kind: Kind = SEMANTIC, **when: str
) -> list[str]:
    """The ids a search by meaning alone finds, nearest first (``since``, ``until``)."""
    query = Query(text="", vector=EMB.vector(text), kinds=(kind,), limit=k, **when)
    return [hit.id for hit in storage.search.run(query)]


def test_index_follows_add_update_delete_restore(storage: Storage) -> None:
    cat = _add(storage, "cat", "a small cat that purrs")
    assert _nearest(storage, "cat purrs")[:1] == [cat]  # first load

    dog = _add(storage, "dog", "a loyal dog that barks")
    assert _nearest(storage, "dog barks")[0] == dog  # added after the load

    storage.memories["semantic"].update(
        dog, {"summary": "a parrot that talks"}, embedding=EMB.vector("parrot talks")
    )
    assert _nearest(storage, "parrot talks")[0] == dog
    # Its old vector is gone: the words it shared with the cat row rank the cat first.
    assert _nearest(storage, "dog a loyal dog that barks")[0] == cat

    storage.memories["semantic"].delete(cat)
    assert _nearest(storage, "cat purrs") == [dog]

    storage.memories["semantic"].restore(cat)
    assert _nearest(storage, "cat purrs") == [cat, dog]


def test_a_row_that_gets_its_first_embedding_later_is_found(storage: Storage) -> None:
    late = _add(storage, "late", "no vector yet", embed=False)
    _add(storage, "early", "has a vector")
    _add(storage, "other", "also has one")
    assert late not in _nearest(storage, "late")
    storage.memories["semantic"].update(
        late, {"summary": "now embedded"}, embedding=EMB.vector("zebra stripes")
    )
    nearest = _nearest(storage, "zebra stripes")
    assert nearest[0] == late
    assert len(nearest) == 3


def test_many_deletes_compact_without_losing_rows(storage: Storage) -> None:
    ids = [_add(storage, f"item{i}", f"word{i} thing") for i in range(40)]
    _nearest(storage, "thing")
    for item in ids[:30]:
        storage.memories["semantic"].delete(item)
    remaining = _nearest(storage, "thing", k=40)
    assert sorted(remaining) == sorted(ids[30:])
    for i in range(30, 40):
        assert _nearest(storage, f"item{i} word{i}")[0] == ids[i]


def test_a_write_from_another_storage_instance_is_seen(storage: Storage, reopen: Reopen) -> None:
    first = _add(storage, "first", "written by this process")
    query = Query(text="", vector=EMB.vector("ostrich feathers"), kinds=(SEMANTIC,), limit=5)
    assert [h.id for h in storage.search.run(query)] == [first]  # index loaded

    with reopen() as other:  # another process's view of the memory
        second = _add(other, "ostrich", "feathers everywhere")
        other.memories["semantic"].delete(first)

    hits = storage.search.run(query)
    assert [h.id for h in hits] == [second]
    assert hits[0].matched_by == ("vector",)


def test_time_filters_and_time_changes(storage: Storage) -> None:
    episodic = storage.memories["episodic"]
    old = episodic.add(
        {"occurred_at": "2020-01-01", "summary": "beach day"}, embedding=EMB.vector("beach day")
    ).id
    new = episodic.add(
        {"occurred_at": "2023-01-01", "summary": "beach day again"},
        embedding=EMB.vector("beach day again"),
    ).id
    since = "2022-01-01T00:00:00.000000Z"
    assert _nearest(storage, "beach", kind=EPISODIC, since=since) == [new]
    assert _nearest(storage, "beach", kind=EPISODIC, until="2021-01-01T00:00:00.000000Z") == [old]
    episodic.update(old, {"occurred_at": "2024-06-01"})  # moves into the window
    assert sorted(_nearest(storage, "beach", kind=EPISODIC, since=since)) == sorted([old, new])


def test_kind_vectors_scores_are_cosines_sorted_best_first() -> None:
    index = KindVectors(SEMANTIC)
    vecs = {1: [1.0, 0.0], 2: [0.6, 0.8], 3: [0.0, 1.0]}
    for rowid, v in vecs.items():
        index._upsert(rowid, np.array(v, dtype=np.float32), "2023-01-01T00:00:00.000000Z")
    found = index.search(np.array([0.0, 1.0], dtype=np.float32), 2)
    assert list(found.rowids) == [3, 2]
    np.testing.assert_allclose(found.scores, [1.0, 0.8], rtol=1e-6)
    # a vector of another dimension (another model) is ignored, not an error
    index._upsert(4, np.ones(3, dtype=np.float32), "2023-01-01T00:00:00.000000Z")
    assert len(index) == 3
    assert len(index.search(np.ones(3, dtype=np.float32), 5).rowids) == 0


@pytest.mark.parametrize("k", [1, 3, 50])
def test_search_never_returns_more_than_k_or_dead_rows(k: int) -> None:
    index = KindVectors(SEMANTIC)
    rng = np.random.default_rng(7)
    for rowid in range(1, 21):
        v = rng.normal(size=8).astype(np.float32)
        index._upsert(rowid, v / np.linalg.norm(v), "2023-01-01T00:00:00.000000Z")
    for rowid in range(1, 21, 2):
        index._remove(rowid)
    found = index.search(np.ones(8, dtype=np.float32) / np.sqrt(8), k)
    assert len(found.rowids) == min(k, 10)
    assert all(int(r) % 2 == 0 for r in found.rowids)
    assert list(found.scores) == sorted(found.scores, reverse=True)
