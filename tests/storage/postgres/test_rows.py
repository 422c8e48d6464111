"""The PostgreSQL engine's repositories: memories with history and provenance,
raw sources, the unit of work, secrets that only ever reach the server sealed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from agents.vault_key import KeyFileSource, VaultCipher
from storage.errors import InvalidInputError, NotFoundError
from storage.postgres.engine import PostgresEngine, Repositories
from storage.records import SourceRef
from tests.fakes import FakeEmbedder


@pytest.fixture
def engine(pg_url: str) -> Iterator[PostgresEngine]:
    with PostgresEngine.open(pg_url, device="laptop") as opened:
        yield opened


def _message(engine: PostgresEngine, text: str, external_id: str) -> str:
    record = engine.repos.messages.add(
        {
            "role": "user",
            "speaker": "Ann",
            "text": text,
            "at": "2026-05-01T10:00:00Z",
            "external_id": external_id,
        },
    )
    return record.id


def test_a_memory_keeps_its_id_and_history_through_edits(engine: PostgresEngine) -> None:
    semantic = engine.repos.memories["semantic"]
    added = semantic.add({"name": "Miso", "summary": "Ann's cat"}, by="mcp:cursor")
    assert added.version == 1 and added.changed_by == "mcp:cursor"
    edited = semantic.update(added.id, {"summary": "Ann's grey cat"})
    deleted = semantic.delete(added.id)
    restored = semantic.restore(added.id)
    assert {edited.id, deleted.id, restored.id} == {added.id}
    assert restored.version == 4 and restored.deleted_at is None
    assert semantic.row(added.id, lock=True)["version"] == 4  # its own writing transaction
    history = semantic.history(added.id)
    assert [(h.version, h.change) for h in history] == [
        (1, "update"),
        (2, "delete"),
        (3, "restore"),
    ]
    assert history[0].data["summary"] == "Ann's cat"
    assert history[0].changed_by == "mcp:cursor"
    semantic.delete(added.id)
    with pytest.raises(InvalidInputError, match="deleted; restore it"):
        semantic.update(added.id, {"summary": "x"})


def test_records_read_like_sqlite_ones(engine: PostgresEngine) -> None:
    msg = _message(engine, "Miso's vaccination is on Friday", "m1")
    proc = engine.repos.memories["procedural"].add(
        {"entry_type": "guide", "summary": "Vaccinate Miso", "steps": ["book", "go"]},
        sources=[SourceRef("message", msg)],
    )
    assert proc.fields["steps"] == ["book", "go"]
    assert proc.sources == (SourceRef("message", msg, "m1"),)
    got = engine.repos.messages.get(msg)
    assert got.fields["text"] == "Miso's vaccination is on Friday"
    assert got.sources == (SourceRef("message", msg, "m1"),)
    assert engine.repos.messages.existing_external_ids(["m1", "m2"]) == {"m1"}
    _message(engine, "a question", "chat:1")
    _message(engine, "its answer", "chat:2")
    recent = engine.repos.messages.recent(external_prefix="chat:", limit=5)
    assert [r.fields["text"] for r in recent] == ["a question", "its answer"]


def test_unknown_rows_and_sources_are_clear_errors(engine: PostgresEngine) -> None:
    with pytest.raises(NotFoundError, match="No semantic with id sem_nope"):
        engine.repos.memories["semantic"].get("sem_nope")
    with pytest.raises(NotFoundError, match="No message with id msg_nope to link"):
        engine.repos.memories["semantic"].add(
            {"name": "x", "summary": "y"}, sources=[SourceRef("message", "msg_nope")]
        )
    assert engine.repos.memories["semantic"].list() == []  # nothing half-written
    _message(engine, "one", "dup")
    with pytest.raises(InvalidInputError, match="Cannot store message"):
        _message(engine, "two", "dup")


def test_core_blocks_keep_their_limit_and_cannot_be_added(engine: PostgresEngine) -> None:
    core = engine.repos.memories["core"]
    with pytest.raises(InvalidInputError, match="fixed"):
        core.add({"label": "persona", "text": "x", "char_limit": 10})
    with pytest.raises(InvalidInputError, match="limit is 5,000"):
        core.update("core_human", {"text": "x" * 5001})
    assert core.update("core_human", {"text": "Ann, vet nurse"}).version == 2


def test_a_unit_of_work_stores_everything_or_nothing(engine: PostgresEngine) -> None:
    def message_with_memory(repos: Repositories, fail: bool) -> str:
        msg = repos.messages.add(
            {"role": "user", "speaker": "Ann", "text": "hello", "at": "2026-05-01T10:00:00Z"}
        )
        episodic = repos.memories["episodic"].add(
            {"occurred_at": "2026-05-01T10:00:00Z", "summary": "Ann said hello"},
            sources=[SourceRef("message", msg.id)],
        )
        if fail:
            raise RuntimeError("crash after both rows")
        return episodic.id

    with pytest.raises(RuntimeError):
        engine.transaction(lambda repos: message_with_memory(repos, True))
    assert engine.counts()["message"]["live"] == 0
    assert engine.counts()["episodic"]["live"] == 0
    memory_id = engine.transaction(lambda repos: message_with_memory(repos, False))
    assert engine.repos.memories["episodic"].get(memory_id).sources[0].kind == "message"


def test_a_screenshot_row_names_the_device_that_took_it(pg_url: str) -> None:
    with PostgresEngine.open(pg_url, device="laptop") as laptop:
        shot = laptop.repos.screenshots.add(
            {
                "at": "2026-05-01T10:00:00Z",
                "app": "Firefox",
                "ocr_text": "Invoice 42",
                "image_path": "frames/2026/a.webp",
            }
        )
    with PostgresEngine.open(pg_url, device="desktop") as desktop:
        assert desktop.repos.screenshots.device_of(shot.id) == "laptop"
        assert desktop.repos.screenshots.get(shot.id).fields["ocr_text"] == "Invoice 42"


def test_the_server_holds_vault_secrets_only_as_ciphertext(pg_url: str, tmp_path: Path) -> None:
    cipher = VaultCipher(tmp_path / "data", KeyFileSource())
    with PostgresEngine.open(pg_url, device="a", cipher=cipher) as engine:
        vault = engine.repos.memories["knowledge_vault"]
        item = vault.add(
            {
                "entry_type": "password",
                "sensitivity": "high",
                "caption": "Bank",
                "secret_value": "hunter2",
            }
        )
        vault.update(item.id, {"secret_value": "correct horse"})
        assert vault.get(item.id).fields["secret_value"] == "correct horse"
        assert vault.history(item.id)[0].data["secret_value"] == "hunter2"
    with psycopg.connect(pg_url) as conn:
        dump = str(conn.execute("SELECT * FROM knowledge_vault").fetchall())
        dump += str(conn.execute("SELECT * FROM memory_history").fetchall())
    assert "hunter2" not in dump and "correct horse" not in dump
    assert "enc:v1:" in dump


def test_vectors_of_two_widths_live_side_by_side(engine: PostgresEngine) -> None:
    small, large = FakeEmbedder(dim=384), FakeEmbedder(dim=512)
    semantic = engine.repos.memories["semantic"]
    a = semantic.add({"name": "a", "summary": "cats"}, embedding=small.vector("cats"))
    b = semantic.add({"name": "b", "summary": "dogs"}, embedding=large.vector("dogs"))
    with psycopg.connect(engine.db.url.url) as conn:
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
        dims = dict(conn.execute("SELECT id, vector_dims(embedding) FROM semantic").fetchall())
    assert {"semantic_vec_384", "semantic_vec_512"} <= indexes
    assert dims == {a.id: 384, b.id: 512}
    with pytest.raises(InvalidInputError, match="non-zero"):
        semantic.add({"name": "c", "summary": "x"}, embedding=np.zeros(384, np.float32))
