"""What the PostgreSQL engine's repositories hold on the server: the device of a
screenshot, vault secrets only sealed, vectors of two widths each with its index.
What they do (memories, history, provenance, sources, the unit of work) is the
parametrized suite in tests/storage, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest

from agents.vault_key import KeyFileSource, VaultCipher
from storage.errors import InvalidInputError
from storage.postgres.engine import PostgresEngine
from tests.fakes import FakeEmbedder


@pytest.fixture
def engine(pg_url: str) -> Iterator[PostgresEngine]:
    with PostgresEngine.open(pg_url, device="laptop") as opened:
        yield opened


def test_a_row_read_for_update_outside_a_unit_of_work_has_a_writing_transaction(
    engine: PostgresEngine,
) -> None:
    semantic = engine.repos.memories["semantic"]
    added = semantic.add({"name": "Miso", "summary": "Ann's cat"})
    semantic.update(added.id, {"summary": "Ann's grey cat"})
    assert semantic.row(added.id, lock=True)["version"] == 2  # a read-only one refuses


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
