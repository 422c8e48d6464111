"""storage/migrations.py: versions recorded in PRAGMA user_version, each step atomic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import CorruptDatabaseError, Query, Storage
from storage.cjk import index_form
from storage.kinds import BY_NAME
from storage.sqlite.fts import INDEX_FORM_SQL
from storage.sqlite.migrations import MIGRATIONS, apply_migrations, schema_version


def _conn(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_fresh_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    conn = _conn(tmp_path / "a.db")
    assert apply_migrations(conn, MIGRATIONS) == len(MIGRATIONS)
    assert schema_version(conn) == len(MIGRATIONS) >= 1
    conn.close()


def test_reopening_applies_nothing_and_changes_nothing(tmp_path: Path) -> None:
    with Storage.open(tmp_path / "d") as s:
        s.memories["semantic"].add({"name": "n", "summary": "kept across reopen"})
    db = tmp_path / "d" / "mirix.db"
    conn = _conn(db)
    before = list(conn.iterdump())
    assert apply_migrations(conn, MIGRATIONS) == 0
    assert list(conn.iterdump()) == before
    conn.close()
    with Storage.open(tmp_path / "d") as s:
        assert [r.fields["summary"] for r in s.memories["semantic"].list()] == [
            "kept across reopen"
        ]
    conn = _conn(db)
    assert schema_version(conn) == len(MIGRATIONS)
    conn.close()


def test_migrations_run_in_order_and_record_each_version(tmp_path: Path) -> None:
    seen: list[int] = []

    def one(conn: sqlite3.Connection) -> None:
        seen.append(schema_version(conn))
        conn.execute("CREATE TABLE t1 (x)")

    def two(conn: sqlite3.Connection) -> None:
        seen.append(schema_version(conn))
        conn.execute("CREATE TABLE t2 (x)")

    conn = _conn(tmp_path / "m.db")
    assert apply_migrations(conn, [one]) == 1
    assert apply_migrations(conn, [one, two]) == 1
    assert seen == [0, 1]
    assert schema_version(conn) == 2
    conn.close()


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    def good(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE ok (x)")

    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half (x)")
        raise RuntimeError("migration bug")

    conn = _conn(tmp_path / "m.db")
    with pytest.raises(RuntimeError):
        apply_migrations(conn, [good, bad])
    assert schema_version(conn) == 1
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "ok" in names
    assert "half" not in names
    conn.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    conn = _conn(tmp_path / "new.db")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    with pytest.raises(CorruptDatabaseError, match="newer"):
        apply_migrations(conn, MIGRATIONS)
    conn.close()


def test_batches_queued_before_open_batches_existed_stay_pending(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    conn = _conn(data / "mirix.db")
    apply_migrations(conn, MIGRATIONS[:2])  # the schema before open batches
    conn.execute(
        "INSERT INTO batches (id, created_at, updated_at, status, attempts, items) VALUES "
        """('batch_old', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'pending', 0, """
        """'[{"kind": "message", "source_id": "msg_1", "at": "2024-01-01", "text": "hi"}]')"""
    )
    conn.close()
    with Storage.open(data) as storage:
        (batch,) = storage.batches.pending()
        assert batch.id == "batch_old" and batch.sealed_at == "2024-01-01T00:00:00Z"
        assert storage.batches.open_batch() is None


def test_screenshots_kept_before_sensitive_boxes_stay_with_the_boxes_unknown(
    tmp_path: Path,
) -> None:
    data = tmp_path / "d"
    data.mkdir()
    conn = _conn(data / "mirix.db")
    apply_migrations(conn, MIGRATIONS[:3])  # the schema before sensitive boxes
    conn.execute(
        "INSERT INTO screenshots (id, created_at, updated_at, search_text, at, app, "
        "image_path, ocr_text) VALUES ('scr_old', '2024-01-01T00:00:00Z', "
        "'2024-01-01T00:00:00Z', 'editor notes', '2024-01-01T00:00:00Z', 'editor', "
        "'frames/2024-01-01/scr_old.webp', 'notes')"
    )
    conn.close()
    with Storage.open(data) as storage:
        shot = storage.screenshots.get("scr_old")
        assert (shot.fields["app"], shot.fields["ocr_text"]) == ("editor", "notes")
        with storage._db.reading() as reading:
            row = reading.execute("SELECT sensitive_boxes FROM screenshots").fetchone()
            assert row["sensitive_boxes"] is None  # not known: never sent as an image
            assert schema_version(reading) == len(MIGRATIONS)


def test_batches_queued_before_plans_existed_have_none(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    conn = _conn(data / "mirix.db")
    apply_migrations(conn, MIGRATIONS[:4])  # the schema before batch plans
    conn.execute(
        "INSERT INTO batches (id, created_at, updated_at, status, attempts, items, sealed_at) "
        """VALUES ('batch_old', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'pending', 1, """
        """'[{"kind": "message", "source_id": "msg_1", "at": "2024-01-01", "text": "hi"}]', """
        "'2024-01-01T00:00:00Z')"
    )
    conn.close()
    with Storage.open(data) as storage:
        (batch,) = storage.batches.pending()
        assert (batch.id, batch.attempts, batch.plan) == ("batch_old", 1, None)
        storage.batches.save_plan("batch_old", {"semantic": "Update Jordan."})
        assert storage.batches.get("batch_old").plan == {"semantic": "Update Jordan."}


def test_a_batch_failed_before_leases_existed_is_due_and_unclaimed(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    conn = _conn(data / "mirix.db")
    apply_migrations(conn, MIGRATIONS[:7])  # the schema before batch leases
    conn.execute(
        "INSERT INTO batches (id, created_at, updated_at, status, attempts, last_error, items, "
        "sealed_at) VALUES ('batch_old', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', "
        """'pending', 2, 'timeout', '[{"kind": "message", "source_id": "msg_1", "at": """
        """"2024-01-01", "text": "hi"}]', '2024-01-01T00:00:00Z')"""
    )
    conn.close()
    with Storage.open(data) as storage:
        (batch,) = storage.batches.retrying()
        assert (batch.retry_at, batch.lease_owner, batch.held()) == (batch.updated_at, None, False)
        claimed = storage.batches.claim_next("worker", lease_s=60, due_only=True)
        assert claimed is not None and claimed.id == "batch_old"


