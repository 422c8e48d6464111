"""storage/__init__.py: the Storage object, its public surface and stats."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import storage as storage_pkg
from storage import InvalidInputError, SourceRef, Storage
from storage.interface import UnitOfWork
from storage.kinds import EPISODIC, validate_fields
from storage.postgres.url import without_password
from tests.fakes import BODIES, db_dump


def test_public_surface_is_pinned() -> None:
    assert sorted(storage_pkg.__all__) == sorted(
        [
            "MEMORY_TYPE_NAMES",
            "CorruptDatabaseError",
            "DatabaseLockedError",
            "DiskFullError",
            "EnvironmentStorageError",
            "ForgetPlan",
            "ForgetReport",
            "ForgetScope",
            "HistoryEntry",
            "Hit",
            "InvalidInputError",
            "Kind",
            "NotFoundError",
            "Query",
            "Record",
            "ScreenSearchParams",
            "SearchParams",
            "SourceRef",
            "Storage",
            "StorageError",
            "kind_named",
            "kind_of_id",
            "resolve_data_dir",
        ]
    )
    for name in storage_pkg.__all__:
        assert hasattr(storage_pkg, name), name


def test_environment_errors_share_a_base() -> None:
    for name in ("DatabaseLockedError", "DiskFullError", "CorruptDatabaseError"):
        error = getattr(storage_pkg, name)
        assert issubclass(error, storage_pkg.EnvironmentStorageError)
        assert issubclass(error, storage_pkg.StorageError)


def test_stats_count_live_deleted_history_and_links(
    storage: Storage, request: pytest.FixtureRequest
) -> None:
    msg = storage.messages.add({"role": "user", "text": "hello", "at": "2023-01-01"})
    ids = {name: storage.memories[name].add(body).id for name, body in BODIES.items()}
    storage.memories["semantic"].add(BODIES["semantic"], sources=[SourceRef("message", msg.id)])
    storage.memories["episodic"].delete(ids["episodic"])
    storage.memories["resource"].update(ids["resource"], {"title": "t2"})
    info = storage.stats()
    assert info["counts"] == {
        "core": {"live": 2, "deleted": 0},
        "episodic": {"live": 0, "deleted": 1},
        "semantic": {"live": 2, "deleted": 0},
        "procedural": {"live": 1, "deleted": 0},
        "resource": {"live": 1, "deleted": 0},
        "knowledge_vault": {"live": 1, "deleted": 0},
        "message": {"live": 1, "deleted": 0},
        "screenshot": {"live": 0, "deleted": 0},
    }
    assert info["history_entries"] == 2
    assert info["provenance_links"] == 1
    assert info["database_bytes"] > 0
    assert info["engine"] == storage.engine
    if storage.engine == "sqlite":
        assert Path(info["database"]) == storage.data_dir / "mirix.db"
    else:  # the server's URL, never its password
        assert info["database"] == without_password(request.getfixturevalue("pg_url"))


def test_ids_route_to_their_store(storage: Storage) -> None:
    msg = storage.messages.add({"role": "user", "text": "hello", "at": "2023-01-01"})
    sem = storage.memories["semantic"].add(BODIES["semantic"])
    assert storage.store_for_id(sem.id).get(sem.id) == sem
    assert storage.store_for_id(msg.id).get(msg.id).fields["text"] == "hello"
    assert storage.store_for_id("core_human") is storage.core
    with pytest.raises(InvalidInputError, match="raw message, not a memory"):
        storage.memory_store_for_id(msg.id)
    with pytest.raises(InvalidInputError, match="not a mirix-app id"):
        storage.store_for_id("nonsense")


@pytest.mark.sqlite_only  # PostgreSQL: tests/storage/postgres/test_engine.py
def test_opening_an_existing_dir_for_reading_needs_no_write_lock(storage: Storage) -> None:
    """Read-only commands must work while another process writes (WAL)."""
    storage.memories["semantic"].add(BODIES["semantic"])
    before = db_dump(storage._db.path)
    other = sqlite3.connect(storage._db.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with Storage.open(storage.data_dir) as reader:
            assert reader.stats()["counts"]["semantic"]["live"] == 1
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert db_dump(storage._db.path) == before


def _imported(storage: Storage, texts: list[str], *, fail: bool = False) -> list[str]:
    """Messages, an episodic memory each and their provenance, in one unit of work."""
    items = [
        storage.messages.prepare(
            {"external_id": f"m{i}", "role": "user", "text": t, "at": "2024-05-01T10:00:00Z"}
        )
        for i, t in enumerate(texts)
    ]

    def work(unit: UnitOfWork) -> list[str]:
        ids = unit.messages.insert_many(items)
        for message_id, text in zip(ids, texts, strict=True):
            values = validate_fields(
                EPISODIC, {"occurred_at": "2024-05-01T10:00:00Z", "summary": text}
            )
            memory_id = unit.memories["episodic"].insert(values, embedding=None)
            unit.provenance.link(memory_id, [SourceRef("message", message_id)])
        if fail:
            raise RuntimeError("the process died here")
        return ids

    return storage.transaction(work)


def test_a_unit_of_work_stores_everything_or_nothing(storage: Storage) -> None:
    texts = [f"ferry timetable {n}" for n in range(250)]  # more than one bulk INSERT
    with pytest.raises(RuntimeError):
        _imported(storage, texts, fail=True)
    nothing = storage.stats()
    assert nothing["counts"]["message"]["live"] == nothing["counts"]["episodic"]["live"] == 0
    assert nothing["provenance_links"] == 0
    ids = _imported(storage, texts)
    stats = storage.stats()
    assert stats["counts"]["message"]["live"] == 250
    assert stats["counts"]["episodic"]["live"] == 250
    assert stats["provenance_links"] == 250
    assert storage.messages.get(ids[7]).fields["text"] == "ferry timetable 7"
    with pytest.raises(InvalidInputError):  # the same external ids again: none stored
        _imported(storage, ["another"])
    assert storage.stats()["counts"]["message"]["live"] == 250
