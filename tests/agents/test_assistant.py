"""agents/assistant.py: the facade the CLI and the app call, with a fake embedder
handed in through the composition root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import agents
from agents import Assistant, open_assistant
from storage import InvalidInputError, NotFoundError, Query
from tests.fakes import BODIES, SAMPLE_MESSAGES, FakeEmbedder, db_dump, write_jsonl
from tests.llm_server import MODEL, ScriptedLLMServer


def test_public_surface_is_pinned() -> None:
    assert sorted(agents.__all__) == sorted(
        [
            "SEARCHABLE_TYPES",
            "AgentError",
            "Assistant",
            "IngestError",
            "ModelUnavailableError",
            "open_assistant",
        ]
    )
    assert issubclass(agents.IngestError, agents.AgentError)
    assert issubclass(agents.ModelUnavailableError, agents.AgentError)


def test_open_assistant_uses_the_given_embedder(tmp_path: Path) -> None:
    fake = FakeEmbedder(dim=32)
    app = open_assistant(tmp_path / "d", embedder=fake)
    try:
        assert app.embedder is fake
        app.add("semantic", BODIES["semantic"])
        assert fake.calls  # the add was embedded with the fake
        blob = app.storage._db.query("SELECT embedding FROM semantic")[0][0]
        assert len(blob) == 32 * 4
    finally:
        app.close()


@pytest.mark.parametrize("type_name", sorted(BODIES))
def test_add_embeds_so_search_finds_by_meaning(assistant: Assistant, type_name: str) -> None:
    record = assistant.add(type_name, BODIES[type_name])
    text = " ".join(str(v) for v in BODIES[type_name].values() if isinstance(v, str))
    hits = assistant.search(text, types=[type_name])
    assert hits[0].id == record.id
    assert "vector" in hits[0].matched_by


def test_add_refuses_core_and_raw_sources(assistant: Assistant) -> None:
    with pytest.raises(InvalidInputError, match="two fixed blocks"):
        assistant.add("core", {"label": "human", "text": "x"})
    with pytest.raises(InvalidInputError, match="raw source"):
        assistant.add("message", {"role": "user", "text": "x", "at": "2023-01-01"})
    with pytest.raises(InvalidInputError, match="Unknown type"):
        assistant.add("diary", {})


def test_edit_keeps_the_id_and_re_embeds(assistant: Assistant) -> None:
    record = assistant.add("semantic", {"name": "pet", "summary": "owns a tortoise"})
    other = assistant.add("semantic", {"name": "car", "summary": "drives a tortoise green van"})
    edited = assistant.edit(record.id, {"summary": "owns a hedgehog"})
    assert (edited.id, edited.version) == (record.id, 2)

    def by_vector(text: str) -> list[str]:
        vector = assistant.embedder.embed([text])[0]
        kinds = (assistant.storage.memories["semantic"].kind,)
        return [
            h.id for h in assistant.storage.search.run(Query(text="", vector=vector, kinds=kinds))
        ]

    assert by_vector("pet hedgehog")[0] == record.id
    assert by_vector("tortoise")[0] == other.id
    assert [h.data["summary"] for h in assistant.history(record.id)] == ["owns a tortoise"]


def test_edit_delete_restore_history_refuse_raw_messages(
    assistant: Assistant, tmp_path: Path
) -> None:
    assistant.import_messages(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES[:1]))
    msg = assistant.storage.messages.list()[0]
    assert assistant.show(msg.id).fields["text"] == SAMPLE_MESSAGES[0]["text"]
    for call in (
        lambda: assistant.edit(msg.id, {"text": "x"}),
        lambda: assistant.delete(msg.id),
        lambda: assistant.history(msg.id),
    ):
        with pytest.raises(InvalidInputError, match="raw message"):
            call()


def test_delete_hides_from_search_and_restore_returns(assistant: Assistant) -> None:
    record = assistant.add("resource", BODIES["resource"])
    assert assistant.search("Quarterly report")[0].id == record.id
    assistant.delete(record.id)
    assert record.id not in {h.id for h in assistant.search("Quarterly report")}
    assert assistant.show(record.id).deleted
    assistant.restore(record.id)
    assert assistant.search("Quarterly report")[0].id == record.id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "query is empty"),
        ({"text": "x", "limit": 0}, "at least 1"),
        ({"text": "x", "since": "soon"}, "--since 'soon' is not a time: use ISO-8601"),
        ({"text": "x", "until": "2023-13-45"}, "--until '2023-13-45'"),
        ({"text": "x", "since": "2024-01-01", "until": "2023-01-01"}, "--since is after"),
        ({"text": "x", "types": ["diary"]}, "Unknown type 'diary'"),
    ],
)
def test_bad_search_arguments(
    assistant: Assistant, kwargs: dict[str, object], message: str
) -> None:
    text = str(kwargs.pop("text"))
    with pytest.raises(InvalidInputError, match=message):
        assistant.search(text, **kwargs)  # type: ignore[arg-type]


def test_search_time_window(assistant: Assistant, tmp_path: Path) -> None:
    assistant.import_messages(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES))
    hits = assistant.search("Caroline Melanie", since="2023-06-01", until="2023-06-30", limit=50)
    assert hits
    assert {h.at[:7] for h in hits} == {"2023-06"}


def test_core_edits_refresh_the_block_vector(assistant: Assistant) -> None:
    assistant.core_append("human", "Name: Sam")
    assistant.core_append("human", "Plays the cello")
    block = assistant.core_replace_line("human", 1, "Name: Samantha")
    assert block.version == 4
    hits = assistant.search("cello Samantha", types=["core"])
    assert [h.id for h in hits] == ["core_human"]
    assert "vector" in hits[0].matched_by
    assistant.core_rewrite("persona", "Curious and kind")
    assert assistant.storage.core.lines("persona") == ["Curious and kind"]


def test_unknown_ids(assistant: Assistant) -> None:
    with pytest.raises(NotFoundError):
        assistant.show("sem_doesnotexist")
    with pytest.raises(InvalidInputError, match="not a mirix-app id"):
        assistant.show("not-an-id")


def test_export_is_atomic_and_round_trips(assistant: Assistant, tmp_path: Path) -> None:
    assistant.add("knowledge_vault", BODIES["knowledge_vault"])
    out = tmp_path / "export.jsonl"
    count = assistant.export(out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert count == len(lines) - 1
    assert not (tmp_path / "export.jsonl.partial").exists()
    with pytest.raises(InvalidInputError, match="Cannot write"):
        assistant.export(tmp_path / "no" / "such" / "dir" / "x.jsonl")
    assert not list((tmp_path).glob("**/*.partial"))

    other = open_assistant(tmp_path / "other", embedder=FakeEmbedder())
    try:
        counts = other.import_export(out)
        assert counts["knowledge_vault"] == 1
        again = tmp_path / "again.jsonl"
        other.export(again)
        first, second = (p.read_text(encoding="utf-8").splitlines()[1:] for p in (out, again))
        assert first == second
        assert json.loads(lines[0])["format"] == "mirix-app-export"
    finally:
        other.close()


def test_failed_import_of_messages_writes_nothing(assistant: Assistant, tmp_path: Path) -> None:
    before = db_dump(assistant.storage._db.path)
    with pytest.raises(agents.IngestError):
        assistant.import_messages(write_jsonl(tmp_path / "m.jsonl", [*SAMPLE_MESSAGES, "not json"]))
    assert db_dump(assistant.storage._db.path) == before


def test_emptying_a_core_block_drops_its_vector(assistant: Assistant) -> None:
    assistant.core_append("human", "Plays the cello")
    assert [h.id for h in assistant.search("cello", types=["core"])] == ["core_human"]
    assistant.core_replace_line("human", 1, "")
    assert assistant.storage.core.lines("human") == []
    assert assistant.search("cello", types=["core"]) == []
    assistant.core_rewrite("human", "Plays the cello again")
    assert [h.id for h in assistant.search("cello", types=["core"])] == ["core_human"]


def test_absorb_due_runs_the_agents_on_queued_batches_only_with_an_llm(
    tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    app = open_assistant(tmp_path / "data", embedder=FakeEmbedder())
    try:
        assert app.absorb_due() is None  # no LLM: the rule-based floor needs no agents
        app.set_config("llm_model", MODEL)
        app.set_config("llm_api_base", llm_server.api_base)
        app.set_config("batch_items", "4")
        messages = write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES[:4])
        assert app.import_messages(messages).batches == 1
        llm_server.reply_tool_calls(("dispatch", {"assignments": []}))
        report = app.absorb_due()
        assert report is not None and (report.done, report.failed) == (1, 0)
        assert len(llm_server.requests) == 1  # the meta-agent's one call
        assert app.storage.batches.pending() == []
        again = app.absorb_due()
        assert again is not None and again.batches == []  # nothing due: no call
        assert len(llm_server.requests) == 1
    finally:
        app.close()
