"""storage/postgres/transfer.py: a memory exported from SQLite, imported into
PostgreSQL and exported again gives the same lines (only the header differs),
secrets, history, screenshots and their vectors included."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from agents.vault_key import KeyFileSource, VaultCipher
from storage import InvalidInputError, Query, Storage
from storage.kinds import ALL_KINDS, BY_NAME
from storage.postgres.engine import PostgresEngine
from storage.search import HybridSearch
from storage.secrets import ENCRYPTED_PREFIX, VaultKeyError
from tests.fakes import BODIES
from tests.memory_data import EMB, add_frame, fill_with_frames

SECRET = BODIES["knowledge_vault"]["secret_value"]


@pytest.fixture
def cipher(tmp_path: Path) -> VaultCipher:
    return VaultCipher(tmp_path / "data", KeyFileSource())


@pytest.fixture
def sqlite(tmp_path: Path, cipher: VaultCipher) -> Iterator[Storage]:
    with Storage.open(tmp_path / "data", cipher=cipher) as opened:
        yield opened


@pytest.fixture
def engine(pg_url: str, cipher: VaultCipher) -> Iterator[PostgresEngine]:
    with PostgresEngine.open(pg_url, device="laptop", cipher=cipher) as opened:
        yield opened


def exported(target: Storage | PostgresEngine, *, reveal: bool = True) -> list[str]:
    out = io.StringIO()
    target.export_to(out, reveal_secrets=reveal)
    return out.getvalue().splitlines()


def saved(tmp_path: Path, lines: list[str], name: str = "export.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sqlite_to_postgresql_and_back_gives_the_same_lines(
    sqlite: Storage, engine: PostgresEngine, tmp_path: Path
) -> None:
    ids = fill_with_frames(sqlite)
    first = exported(sqlite)
    counts = engine.import_file(saved(tmp_path, first))
    assert counts["screenshot"] == 2 and counts["history"] == 7 and counts["core"] == 2
    second = exported(engine)
    assert second[1:] == first[1:]  # every row, vector, secret and version, byte for byte
    sqlite_header, pg_header = json.loads(first[0]), json.loads(second[0])
    assert (sqlite_header["engine"], pg_header["engine"]) == ("sqlite", "postgresql")
    assert pg_header["device"] == "laptop" and "device" not in sqlite_header
    rows = [json.loads(line) for line in second[1:]]
    assert {r["type"] for r in rows if r["record"] == "row"} == {k.name for k in ALL_KINDS}
    screen = next(r for r in rows if r.get("id") == ids["s1"])
    assert screen["chunk_embeddings"] and screen["image_embedding"] and screen["embedding"]
    assert "device" not in screen  # taken on the exporting device
    vault = next(r for r in rows if r.get("type") == "knowledge_vault")
    assert vault["secret_value"] == SECRET

    # What was imported is this engine's own: searchable, secrets sealed, frames here.
    search = HybridSearch(engine.search, None)
    hits = search.run(Query(text="Quarterly", kinds=ALL_KINDS))
    assert ids["resource"] not in {h.id for h in hits}  # still deleted
    assert ids["s1"] in {h.id for h in hits}
    vector_hits = search.run(
        Query(text="", vector=EMB.vector("Quarterly report draft"), kinds=(BY_NAME["screenshot"],))
    )
    assert [h.id for h in vector_hits][:1] == [ids["s1"]]
    assert engine.repos.screenshots.device_of(ids["s1"]) == "laptop"
    with psycopg.connect(engine.db.url.url) as conn:
        [(stored,)] = conn.execute(
            "SELECT secret_value FROM knowledge_vault WHERE id = %s", (ids["knowledge_vault"],)
        ).fetchall()
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
    assert stored.startswith(ENCRYPTED_PREFIX)
    assert {f"{t}_vec_{EMB.dim}" for t in ("episodic", "screenshots", "messages")} <= indexes


def test_sealed_secrets_keep_their_tokens_and_a_second_import_changes_nothing(
    sqlite: Storage, engine: PostgresEngine, tmp_path: Path
) -> None:
    fill_with_frames(sqlite)
    sealed = exported(sqlite, reveal=False)
    assert any(ENCRYPTED_PREFIX in line for line in sealed)
    path = saved(tmp_path, sealed)
    engine.import_file(path)
    assert exported(engine, reveal=False)[1:] == sealed[1:]
    before = exported(engine, reveal=False)
    engine.import_file(path)  # identical rows: skipped
    assert exported(engine, reveal=False)[1:] == before[1:]


def test_a_conflict_is_refused_unless_replace_and_writes_nothing(
    sqlite: Storage, engine: PostgresEngine, tmp_path: Path
) -> None:
    ids = fill_with_frames(sqlite)
    path = saved(tmp_path, exported(sqlite))
    engine.import_file(path)
    engine.repos.memories["semantic"].update(ids["semantic"], {"summary": "changed here"})
    before = exported(engine)
    with pytest.raises(InvalidInputError, match=f"{ids['semantic']} already exists"):
        engine.import_file(path)
    assert exported(engine)[1:] == before[1:]
    engine.import_file(path, replace=True)
    assert engine.repos.memories["semantic"].get(ids["semantic"]).fields["summary"] == "edited 🎉"


def test_another_vault_key_is_refused(sqlite: Storage, pg_url: str, tmp_path: Path) -> None:
    fill_with_frames(sqlite)
    path = saved(tmp_path, exported(sqlite, reveal=False))
    stranger = VaultCipher(tmp_path / "stranger", KeyFileSource())
    with PostgresEngine.open(pg_url, device="laptop", cipher=stranger) as engine:
        with pytest.raises(VaultKeyError, match="another vault key"):
            engine.import_file(path)
        assert engine.repos.memories["knowledge_vault"].list() == []  # nothing half-imported


def test_frames_of_other_devices_keep_their_device_through_a_round_trip(
    pg_url: str, tmp_path: Path
) -> None:
    with PostgresEngine.open(pg_url, device="laptop") as laptop:
        mine = add_frame(laptop, "laptop screen")
    with PostgresEngine.open(pg_url, device="desktop") as desktop:
        theirs = add_frame(desktop, "desktop screen")
        lines = exported(desktop)
    rows = {json.loads(x).get("id"): json.loads(x) for x in lines[1:]}
    assert rows[mine]["device"] == "laptop" and "device" not in rows[theirs]
    path = saved(tmp_path, lines)

    with Storage.open(tmp_path / "desktop-copy") as sqlite:  # one device's copy: no devices
        sqlite.import_file(path)
        again = exported(sqlite)
    assert all('"device"' not in line for line in again[1:])

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("TRUNCATE screenshots")
    with PostgresEngine.open(pg_url, device="tablet") as tablet:
        assert tablet.import_file(path) == {"screenshot": 2, "core": 2}
        assert tablet.repos.screenshots.device_of(mine) == "laptop"
        assert tablet.repos.screenshots.device_of(theirs) == "desktop"  # the header's device


def test_a_bad_file_writes_nothing(engine: PostgresEngine, tmp_path: Path) -> None:
    header = json.dumps({"record": "header", "format": "mirix-app-export", "version": 1})
    good = {
        "record": "row",
        "type": "semantic",
        "id": "sem_1",
        "created_at": "2023-01-01T00:00:00Z",
        "updated_at": "2023-01-01T00:00:00Z",
        "version": 1,
        "name": "n",
        "summary": "s",
        "tree_path": "[]",
    }
    bad_link = {"record": "provenance", "memory_id": "sem_1", "source_kind": "note"}
    bad_link |= {"source_id": "x", "position": 0}
    cases = [
        ([header, json.dumps(good), json.dumps({**good, "id": "sem_2", "colour": 1})], "colour"),
        ([header, json.dumps({**good, "embedding": "YWJj"})], "not a float32 vector"),
        ([header, json.dumps(good), json.dumps(bad_link)], "not a valid mirix-app export"),
    ]
    for lines, message in cases:
        with pytest.raises(InvalidInputError, match=message):
            engine.import_file(saved(tmp_path, lines))
        assert engine.repos.memories["semantic"].list() == []
