"""storage/forget.py: what a forget deletes, unlinks and keeps."""

from __future__ import annotations

import pytest

from storage import ForgetScope, InvalidInputError, SourceRef, Storage
from storage.core import block_id


def message(storage: Storage, text: str, at: str = "2024-01-01T10:00:00Z") -> str:
    return storage.messages.add({"role": "user", "text": text, "at": at}).id


def test_memories_made_only_from_forgotten_sources_go_even_when_soft_deleted(
    storage: Storage,
) -> None:
    gone, stays = message(storage, "gone"), message(storage, "stays")
    only = storage.memories["semantic"].add(
        {"name": "a", "summary": "from gone"}, sources=[SourceRef("message", gone)]
    )
    storage.memories["semantic"].delete(only.id)  # soft: it would come back with restore
    both = storage.memories["episodic"].add(
        {"occurred_at": "2024-01-01", "summary": "from both"},
        sources=[SourceRef("message", gone), SourceRef("message", stays)],
    )
    storage.core.update(
        block_id("human"), {"text": "Likes tea"}, sources=[SourceRef("message", gone)]
    )
    plan = storage.forget_plan(ForgetScope(ids=(gone,)))
    assert plan.memories_deleted == (only.id,)
    assert set(plan.memories_kept) == {both.id, block_id("human")}
    history = storage.stats()["history_entries"]
    storage.forget(ForgetScope(ids=(gone,)))
    assert storage.stats()["counts"]["semantic"] == {"live": 0, "deleted": 0}
    assert storage.stats()["history_entries"] == history - 1  # its delete's entry went too
    assert [s.id for s in storage.memories["episodic"].get(both.id).sources] == [stays]
    core = storage.core.block("human")  # the blocks always stay
    assert core.fields["text"] == "Likes tea" and core.sources == ()


def test_a_scope_says_what_to_forget(storage: Storage) -> None:
    with pytest.raises(InvalidInputError, match="Say what to forget"):
        ForgetScope()
    with pytest.raises(InvalidInputError, match="not both"):
        ForgetScope(ids=("msg_1",), since="2024-01-01T00:00:00.000000Z")
    memory = storage.memories["semantic"].add({"name": "a", "summary": "b"})
    with pytest.raises(InvalidInputError, match="is a memory"):
        storage.forget(ForgetScope(ids=(memory.id,)))
    inside = message(storage, "in range", "2024-01-01T10:00:00Z")
    message(storage, "later", "2024-02-01T10:00:00Z")
    plan = storage.forget_plan(
        ForgetScope(since="2024-01-01T00:00:00.000000Z", until="2024-01-31T00:00:00.000000Z")
    )
    assert plan.messages == (inside,) and plan.screenshots == ()
    assert storage.forget_plan(ForgetScope(app="Firefox")).messages == ()  # app: screens only
