"""storage/memories.py: add, update with history, soft delete, restore, provenance."""

from __future__ import annotations

import numpy as np
import pytest

from storage import InvalidInputError, NotFoundError, Query, SourceRef, Storage
from storage.interface import VectorRequest, Where
from tests.fakes import BODIES, FakeEmbedder
from tests.storage.conftest import Reopen, searching, stored_rows

TYPES = sorted(BODIES)


@pytest.mark.parametrize("type_name", TYPES)
def test_add_then_get_returns_the_fields(storage: Storage, type_name: str) -> None:
    record = storage.memories[type_name].add(BODIES[type_name])
    assert record.id.startswith(storage.memories[type_name].kind.prefix + "_")
    assert record.version == 1
    assert not record.deleted
    again = storage.memories[type_name].get(record.id)
    assert again == record
    for name, value in BODIES[type_name].items():
        expected = "2023-05-08T10:00:00.000000Z" if name == "occurred_at" else value
        assert again.fields[name] == expected


@pytest.mark.parametrize("type_name", TYPES)
def test_update_keeps_the_id_bumps_the_version_and_writes_history(
    storage: Storage, reopen: Reopen, type_name: str
) -> None:
    store = storage.memories[type_name]
    first = store.add(BODIES[type_name])
    field = {
        "episodic": "summary",
        "semantic": "summary",
        "procedural": "summary",
        "resource": "title",
        "knowledge_vault": "caption",
    }[type_name]
    second = store.update(first.id, {field: "changed once"})
    third = store.update(first.id, {field: "changed twice"})
    assert third.id == second.id == first.id
    assert (first.version, second.version, third.version) == (1, 2, 3)
    assert store.get(first.id).fields[field] == "changed twice"
    history = store.history(first.id)
    assert [(h.version, h.change) for h in history] == [(1, "update"), (2, "update")]
    assert history[0].data[field] == first.fields[field]
    assert history[1].data[field] == "changed once"
    assert history[0].data["created_at"] == first.created_at
    assert stored_rows(reopen)["counts"][type_name] == {"live": 1, "deleted": 0}


def test_update_replaces_the_search_text(storage: Storage) -> None:
    store = storage.memories["semantic"]
    record = store.add({"name": "Rex", "summary": "a small dog"})
    store.update(record.id, {"summary": "a large parrot"})
    semantic = (store.kind,)
    assert [h.id for h in storage.search.run(Query(text="parrot", kinds=semantic))] == [record.id]
    assert storage.search.run(Query(text="dog", kinds=semantic)) == []
    assert [h.id for h in storage.search.run(Query(text="rex", kinds=semantic))] == [record.id]


def test_bad_update_changes_nothing(storage: Storage) -> None:
    store = storage.memories["procedural"]
    record = store.add(BODIES["procedural"])
    with pytest.raises(InvalidInputError, match="Unknown field"):
        store.update(record.id, {"colour": "red"})
    with pytest.raises(InvalidInputError, match="must be one of"):
        store.update(record.id, {"entry_type": "poem"})
    with pytest.raises(InvalidInputError, match="Nothing to change"):
        store.update(record.id, {})
    assert store.get(record.id) == record
    assert store.history(record.id) == []


def test_delete_is_soft_and_restore_brings_it_back(storage: Storage) -> None:
    store = storage.memories["semantic"]
    record = store.add(BODIES["semantic"])
    deleted = store.delete(record.id)
    assert deleted.deleted
    assert deleted.version == 2
    assert store.get(record.id).fields == record.fields  # still readable
    assert store.list() == []
    assert [r.id for r in store.list(include_deleted=True)] == [record.id]
    stats = storage.stats()["counts"]["semantic"]
    assert stats == {"live": 0, "deleted": 1}

    restored = store.restore(record.id)
    assert not restored.deleted
    assert restored.version == 3
    assert [r.id for r in store.list()] == [record.id]
    assert [(h.version, h.change) for h in store.history(record.id)] == [
        (1, "delete"),
        (2, "restore"),
    ]


def test_deleted_memory_cannot_be_edited_or_deleted_again(storage: Storage) -> None:
    store = storage.memories["resource"]
    record = store.add(BODIES["resource"])
    store.delete(record.id)
    with pytest.raises(InvalidInputError, match="is deleted; restore it"):
        store.update(record.id, {"title": "new"})
    with pytest.raises(InvalidInputError, match="already deleted"):
        store.delete(record.id)
    store.restore(record.id)
    with pytest.raises(InvalidInputError, match="not deleted"):
        store.restore(record.id)
    assert store.get(record.id).fields["title"] == BODIES["resource"]["title"]


