"""Opening the PostgreSQL engine: URLs, migrations, errors a user can act on."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from storage.errors import EnvironmentStorageError, InvalidInputError
from storage.postgres.engine import PostgresEngine
from storage.postgres.migrations import MIGRATIONS
from storage.postgres.url import parse_database_url, without_password
from tests.postgres import PostgresServer


def test_open_migrates_once_and_makes_the_core_blocks(pg_url: str) -> None:
    with PostgresEngine.open(pg_url, device="laptop") as engine:
        core = engine.repos.memories["core"].list()
        assert sorted(r.id for r in core) == ["core_human", "core_persona"]
    with PostgresEngine.open(pg_url, device="desktop"), psycopg.connect(pg_url) as conn:
        versions = conn.execute("SELECT version FROM schema_migrations").fetchall()
        assert versions == [(v,) for v in range(1, len(MIGRATIONS) + 1)]
        assert conn.execute("SELECT count(*) FROM core").fetchone() == (2,)


def test_opening_a_memory_that_has_its_blocks_does_not_wait_on_an_edit(pg_url: str) -> None:
    PostgresEngine.open(pg_url, device="laptop").close()
    opened: list[str] = []

    def open_desktop() -> None:
        with PostgresEngine.open(pg_url, device="desktop") as desktop:
            opened.append(desktop.core.block("human").fields["text"])

    with psycopg.connect(pg_url) as laptop:  # an edit of a block, not committed yet
        laptop.execute("UPDATE core SET text = 'Ann' WHERE id = 'core_human'")
        thread = threading.Thread(target=open_desktop)
        thread.start()
        thread.join(timeout=30)  # it would wait until the laptop commits
        try:
            assert not thread.is_alive() and opened == [""]
        finally:
            laptop.rollback()
            thread.join()


def test_two_devices_opening_a_new_database_at_once_both_succeed(pg_url: str) -> None:
    errors: list[BaseException] = []

    def open_one(device: str) -> None:
        try:
            PostgresEngine.open(pg_url, device=device).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one, args=(f"d{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone() == (
            len(MIGRATIONS),
        )


def test_the_schema_has_every_table_with_tsvector_and_vector_columns(pg_url: str) -> None:
    PostgresEngine.open(pg_url, device="d").close()
    with psycopg.connect(pg_url) as conn:
        columns = {
            (t, c): kind
            for t, c, kind in conn.execute(
                "SELECT table_name, column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )
        }
    for table in ("core", "episodic", "semantic", "procedural", "resource", "knowledge_vault"):
        assert columns[(table, "search_tsv")] == "tsvector"
        assert columns[(table, "embedding")] == "vector"
        assert (table, "changed_by") in columns
    assert columns[("screenshots", "device")] == "text"
    for table in ("messages", "memory_history", "provenance", "batches", "settings"):
        assert any(t == table for t, _ in columns)


def test_url_password_is_kept_apart_from_the_url() -> None:
    parsed = parse_database_url("postgresql://ann:s%40cret@db.example:6543/mirix?sslmode=require")
    assert parsed.password == "s@cret"
    assert parsed.user == "ann"
    assert parsed.url == "postgresql://ann@db.example:6543/mirix?sslmode=require"
    assert parsed.where == "db.example:6543/mirix"
    assert without_password("postgres://bob:pw@/mirix?host=/run/pg") == (
        "postgresql://bob@/mirix?host=/run/pg"
    )


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://x@h/db", "must start with postgresql://"),
        ("postgresql://ann:pw@host", "must name one database"),
        ("postgresql:///mirix", "must name the server"),
        ("postgresql://ann@host:99999/db", "not a valid URL"),
        ("postgresql://ann@host/db?password=pw", "not as a ?password= parameter"),
    ],
)
def test_a_bad_url_is_one_clear_sentence_without_its_password(url: str, says: str) -> None:
    with pytest.raises(InvalidInputError, match=says.replace("?", r"\?")) as caught:
        PostgresEngine.open(url)
    assert "pw" not in str(caught.value).replace("password", "")


def test_an_unreachable_server_is_an_environment_error(tmp_path: Path) -> None:
    url = f"postgresql://nobody:hunter2@/mirix?host={tmp_path}"
    with pytest.raises(EnvironmentStorageError) as caught:
        PostgresEngine.open(url)
    message = str(caught.value)
    assert message.startswith(f"Cannot reach the PostgreSQL server at {tmp_path}/mirix:")
    assert "hunter2" not in message
    assert "\n" not in message


def test_a_missing_database_is_named(pg_url: str) -> None:
    missing = pg_url.replace("/mirix_test_", "/nothing_here_", 1)
    with pytest.raises(EnvironmentStorageError, match="has no database 'nothing_here_"):
        PostgresEngine.open(missing)


def test_connections_the_server_dropped_are_replaced(
    pg_url: str, postgres_server: PostgresServer
) -> None:
    with PostgresEngine.open(pg_url, device="laptop") as engine:
        assert engine.counts()["message"]["live"] == 0
        with psycopg.connect(postgres_server.admin_url, autocommit=True) as admin:
            dropped = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'mirix-app' AND pid <> pg_backend_pid()"
            ).fetchone()
        assert dropped is not None and dropped[0] >= 1
        assert engine.counts()["message"]["live"] == 0  # a fresh connection answers
