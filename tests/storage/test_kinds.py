"""storage/kinds.py: field validation, times and ids."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage import InvalidInputError, kind_named, kind_of_id
from storage.kinds import (
    ALL_KINDS,
    CORE,
    EPISODIC,
    KNOWLEDGE_VAULT,
    MAX_TEXT_CHARS,
    MEMORY_TYPE_NAMES,
    MESSAGE,
    PROCEDURAL,
    RESOURCE,
    embedding_text,
    index_text,
    parse_time,
    register_kind,
    validate_fields,
)


def test_the_six_memory_types() -> None:
    assert MEMORY_TYPE_NAMES == (
        "core",
        "episodic",
        "semantic",
        "procedural",
        "resource",
        "knowledge_vault",
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2023-05-08T13:56:00Z", "2023-05-08T13:56:00.000000Z"),
        ("2023-05-08T13:56:00", "2023-05-08T13:56:00.000000Z"),  # naive means UTC
        ("2023-05-08T15:56:00+02:00", "2023-05-08T13:56:00.000000Z"),
        ("2023-05-08", "2023-05-08T00:00:00.000000Z"),
        (" 2023-05-08T13:56:00.5z ", "2023-05-08T13:56:00.500000Z"),
        ("0999-05-01T00:00:00Z", "0999-05-01T00:00:00.000000Z"),  # always four digits
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ("999-05-01T00:00:00.000000Z", "0999-05-01T00:00:00.000000Z"),  # as once stored
    ],
)
def test_times_are_stored_in_one_canonical_utc_form(given: str, stored: str) -> None:
    assert parse_time(given) == stored
    assert parse_time(stored) == stored  # what is stored reads back as it is


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00"])
def test_times_with_no_utc_form_are_refused(moment: str) -> None:
    with pytest.raises(InvalidInputError, match="outside the years 1 to 9999"):
        parse_time(moment, what="episodic.occurred_at")


@pytest.mark.parametrize("bad", ["yesterday", "2023-13-45", "", "   ", None, 1683554160])
def test_bad_times_are_refused(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="ISO-8601"):
        parse_time(bad, what="message.at")


def test_unknown_fields_are_named_with_the_allowed_ones() -> None:
    with pytest.raises(InvalidInputError, match=r"Unknown field\(s\) for message: mood"):
        validate_fields(MESSAGE, {"role": "user", "text": "x", "at": "2023-01-01", "mood": 1})


def test_required_fields() -> None:
    with pytest.raises(InvalidInputError, match=r"episodic\.summary is required"):
        validate_fields(EPISODIC, {"occurred_at": "2023-01-01"})
    # an edit (partial) needs none of them
    assert validate_fields(EPISODIC, {"actor": "me"}, partial=True) == {"actor": "me"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "is empty"),
        ("x" * (MAX_TEXT_CHARS + 1), "limit is 200,000"),
        ("nul\x00byte", "NUL"),
        (42, "must be a string"),
    ],
)
def test_bad_text(text: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        validate_fields(MESSAGE, {"role": "user", "text": text, "at": "2023-01-01"})


def test_text_at_the_limit_and_unicode_are_accepted() -> None:
    ok = validate_fields(
        MESSAGE, {"role": "user", "text": "字" * MAX_TEXT_CHARS, "at": "2023-01-01"}
    )
    assert len(ok["text"]) == MAX_TEXT_CHARS
    emoji = validate_fields(MESSAGE, {"role": "other", "text": "🎉👨‍👩‍👧", "at": "2023-01-01"})
    assert emoji["text"] == "🎉👨‍👩‍👧"


def test_choices_lists_and_ints() -> None:
    with pytest.raises(InvalidInputError, match="must be one of user, assistant, other"):
        validate_fields(MESSAGE, {"role": "bot", "text": "x", "at": "2023-01-01"})
    with pytest.raises(InvalidInputError, match="list of strings"):
        validate_fields(PROCEDURAL, {"entry_type": "guide", "summary": "s", "steps": "one"})
    stored = validate_fields(
        PROCEDURAL, {"entry_type": "guide", "summary": "s", "steps": ["a", "ß"]}
    )
    assert stored["steps"] == '["a", "ß"]'
    with pytest.raises(InvalidInputError, match="must be one of low, medium, high"):
        validate_fields(
            KNOWLEDGE_VAULT, {"entry_type": "k", "sensitivity": "secret", "caption": "c"}
        )


def test_the_vault_secret_is_never_indexed() -> None:
    values = validate_fields(
        KNOWLEDGE_VAULT,
        {
            "entry_type": "password",
            "sensitivity": "high",
            "secret_value": "hunter2",
            "caption": "Email password",
        },
    )
    text = index_text(KNOWLEDGE_VAULT, values)
    assert "Email password" in text
    assert "hunter2" not in text


@pytest.mark.parametrize(
    ("item_id", "kind"),
    [
        ("epi_abc", "episodic"),
        ("core_human", "core"),
        ("vault_1", "knowledge_vault"),
        ("msg_9", "message"),
        ("scr_1", "screenshot"),
        ("proc_x", "procedural"),
    ],
)
def test_ids_name_their_kind(item_id: str, kind: str) -> None:
    assert kind_of_id(item_id).name == kind


@pytest.mark.parametrize("bad", ["garbage", "epi_", "xyz_123", "", "_abc"])
def test_malformed_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInputError, match="not a mirix-app id"):
        kind_of_id(bad)


def test_unknown_type_name() -> None:
    with pytest.raises(InvalidInputError, match="Unknown type 'memo'"):
        kind_named("memo")


# -- each type's policy ---------------------------------------------------------------


def test_every_kind_has_its_labels_and_every_memory_type_its_guide_and_tools() -> None:
    for kind in ALL_KINDS:
        assert kind.label and kind.plural, kind.name
        assert set(kind.list_fields) <= kind.field_names, kind.name
        if kind.is_memory:
            assert kind.guide, kind.name
            assert kind.tools, kind.name
    # One place for a label: the browser's tab and the chat's source label.
    assert (RESOURCE.label, RESOURCE.plural) == ("Resource", "Resources")


def test_what_a_kind_withholds_and_what_a_model_reads_of_it() -> None:
    high = {"caption": "Bank PIN", "sensitivity": "high", "secret_value": "1234"}
    assert KNOWLEDGE_VAULT.withholds(high)
    assert not KNOWLEDGE_VAULT.withholds({**high, "sensitivity": "medium"})
    assert not EPISODIC.withholds({"summary": "anything", "sensitivity": "high"})
    assert KNOWLEDGE_VAULT.prompt_view(high) == {"caption": "Bank PIN"}  # never the secret
    values = {"summary": "Hiked", "actor": "Ann", "details": "", "tree_path": []}
    assert EPISODIC.prompt_view(values) == {"actor": "Ann", "summary": "Hiked"}


def test_a_list_row_shows_the_kinds_list_fields() -> None:
    assert KNOWLEDGE_VAULT.list_text(
        {"caption": "GitHub token", "entry_type": "api_key", "sensitivity": "low"}
    ) == ("GitHub token — api_key — low")
    assert MESSAGE.list_text({"speaker": None, "role": "user", "text": "hi\nthere"}) == (
        "hi · there"
    )


def test_a_registered_type_is_refused_when_it_takes_a_name_or_prefix_in_use() -> None:
    with pytest.raises(InvalidInputError, match="already uses 'epi'"):
        register_kind(replace(EPISODIC, name="diary"))
    with pytest.raises(InvalidInputError, match="only memory types"):
        register_kind(replace(MESSAGE, name="note", prefix="note"))
    assert "diary" not in MEMORY_TYPE_NAMES


def test_the_text_a_vector_is_made_from_is_the_kinds() -> None:
    assert embedding_text(MESSAGE, {"speaker": "Ann", "text": "see you at the harbour"}) == (
        "Ann: see you at the harbour"
    )
    assert embedding_text(MESSAGE, {"speaker": None, "text": "hello"}) == "hello"
    assert embedding_text(CORE, {"label": "human", "text": "Name: Ann"}) == "Name: Ann"
    values = {"title": "Ferry times", "summary": "the harbour timetable", "content": ""}
    assert embedding_text(RESOURCE, values) == index_text(RESOURCE, values)
