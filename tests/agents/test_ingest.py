"""agents/ingest.py: messages import atomically, with episodic memories and provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents import IngestError
from agents.ingest import import_messages, parse_messages_file
from storage import Query, Storage
from storage.kinds import ALL_KINDS, BY_NAME
from tests.fakes import (
    CJK_TEXT,
    EMOJI_TEXT,
    SAMPLE_MESSAGES,
    FakeEmbedder,
    db_dump,
    message,
    table_counts,
    write_jsonl,
)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "messages.jsonl", SAMPLE_MESSAGES)


def test_every_message_becomes_a_message_and_an_episode_with_provenance(
    storage: Storage, embedder: FakeEmbedder, sample: Path
) -> None:
    report = import_messages(storage, embedder, sample)
    assert (report.imported, report.memories, report.skipped_existing) == (6, 6, 0)
    assert report.skipped_invalid == []
    counts = table_counts(storage._db.path)
    assert (counts["messages"], counts["episodic"], counts["provenance"]) == (6, 6, 6)

    messages = storage.messages.list(limit=100)
    by_ext = {m.fields["external_id"]: m for m in messages}
    assert set(by_ext) == {m["external_id"] for m in SAMPLE_MESSAGES}
    first = by_ext["D1:1"]
    assert first.fields["speaker"] == "Caroline"
    assert first.fields["role"] == "user"
    assert first.fields["session"] == "s1"
    assert first.fields["at"] == "2023-05-08T13:56:00.000000Z"
    assert by_ext["D2:2"].fields["role"] == "other"  # role is optional
    assert by_ext["D3:1"].fields["at"] == "2023-07-01T16:00:00.000000Z"  # offset to UTC

    for episode in storage.memories["episodic"].list(limit=100):
        assert len(episode.sources) == 1
        source = episode.sources[0]
        assert source.kind == "message"
        msg = storage.messages.get(source.id)
        assert source.external_id == msg.fields["external_id"]
        assert episode.fields["occurred_at"] == msg.fields["at"]
        assert msg.fields["text"] in (episode.fields["summary"] + (episode.fields["details"] or ""))


def test_imported_messages_are_searchable_with_provenance(
    storage: Storage, embedder: FakeEmbedder, sample: Path
) -> None:
    import_messages(storage, embedder, sample)
    text = "guitar lessons music school"
    vector = embedder.vector(text)
    hits = storage.search.run(Query(text=text, vector=vector, kinds=ALL_KINDS))
    assert [s.external_id for s in hits[0].sources] == ["D2:1"]
    for type_name in ("message", "episodic"):
        hits = storage.search.run(Query(text=text, vector=vector, kinds=(BY_NAME[type_name],)))
        assert hits[0].type == type_name
        assert [s.external_id for s in hits[0].sources] == ["D2:1"]
        assert {s.external_id for h in hits for s in h.sources} == {
            m["external_id"] for m in SAMPLE_MESSAGES
        }
    cjk = storage.search.run(
        Query(text=CJK_TEXT, vector=embedder.vector(CJK_TEXT), kinds=(BY_NAME["message"],))
    )
    assert cjk[0].sources[0].external_id == "D3:1"


def test_reimport_skips_messages_already_stored(
    storage: Storage, embedder: FakeEmbedder, sample: Path, tmp_path: Path
) -> None:
    import_messages(storage, embedder, sample)
    before = db_dump(storage._db.path)
    again = import_messages(storage, embedder, sample)
    assert (again.imported, again.skipped_existing) == (0, 6)
    assert db_dump(storage._db.path) == before
    more = write_jsonl(
        tmp_path / "more.jsonl", [*SAMPLE_MESSAGES, message(external_id="D9:9", text="brand new")]
    )
    report = import_messages(storage, embedder, more)
    assert (report.imported, report.skipped_existing) == (1, 6)


def test_messages_without_external_ids_import(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "m.jsonl", [message(external_id=None, text=f"note {i}") for i in range(3)]
    )
    assert import_messages(storage, embedder, path).imported == 3
    assert all(m.fields["external_id"] is None for m in storage.messages.list())


BAD_LINES: list[tuple[str, str]] = [
    ('{"speaker": "A", "text": "x", "at": "2023-01-01"', "not valid JSON"),
    ("[1, 2, 3]", "expected a JSON object"),
    ('"just a string"', "expected a JSON object"),
    (json.dumps(message(mood="happy")), "Unknown field(s) for message: mood"),
    (json.dumps(message(at="yesterday")), "'yesterday' is not an ISO-8601 time"),
    (json.dumps(message(at="2023-13-45")), "'2023-13-45' is not an ISO-8601 time"),
    (json.dumps(message(text="")), "message.text is empty"),
    (json.dumps(message(text="x" * 10_000_000)), "limit is 200,000"),
    (json.dumps(message(speaker=None)), "speaker is required"),
    (json.dumps(message(role="robot")), "must be one of user, assistant, other"),
    (json.dumps(message(text=None)), "message.text is required"),
    (json.dumps(message(session=5)), "session must be a string"),
]


@pytest.mark.parametrize(("line", "error"), BAD_LINES, ids=[e for _, e in BAD_LINES])
def test_one_bad_line_stops_the_whole_file(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path, line: str, error: str
) -> None:
    path = write_jsonl(
        tmp_path / "m.jsonl", [message(external_id="ok-1"), line, message(external_id="ok-2")]
    )
    before = db_dump(storage._db.path)
    with pytest.raises(IngestError) as caught:
        import_messages(storage, embedder, path)
    assert caught.value.problems[0][0] == 2
    assert error in caught.value.problems[0][1]
    assert "line 2:" in str(caught.value)
    assert "nothing imported" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 2000
    assert db_dump(storage._db.path) == before


def test_skip_invalid_imports_the_good_lines_and_reports_the_bad(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "m.jsonl",
        [
            message(external_id="a"),
            "{broken",
            message(external_id="b", at="yesterday"),
            message(external_id="c"),
            message(external_id="a", text="same id again"),
        ],
    )
    report = import_messages(storage, embedder, path, skip_invalid=True)
    assert report.imported == 2
    assert [n for n, _ in report.skipped_invalid] == [2, 3, 5]
    assert "repeats line 1" in report.skipped_invalid[2][1]
    assert report.to_dict()["skipped_invalid"][0]["line"] == 2
    assert {m.fields["external_id"] for m in storage.messages.list()} == {"a", "c"}


def test_many_problems_are_summarised_on_one_line(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "m.jsonl", ["{bad"] * 50)
    with pytest.raises(IngestError) as caught:
        import_messages(storage, embedder, path)
    assert len(caught.value.problems) == 50
    assert "50 invalid line(s)" in str(caught.value)
    assert "(and 30 more)" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "has no messages"),
        (b"\n\n  \n", "has no messages"),
        (b'{"speaker": "A", "text": "\xff\xfe", "at": "2023-01-01"}\n', "not UTF-8"),
    ],
)
def test_unusable_files(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path, content: bytes, error: str
) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(content)
    with pytest.raises(IngestError, match=error):
        import_messages(storage, embedder, path)


def test_a_missing_file_is_an_ingest_error(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    with pytest.raises(IngestError, match="Cannot read"):
        import_messages(storage, embedder, tmp_path / "nope.jsonl")


def test_bom_blank_lines_and_unicode_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    lines = [
        json.dumps(message(external_id="1", text=CJK_TEXT), ensure_ascii=False),
        "",
        json.dumps(message(external_id="2", text=EMOJI_TEXT), ensure_ascii=True),
    ]
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    good, problems = parse_messages_file(path)
    assert problems == []
    assert [m.values["text"] for m in good] == [CJK_TEXT, EMOJI_TEXT]
    assert [m.line for m in good] == [1, 3]


def test_progress_reports_up_to_the_total(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "m.jsonl", [message(external_id=str(i), text=f"msg {i}") for i in range(300)]
    )
    seen: list[tuple[int, int]] = []
    import_messages(
        storage, embedder, path, progress=lambda done, total: seen.append((done, total))
    )
    assert seen
    assert seen[-1] == (300, 300)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    embedded = sum(len(call) for call in embedder.calls)
    assert embedded == 300  # every message embedded exactly once


@pytest.mark.parametrize("speaker", [None, ""], ids=["null", "empty"])
def test_a_null_or_empty_speaker_is_refused(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path, speaker: str | None
) -> None:
    line = json.dumps({"speaker": speaker, "text": "who said this?", "at": "2023-01-01"})
    path = write_jsonl(tmp_path / "m.jsonl", [line])
    with pytest.raises(IngestError, match="speaker"):
        import_messages(storage, embedder, path)


def test_a_turn_is_indexed_with_its_date_and_neighbours_in_its_session(
    storage: Storage, embedder: FakeEmbedder, tmp_path: Path
) -> None:
    turns = [
        ("a1", "Ann", "Guess what I adopted?", "2023-05-08T10:00:00Z", "s1"),
        ("b1", "Bob", "A greyhound?", "2023-05-08T10:01:00Z", "s1"),
        ("a2", "Ann", "Yes, last Friday!", "2023-05-08T10:02:00Z", "s1"),
        ("c1", "Ann", "Other session", "2023-06-01T10:00:00Z", "s2"),
    ]
    lines = [
        json.dumps(message(external_id=e, speaker=s, text=t, at=at, session=session))
        for e, s, t, at, session in turns
    ]
    import_messages(storage, embedder, write_jsonl(tmp_path / "m.jsonl", lines))
    by_ext = {m.fields["external_id"]: m for m in storage.messages.list(limit=10)}
    context = by_ext["a2"].context
    assert "Monday 8 May 2023" in context
    assert "Bob: A greyhound?" in context
    assert "Other session" not in context  # never across sessions
    assert "Yes, last Friday!" in by_ext["b1"].context  # the turn after, too
    # "Yes, last Friday!" alone never says greyhound; its context does
    hits = storage.search.run(Query(text="greyhound adopted", kinds=(BY_NAME["message"],)))
    assert by_ext["a2"].id in {h.id for h in hits}
