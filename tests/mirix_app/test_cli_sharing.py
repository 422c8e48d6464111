"""mirix-app database check, vault export-key and import-key, on a real PostgreSQL."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from storage.postgres.migrations import MIGRATIONS
from tests.mirix_app.clirun import fails, ok, ok_json, run


def test_database_check_needs_a_database_url(tmp_path: Path) -> None:
    fails(run(tmp_path, "database", "check"), "database_url is not set")


def test_database_check_migrates_and_counts(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRIX_APP_DATABASE_URL", pg_url)
    info = ok_json(tmp_path, "database", "check")
    assert info["schema_version"] == len(MIGRATIONS)
    assert info["counts"]["core"] == {"live": 2, "deleted": 0}
    assert info["database"] == pg_url.replace("postgres:@", "postgres@")
    assert (
        f"schema version {len(MIGRATIONS)}, reachable" in ok(tmp_path, "database", "check").stdout
    )


def test_an_unreachable_server_is_one_error_line(tmp_path: Path) -> None:
    ok(tmp_path, "config", "set", "database_url", f"postgresql://ann:pw@/mirix?host={tmp_path}")
    assert "pw" not in (tmp_path / "settings.json").read_text().replace("postgresql", "")
    fails(run(tmp_path, "database", "check"), "Cannot reach the PostgreSQL server")


def test_a_second_device_needs_the_first_ones_vault_key(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRIX_APP_DATABASE_URL", pg_url)
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    ok(laptop, "database", "check")
    fails(run(desktop, "database", "check"), "vault import-key")
    key_file = tmp_path / "key.txt"
    exported = ok_json(laptop, "vault", "export-key", str(key_file))
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    fails(run(laptop, "vault", "export-key", str(key_file)), "exists")
    imported = ok_json(desktop, "vault", "import-key", str(key_file))
    assert imported["check"] == exported["check"]
    ok(desktop, "database", "check")
    assert "already uses" in ok(desktop, "vault", "import-key", str(key_file)).stdout


def test_import_key_refuses_to_orphan_this_folders_secrets(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    body = '{"entry_type": "pin", "sensitivity": "low", "caption": "Bike", "secret_value": "42"}'
    ok(here, "add", "knowledge_vault", "--json-body", body)
    ok(there, "vault", "export-key", str(tmp_path / "k"))
    fails(run(here, "vault", "import-key", str(tmp_path / "k")), "1 vault item(s)")
    (tmp_path / "bad").write_text("not a key\n")
    fails(run(there, "vault", "import-key", str(tmp_path / "bad")), "damaged")