def test_times_stored_with_a_short_year_get_four_digits(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    conn = _conn(data / "mirix.db")
    apply_migrations(conn, MIGRATIONS[:8])  # before four-digit years
    for n, (short, at) in enumerate(
        [("1", "1-01-01"), ("99", "99-12-31"), ("999", "999-05-01"), ("2024", "2024-02-03")]
    ):
        conn.execute(
            "INSERT INTO messages (id, created_at, updated_at, role, text, at) VALUES "
            f"('msg_{short}', '2024-01-01T00:00:00.000000Z', '2024-01-01T00:00:00.000000Z', "
            f"'user', 'hi {n}', '{at}T10:00:00.000000Z')"
        )
    conn.close()
    with Storage.open(data) as storage:
        times = [r.fields["at"] for r in storage.messages.list(limit=10)]
    assert times == [
        "2024-02-03T10:00:00.000000Z",
        "0999-05-01T10:00:00.000000Z",
        "0099-12-31T10:00:00.000000Z",
        "0001-01-01T10:00:00.000000Z",
    ]


def test_cjk_rows_stored_before_the_cjk_index_are_found_by_a_word_inside(
    tmp_path: Path,
) -> None:
    data = tmp_path / "d"
    data.mkdir()
    conn = _conn(data / "mirix.db")
    apply_migrations(conn, MIGRATIONS[:7])  # the schema before CJK bigrams
    for i, text in enumerate(
        (
            "周末去动物救助站领养了一只橘猫",
            "Adopted a cat at the shelter",
            "新宿の本屋で小説を買った",
        )
    ):
        conn.execute(
            "INSERT INTO messages (id, created_at, updated_at, search_text, context, role, "
            "text, at) VALUES (?, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', ?, ?, "
            "'user', ?, '2024-01-01T00:00:00Z')",
            (f"msg_old{i}", text, "前后的对话" if i == 0 else "", text),
        )
    conn.execute(
        "INSERT INTO semantic (id, created_at, updated_at, search_text, name, summary) "
        "VALUES ('sem_old', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', "
        "'年糕 我的猫叫年糕', '年糕', '我的猫叫年糕')"
    )
    # Before: the whole unspaced sentence is one token, so no word inside matches.
    assert not conn.execute(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"救助\"'"
    ).fetchall()
    conn.close()
    with Storage.open(data) as storage:
        messages = (BY_NAME["message"],)
        for word, expected in (
            ("救助站", "msg_old0"),
            ("本屋", "msg_old2"),
            ("shelter", "msg_old1"),
        ):
            hits = storage.search.run(Query(text=word, kinds=messages))
            assert [h.id for h in hits] == [expected]
        assert [h.id for h in storage.search.run(Query(text="前后", kinds=messages))] == [
            "msg_old0"
        ]
        (hit,) = storage.search.run(Query(text="猫叫什么", kinds=(BY_NAME["semantic"],)))
        assert hit.id == "sem_old"
        # and the old rows leave the index cleanly when they change
        storage.messages.db.write(lambda c: c.execute("DELETE FROM messages WHERE id = 'msg_old0'"))
        assert storage.search.run(Query(text="救助站", kinds=messages)) == []


def test_cjk_rows_indexed_as_bigrams_alone_are_found_by_a_single_character(
    tmp_path: Path,
) -> None:
    data = tmp_path / "d"
    data.mkdir()
    conn = _conn(data / "mirix.db")
    apply_migrations(conn, MIGRATIONS[:11])  # CJK bigrams, no single characters
    # the index form as mirix-app at v11 registered it with every connection
    conn.create_function(
        INDEX_FORM_SQL, 1, lambda v: index_form(v, unigrams=False) if isinstance(v, str) else v
    )
    for i, text in enumerate(("提车了！一辆白色的电动车", "I bought a white car", "猫")):
        conn.execute(
            "INSERT INTO messages (id, created_at, updated_at, search_text, context, role, "
            "text, at) VALUES (?, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', ?, '', "
            "'user', ?, '2024-01-01T00:00:00Z')",
            (f"msg_old{i}", text, text),
        )
    # Before: 车 is inside the bigrams 电动 动车 提车 车了, never a token of its own.
    assert not conn.execute(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"车\"'"
    ).fetchall()
    conn.close()
    with Storage.open(data) as storage:
        messages = (BY_NAME["message"],)
        assert [h.id for h in storage.search.run(Query(text="我买的什么车？", kinds=messages))] == [
            "msg_old0"
        ]
        assert [h.id for h in storage.search.run(Query(text="电动车", kinds=messages))] == [
            "msg_old0"
        ]
        assert [h.id for h in storage.search.run(Query(text="car", kinds=messages))] == ["msg_old1"]
        assert [h.id for h in storage.search.run(Query(text="猫", kinds=messages))] == ["msg_old2"]
        # the re-indexed row leaves the index cleanly (with the tokens it holds now)
        storage.messages.db.write(lambda c: c.execute("DELETE FROM messages WHERE id = 'msg_old0'"))
        assert storage.search.run(Query(text="车", kinds=messages)) == []
        assert storage.search.run(Query(text="电动", kinds=messages)) == []
        with storage._db.reading() as read:
            for token in ("车", "电动", "提车"):
                assert not read.execute(
                    "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", (f'"{token}"',)
                ).fetchall()
