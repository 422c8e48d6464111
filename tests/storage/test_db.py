"""storage/db.py: WAL, migrations on open, one writer, environment errors."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from storage import CorruptDatabaseError, DatabaseLockedError, StorageError
from storage.sqlite.db import Database
from storage.sqlite.migrations import MIGRATIONS


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "test.db")
    yield database
    database.close()


def test_open_uses_wal_and_applies_migrations(db: Database) -> None:
    conn = sqlite3.connect(db.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    assert {"episodic", "messages", "memory_history", "provenance", "vec_log"} <= tables


def test_write_commits_on_return(db: Database) -> None:
    db.write(lambda c: c.execute("INSERT INTO vec_log(kind, row) VALUES ('x', 1)"))
    assert db.query("SELECT kind, row FROM vec_log")[0][:] == ("x", 1)


def test_write_rolls_back_when_the_function_raises(db: Database) -> None:
    def failing(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO vec_log(kind, row) VALUES ('x', 1)")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        db.write(failing)
    assert db.query("SELECT count(*) FROM vec_log")[0][0] == 0
    # the writer survives a failed job
    db.write(lambda c: c.execute("INSERT INTO vec_log(kind, row) VALUES ('y', 2)"))
    assert db.query("SELECT count(*) FROM vec_log")[0][0] == 1


def test_all_writes_run_on_one_writer_thread(db: Database) -> None:
    names: list[str] = []

    def record(conn: sqlite3.Connection) -> None:
        names.append(threading.current_thread().name)

    workers = [threading.Thread(target=db.write, args=(record,)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    db.write(record)
    assert set(names) == {"sqlite-writer"}
    assert len(names) == 5


def test_nested_write_joins_the_outer_transaction(db: Database) -> None:
    def outer(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO vec_log(kind, row) VALUES ('outer', 1)")
        db.write(lambda c: c.execute("INSERT INTO vec_log(kind, row) VALUES ('inner', 2)"))
        raise RuntimeError("undo both")

    with pytest.raises(RuntimeError):
        db.write(outer)
    assert db.query("SELECT count(*) FROM vec_log")[0][0] == 0


def test_write_after_close_is_a_storage_error(tmp_path: Path) -> None:
    database = Database(tmp_path / "closed.db")
    database.close()
    with pytest.raises(StorageError, match="closed"):
        database.write(lambda c: None)


def test_a_held_write_lock_becomes_database_locked_error(tmp_path: Path) -> None:
    database = Database(tmp_path / "locked.db", busy_timeout_ms=50)
    other = sqlite3.connect(database.path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseLockedError, match="locked"):
            database.write(lambda c: c.execute("INSERT INTO vec_log(kind, row) VALUES ('x', 1)"))
        # WAL: readers are not blocked by the writer
        assert database.query("SELECT count(*) FROM vec_log")[0][0] == 0
        other.execute("ROLLBACK")
        database.write(lambda c: c.execute("INSERT INTO vec_log(kind, row) VALUES ('x', 1)"))
    finally:
        other.close()
        database.close()


def test_garbage_file_is_a_corrupt_database_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not sqlite at all " * 400)
    with pytest.raises(CorruptDatabaseError, match="damaged"):
        Database(path)
    assert path.read_bytes() == b"this is not sqlite at all " * 400


def test_damaged_pages_are_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    database = Database(path)
    database.write(
        lambda c: c.executemany(
            "INSERT INTO vec_log(kind, row) VALUES (?, ?)", [("k" * 200, i) for i in range(2000)]
        )
    )
    database.close()
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[2 * page : len(raw)] = b"\xa5" * (len(raw) - 2 * page)
    path.write_bytes(bytes(raw))
    with pytest.raises(CorruptDatabaseError, match="damaged"):
        reopened = Database(path)
        try:
            reopened.query("SELECT sum(row) FROM vec_log")
        finally:
            reopened.close()


def test_close_waits_for_a_read_on_another_thread_then_refuses_reads(tmp_path: Path) -> None:
    database = Database(tmp_path / "test.db")
    inside, release, finished = threading.Event(), threading.Event(), threading.Event()
    rows: list[int] = []

    def reader() -> None:
        with database.reading() as conn:
            inside.set()
            release.wait(10)
            rows.append(conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0])
        finished.set()

    thread = threading.Thread(target=reader)
    thread.start()
    assert inside.wait(10)
    closer = threading.Thread(target=database.close)
    closer.start()
    closer.join(0.3)
    assert closer.is_alive()  # the read in flight holds the close back
    release.set()
    closer.join(10)
    thread.join(10)
    assert finished.is_set() and rows and rows[0] > 0
    with pytest.raises(StorageError, match="closed"):
        database.query("SELECT 1")
