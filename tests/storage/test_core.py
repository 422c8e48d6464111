"""storage/core.py: the two fixed blocks, line edits and the character limit."""

from __future__ import annotations

import pytest

from storage import InvalidInputError, NotFoundError, Storage
from storage.kinds import DEFAULT_CORE_LIMIT
from tests.storage.conftest import Reopen


def test_both_blocks_exist_empty_with_fixed_ids(storage: Storage) -> None:
    persona, human = storage.core.block("persona"), storage.core.block("human")
    assert (persona.id, human.id) == ("core_persona", "core_human")
    assert persona.fields == {"label": "persona", "text": "", "char_limit": DEFAULT_CORE_LIMIT}
    assert storage.core.lines("human") == []
    assert storage.stats()["counts"]["core"] == {"live": 2, "deleted": 0}


def test_reopening_does_not_duplicate_or_touch_the_blocks(storage: Storage, reopen: Reopen) -> None:
    storage.core.append("human", "Name: Sam")
    with reopen() as again:
        assert again.core.lines("human") == ["Name: Sam"]
        assert again.core.block("human").version == 2
        assert again.stats()["counts"]["core"]["live"] == 2


def test_append_replace_and_rewrite_are_versioned(storage: Storage) -> None:
    core = storage.core
    core.append("human", "Name: Sam")
    core.append("human", "Likes: hiking")
    assert core.lines("human") == ["Name: Sam", "Likes: hiking"]
    core.replace_line("human", 2, "Likes: climbing")
    assert core.lines("human") == ["Name: Sam", "Likes: climbing"]
    core.replace_line("human", 1, "")  # an empty line removes it
    assert core.lines("human") == ["Likes: climbing"]
    block = core.rewrite("human", "Fresh start\nsecond line")
    assert core.lines("human") == ["Fresh start", "second line"]
    assert block.id == "core_human"
    assert block.version == 6
    texts = [h.data["text"] for h in core.history("core_human")]
    assert texts == [
        "",
        "Name: Sam",
        "Name: Sam\nLikes: hiking",
        "Name: Sam\nLikes: climbing",
        "Likes: climbing",
    ]
    assert core.lines("persona") == []


@pytest.mark.parametrize("number", [0, 2, -1])
def test_replace_needs_an_existing_line(storage: Storage, number: int) -> None:
    storage.core.append("persona", "only line")
    with pytest.raises(InvalidInputError, match="has 1 line"):
        storage.core.replace_line("persona", number, "x")
    assert storage.core.lines("persona") == ["only line"]


def test_the_character_limit_is_enforced(storage: Storage) -> None:
    core = storage.core
    core.update("core_persona", {"char_limit": 20})
    core.append("persona", "x" * 20)
    with pytest.raises(InvalidInputError, match="limit is 20"):
        core.append("persona", "y")
    with pytest.raises(InvalidInputError, match="limit is 20"):
        core.rewrite("persona", "z" * 21)
    with pytest.raises(InvalidInputError, match="limit is 10"):
        core.update("core_persona", {"char_limit": 10})  # lowering below the text
    assert core.lines("persona") == ["x" * 20]
    assert core.block("persona").fields["char_limit"] == 20


def test_default_limit_allows_exactly_the_limit(storage: Storage) -> None:
    storage.core.rewrite("human", "a" * DEFAULT_CORE_LIMIT)
    with pytest.raises(InvalidInputError, match="Rewrite it shorter"):
        storage.core.rewrite("human", "a" * (DEFAULT_CORE_LIMIT + 1))


def test_blocks_cannot_be_added_relabelled_or_unknown(storage: Storage) -> None:
    with pytest.raises(InvalidInputError, match="two fixed blocks"):
        storage.core.add({"label": "human", "text": "x"})
    with pytest.raises(InvalidInputError, match="label cannot change"):
        storage.core.update("core_human", {"label": "persona"})
    with pytest.raises(NotFoundError, match="blocks are persona and human"):
        storage.core.block("friend")
    assert storage.stats()["counts"]["core"]["live"] == 2


def test_set_embedding_does_not_make_a_version(storage: Storage) -> None:
    storage.core.append("human", "Name: Sam")
    storage.core.set_embedding("core_human", [1.0, 0.0, 0.0])
    assert storage.core.block("human").version == 2
    assert len(storage.core.history("core_human")) == 1