def test_unknown_ids_are_not_found(storage: Storage) -> None:
    store = storage.memories["episodic"]
    for call in (store.get, store.delete, store.restore, store.history):
        with pytest.raises(NotFoundError, match="No episodic with id epi_missing"):
            call("epi_missing")
    with pytest.raises(NotFoundError):
        store.update("epi_missing", {"summary": "x"})


def test_provenance_links_sources_with_their_external_ids(storage: Storage) -> None:
    m1 = storage.messages.add(
        {
            "role": "user",
            "speaker": "A",
            "text": "first",
            "at": "2023-01-01",
            "external_id": "ext-1",
        }
    )
    m2 = storage.messages.add(
        {"role": "user", "speaker": "B", "text": "second", "at": "2023-01-02"}
    )
    store = storage.memories["episodic"]
    record = store.add(
        BODIES["episodic"], sources=[SourceRef("message", m1.id), SourceRef("message", m2.id)]
    )
    assert record.sources == (
        SourceRef("message", m1.id, "ext-1"),
        SourceRef("message", m2.id, None),
    )
    # an update may add sources; existing ones keep their place
    m3 = storage.messages.add(
        {"role": "user", "text": "third", "at": "2023-01-03", "external_id": "ext-3"}
    )
    updated = store.update(record.id, {"summary": "more"}, sources=[SourceRef("message", m3.id)])
    assert [s.external_id for s in updated.sources] == ["ext-1", None, "ext-3"]


def test_a_missing_source_fails_the_whole_add(storage: Storage, reopen: Reopen) -> None:
    before = stored_rows(reopen)
    with pytest.raises(NotFoundError, match="msg_nope"):
        storage.memories["semantic"].add(
            BODIES["semantic"], sources=[SourceRef("message", "msg_nope")]
        )
    assert stored_rows(reopen) == before


def test_embeddings_are_stored_normalised_and_bad_ones_refused(storage: Storage) -> None:
    store = storage.memories["semantic"]
    store.add(BODIES["semantic"], embedding=np.array([3.0, 4.0], dtype=np.float32))
    # Stored as [0.6, 0.8]: its score against a unit query is the cosine.
    query = VectorRequest(np.array([1.0, 0.0], dtype=np.float32), Where(), depth=5)
    with searching(storage) as s:
        (ranked,) = s.vector_rankings({"semantic": query}).result().values()
    assert [score for _, score in ranked] == [pytest.approx(0.6, rel=1e-6)]
    for bad in (np.zeros(4), np.array([np.nan, 1.0]), np.array([])):
        with pytest.raises(InvalidInputError, match="embedding"):
            store.add(BODIES["semantic"], embedding=bad)
    assert storage.stats()["counts"]["semantic"]["live"] == 1


def test_history_survives_a_restart(storage: Storage, reopen: Reopen) -> None:
    store = storage.memories["semantic"]
    record = store.add(BODIES["semantic"], embedding=FakeEmbedder().vector("x"))
    store.update(record.id, {"name": "Jordan B."})
    store.delete(record.id)
    with reopen() as other:  # another process
        history = other.memories["semantic"].history(record.id)
    assert [(h.version, h.change) for h in history] == [(1, "update"), (2, "delete")]
    assert [h.data["name"] for h in history] == [BODIES["semantic"]["name"], "Jordan B."]


def test_each_version_records_who_made_it(storage: Storage) -> None:
    store = storage.memories["semantic"]
    added = store.add({"name": "Rex", "summary": "a dog"}, by="mcp:claude-ai")
    assert added.changed_by == "mcp:claude-ai"
    edited = store.update(added.id, {"summary": "a large dog"})
    assert edited.changed_by is None  # mirix-app itself
    deleted = store.delete(added.id, by="mcp:cursor")
    restored = store.restore(added.id)
    assert (deleted.changed_by, restored.changed_by) == ("mcp:cursor", None)
    history = store.history(added.id)
    assert [(h.version, h.change, h.changed_by) for h in history] == [
        (1, "update", "mcp:claude-ai"),
        (2, "delete", None),
        (3, "restore", "mcp:cursor"),
    ]
    assert history[0].to_dict()["changed_by"] == "mcp:claude-ai"
    assert store.get(added.id).to_dict()["changed_by"] is None
