"""storage/vectors.py: the in-memory matrices stay in step with every write,
this process's and another's."""

from __future__ import annotations

import numpy as np
import pytest

from storage import Query, Storage
from storage.kinds import EPISODIC, SEMANTIC
from storage.sqlite.vectors import KindVectors, VectorIndexes
from tests.fakes import FakeEmbedder

EMB = FakeEmbedder()


def _add(storage: Storage, name: str, summary: str, *, embed: bool = True) -> str:
    vector = EMB.vector(f"{name} {summary}") if embed else None
    record = storage.memories["semantic"].add({"name": name, "summary": summary}, embedding=vector)
    return record.id


def _nearest(storage: Storage, indexes: VectorIndexes, text: str, k: int = 10) -> list[str]:
    conn = storage._db.read()
    matches = indexes.get(conn, SEMANTIC).search(EMB.vector(text), k)
    if len(matches.rowids) == 0:
        return []
    marks = ",".join("?" * len(matches.rowids))
    ids = dict(
        conn.execute(
            f"SELECT rowid, id FROM semantic WHERE rowid IN ({marks})",
            [int(r) for r in matches.rowids],
        ).fetchall()
    )
    return [ids[int(r)] for r in matches.rowids]


def test_index_follows_add_update_delete_restore(storage: Storage) -> None:
    indexes = VectorIndexes()
    cat = _add(storage, "cat", "a small cat that purrs")
    assert _nearest(storage, indexes, "cat purrs")[:1] == [cat]  # first load

    dog = _add(storage, "dog", "a loyal dog that barks")
    assert _nearest(storage, indexes, "dog barks")[0] == dog  # added after the load

    storage.memories["semantic"].update(
        dog, {"summary": "a parrot that talks"}, embedding=EMB.vector("parrot talks")
    )
    assert _nearest(storage, indexes, "parrot talks")[0] == dog
    assert _nearest(storage, indexes, "dog barks")[0] != dog

    storage.memories["semantic"].delete(cat)
    assert cat not in _nearest(storage, indexes, "cat purrs")
    assert len(indexes.get(storage._db.read(), SEMANTIC)) == 1

    storage.memories["semantic"].restore(cat)
    assert _nearest(storage, indexes, "cat purrs")[0] == cat
    assert len(indexes.get(storage._db.read(), SEMANTIC)) == 2


def test_a_row_that_gets_its_first_embedding_later_is_found(storage: Storage) -> None:
    indexes = VectorIndexes()
    late = _add(storage, "late", "no vector yet", embed=False)
    _add(storage, "early", "has a vector")
    _add(storage, "other", "also has one")
    assert late not in _nearest(storage, indexes, "late")
    storage.memories["semantic"].update(
        late, {"summary": "now embedded"}, embedding=EMB.vector("zebra stripes")
    )
    nearest = _nearest(storage, indexes, "zebra stripes")
    assert nearest[0] == late
    assert len(nearest) == 3


def test_many_deletes_compact_without_losing_rows(storage: Storage) -> None:
    indexes = VectorIndexes()
    ids = [_add(storage, f"item{i}", f"word{i} thing") for i in range(40)]
    _nearest(storage, indexes, "thing")
    for item in ids[:30]:
        storage.memories["semantic"].delete(item)
    remaining = _nearest(storage, indexes, "thing", k=100)
    assert sorted(remaining) == sorted(ids[30:])
    for i in range(30, 40):
        assert _nearest(storage, indexes, f"item{i} word{i}")[0] == ids[i]


def test_a_write_from_another_storage_instance_is_seen(storage: Storage) -> None:
    first = _add(storage, "first", "written by this process")
    query = Query(text="", vector=EMB.vector("ostrich feathers"), kinds=(SEMANTIC,), limit=5)
    assert [h.id for h in storage.search.run(query)] == [first]  # index loaded

    with Storage.open(storage.data_dir) as other:  # another process's view of the dir
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
    indexes = VectorIndexes()
    conn = storage._db.read()
    index = indexes.get(conn, EPISODIC)
    rowid = dict(conn.execute("SELECT id, rowid FROM episodic").fetchall())
    query = EMB.vector("beach")
    since = index.search(query, 10, since="2022-01-01T00:00:00.000000Z")
    assert list(since.rowids) == [rowid[new]]
    until = index.search(query, 10, until="2021-01-01T00:00:00.000000Z")
    assert list(until.rowids) == [rowid[old]]
    episodic.update(old, {"occurred_at": "2024-06-01"})  # moves into the window
    index = indexes.get(storage._db.read(), EPISODIC)
    since = index.search(query, 10, since="2022-01-01T00:00:00.000000Z")
    assert sorted(since.rowids) == sorted([rowid[old], rowid[new]])


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
