"""storage/sources.py: raw messages and screenshots, kept as they came: each is its
own source, an external id is stored once, the latest turns of a chat come back."""

from __future__ import annotations

import pytest

from storage import InvalidInputError, SourceRef, Storage


def _say(storage: Storage, text: str, at: str, **extra: str) -> str:
    values = {"role": "user", "speaker": "Ann", "text": text, "at": at, **extra}
    return storage.messages.add(values).id


def test_a_message_reads_back_as_it_came_and_is_its_own_source(storage: Storage) -> None:
    msg = _say(storage, "Miso's vaccination is on Friday", "2026-05-01T10:00:00Z", external_id="m1")
    got = storage.messages.get(msg)
    assert got.fields["text"] == "Miso's vaccination is on Friday"
    assert got.fields["at"] == "2026-05-01T10:00:00.000000Z"
    assert got.sources == (SourceRef("message", msg, "m1"),)
    procedure = storage.memories["procedural"].add(
        {"entry_type": "guide", "summary": "Vaccinate Miso", "steps": ["book", "go"]},
        sources=[SourceRef("message", msg)],
    )
    assert procedure.fields["steps"] == ["book", "go"]
    assert procedure.sources == got.sources


def test_an_external_id_is_stored_once(storage: Storage) -> None:
    _say(storage, "one", "2026-05-01T10:00:00Z", external_id="dup")
    assert storage.messages.existing_external_ids(["dup", "new"]) == {"dup"}
    with pytest.raises(InvalidInputError, match="Cannot store"):
        _say(storage, "two", "2026-05-01T10:01:00Z", external_id="dup")
    assert storage.stats()["counts"]["message"] == {"live": 1, "deleted": 0}
    seen = storage.transaction(lambda work: work.messages.existing_external_ids(["dup", "x"]))
    assert seen == {"dup"}


def test_recent_messages_of_a_session_or_a_prefix_come_oldest_first(storage: Storage) -> None:
    _say(storage, "a question", "2026-05-01T10:00:00Z", external_id="chat:1", session="s1")
    _say(storage, "its answer", "2026-05-01T10:01:00Z", external_id="chat:2", session="s1")
    _say(storage, "an imported line", "2026-05-01T10:02:00Z", external_id="m1", session="s1")
    _say(storage, "another chat", "2026-05-01T10:03:00Z", external_id="chat:3", session="s2")

    def texts(**where: object) -> list[str]:
        return [r.fields["text"] for r in storage.messages.recent(**where)]  # type: ignore[arg-type]

    assert texts(external_prefix="chat:") == ["a question", "its answer", "another chat"]
    assert texts(external_prefix="chat:", limit=2) == ["its answer", "another chat"]
    assert texts(session="s1") == ["a question", "its answer", "an imported line"]
    assert texts(session="s1", external_prefix="chat:", limit=1) == ["its answer"]


def test_a_screenshot_reads_back_as_it_came(storage: Storage) -> None:
    values = {"at": "2026-05-01T10:00:00Z", "app": "Firefox", "ocr_text": "Invoice 42"}
    shot = storage.screenshots.add({**values, "image_path": "frames/2026-05-01/a.webp"})
    got = storage.screenshots.get(shot.id)
    assert got.fields["ocr_text"] == "Invoice 42"
    assert got.fields["image_path"] == "frames/2026-05-01/a.webp"
    assert got.sources == (SourceRef("screenshot", shot.id, None),)
    assert storage.screenshots.activity(None, None) == [("2026-05-01T10", "Firefox", 1)]
