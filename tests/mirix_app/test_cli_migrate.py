"""mirix-app migrate --to: a data folder with every type, history, vault items,
screenshots and waiting batches copied into a real PostgreSQL, verified, resumed
after a stop, refused where the database holds something else."""

from __future__ import annotations

import io
import json
import shutil
import socket
from pathlib import Path

import psycopg
import pytest

from agents import open_assistant
from agents.migrate import migrate_to_postgres
from agents.vault_key import VaultCipher
from storage.kinds import ALL_KINDS
from storage.postgres.engine import PostgresEngine
from tests.fakes import FakeEmbedder, message, write_jsonl
from tests.memory_data import fill
from tests.mirix_app.clirun import fails, ok, ok_json, run
from tests.screens_data import keep_text_frame


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A data folder holding every kind of row, two screenshots with their image
    files, and batches waiting for the memory agents."""
    data = tmp_path / "data"
    app = open_assistant(data, embedder=FakeEmbedder())
    try:
        app.set_config("llm_model", "openai/gpt-4o-mini")  # so batches are queued
        lines = [message(external_id=f"x{n}", text=f"Imported line {n}") for n in range(3)]
        app.import_messages(write_jsonl(tmp_path / "m.jsonl", lines))
        ids = fill(app.storage)
        app.edit(ids["knowledge_vault"], {"secret_value": "rotated-hunter2"})  # history
        keep_text_frame(app, "s1", "telescopeamber plans", app="Notes")
        keep_text_frame(app, "s2", "marmosetcobalt page", app="Firefox", at="2024-06-02T10:00:00Z")
        app.screens.pipeline().flush_batches()
    finally:
        app.close()
    return data


def folder_export(data: Path) -> list[str]:
    path = data.parent / "folder.jsonl"
    ok(data, "export", str(path))
    return path.read_text(encoding="utf-8").splitlines()


def database_export(data: Path, url: str) -> list[str]:
    out = io.StringIO()
    with PostgresEngine.open(url, cipher=VaultCipher(data)) as engine:
        engine.export_to(out)
    return out.getvalue().splitlines()


def test_migrate_copies_everything_and_both_exports_are_the_same(folder: Path, pg_url: str) -> None:
    result = ok(folder, "migrate", "--to", pg_url)
    assert "Verified: the same memory" in result.stdout
    assert "mirix-app config set database_url" in result.stdout
    assert "Copied " in result.stderr  # progress
    mine, theirs = folder_export(folder), database_export(folder, pg_url)
    assert theirs[1:] == mine[1:]  # same ids, versions, history, secrets (revealed), vectors
    rows = [json.loads(line) for line in mine[1:]]
    kinds = {r["type"] for r in rows if r["record"] == "row"}
    assert kinds == {k.name for k in ALL_KINDS}
    assert any(r["record"] == "history" and r["type"] == "knowledge_vault" for r in rows)
    with psycopg.connect(pg_url) as conn:
        devices = conn.execute("SELECT DISTINCT device FROM screenshots").fetchall()
        waiting = conn.execute("SELECT count(*) FROM batches WHERE status = 'pending'").fetchone()
        sealed = conn.execute("SELECT secret_value FROM knowledge_vault").fetchone()
    assert devices == [(socket.gethostname(),)]
    assert waiting is not None and waiting[0] >= 1
    assert sealed is not None and sealed[0].startswith("enc:")
    frames = [r for r in rows if r.get("type") == "screenshot"]
    assert all((folder / r["image_path"]).is_file() for r in frames)  # the files stay here

    again = ok_json(folder, "migrate", "--to", pg_url)  # already done: verified again only
    assert (again["state"], again["written"], again["matches"]) == ("done", 0, True)
    assert again["source"] == again["target"]


def vector_indexes(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        names = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ("%_vec_%",)
        )
        return {r[0] for r in names}


def test_an_interrupted_migration_resumes_where_it_stopped(folder: Path, pg_url: str) -> None:
    first = migrate_to_postgres(folder, pg_url, batch_rows=4, stop_after=10)
    assert (first.complete, first.written, first.source) == (False, 10, None)
    assert vector_indexes(pg_url) == set()  # built once the copy has ended
    report = ok_json(folder, "migrate", "--to", pg_url)
    assert (report["state"], report["skipped"], report["matches"]) == ("resumed", 10, True)
    assert database_export(folder, pg_url)[1:] == folder_export(folder)[1:]
    dim = FakeEmbedder().dim
    assert {f"{t}_vec_{dim}" for t in ("messages", "screenshots", "episodic")} <= vector_indexes(
        pg_url
    )


def test_a_database_that_changed_under_the_migration_is_a_mismatch(
    folder: Path, pg_url: str
) -> None:
    migrate_to_postgres(folder, pg_url, stop_after=3)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # core blocks come first
        conn.execute("UPDATE core SET text = 'changed meanwhile' WHERE id = 'core_persona'")
    result = run(folder, "migrate", "--to", pg_url)
    assert result.exit_code == 1
    assert "does not hold the same memory" in result.stderr
    assert "SHA-256 this folder" in result.stdout and "SHA-256 PostgreSQL" in result.stdout
    result = run(folder, "migrate", "--to", pg_url, "--json")  # the JSON says the same
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["matches"] is False and payload["state"] == "resumed"
    assert payload["source"]["sha256"] != payload["target"]["sha256"]
    assert payload["source"]["counts"] == payload["target"]["counts"]


def test_a_database_holding_something_else_is_refused(
    folder: Path, pg_url: str, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(folder / "vault.key", other / "vault.key")  # the user's key, another memory
    ok(other, "add", "semantic", "--json-body", '{"name": "n", "summary": "s"}')
    assert migrate_to_postgres(other, pg_url).matches
    fails(run(folder, "migrate", "--to", pg_url), "another memory")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DELETE FROM settings WHERE name = 'migrated_from'")
    fails(run(folder, "migrate", "--to", pg_url), "already holds a memory")
    fails(run(folder, "migrate", "--to", "sqlite:///x.db"), "--to must be a postgresql://")
