"""mirix-app database check, vault export-key and import-key, on a real PostgreSQL."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from storage.postgres.migrations import MIGRATIONS
from tests.llm_server import ScriptedLLMServer
from tests.mirix_app.clirun import fails, ok, ok_json, run, stored
from tests.mirix_app.procs import (
    finish,
    first_two_meet,
    messages_file,
    one_fact,
    start,
    with_provider,
)
from tests.screens_data import save_screen, write_manifest


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
    said = ok(tmp_path, "database", "check").stdout
    assert f"schema version {len(MIGRATIONS)}, reachable" in said


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


def _device(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("MIRIX_APP_DEVICE_NAME", name)


def test_two_devices_share_one_memory_and_absorb_each_batch_once(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, llm_server: ScriptedLLMServer
) -> None:
    """Two data folders (a laptop and a desktop) on one PostgreSQL: what the laptop
    imports, the desktop finds at once, by `search` and `screens search`, and sees
    that the frame's image is on the laptop; both absorb at once, each batch once."""
    monkeypatch.setenv("MIRIX_APP_DATABASE_URL", pg_url)
    laptop, desktop = tmp_path / "laptop", tmp_path / "desktop"
    ok(laptop, "vault", "export-key", str(tmp_path / "key.txt"))
    ok(desktop, "vault", "import-key", str(tmp_path / "key.txt"))
    for folder in (laptop, desktop):
        with_provider(folder, llm_server, 10)

    _device(monkeypatch, "laptop")
    rows = messages_file(tmp_path / "m.jsonl", 60)
    assert ok_json(laptop, "import", "messages", str(rows))["batches"] == 6
    save_screen(tmp_path / "s.png", ["Boarding pass", "Flight LX318 to Zurich gate B12"])
    manifest = write_manifest(tmp_path / "s.jsonl", [{"path": "s.png", "app": "wallet"}])
    assert ok_json(laptop, "screens", "import", str(manifest))["imported"] == 1
    [frame] = ok_json(laptop, "screens", "search", "flight to Zurich")["hits"]
    assert frame["path"] and Path(frame["path"]).is_relative_to(laptop)

    _device(monkeypatch, "desktop")
    started = time.monotonic()
    hits = ok_json(desktop, "search", "climbing gym opens", "--type", "message")["hits"]
    [seen] = ok_json(desktop, "screens", "search", "flight to Zurich")["hits"]
    assert time.monotonic() - started < 10  # two commands that each open the memory
    assert hits and all(h["id"].startswith("msg_") for h in hits)
    assert seen["screenshot_id"] == frame["screenshot_id"]
    assert (seen["path"], seen["elsewhere"]) == (None, "laptop")
    assert "image on the device laptop" in ok(desktop, "screens", "search", "Zurich").stdout

    queued = {b["id"] for b in ok_json(desktop, "batches", "list")}
    assert len(queued) >= 6
    # Both devices absorb at once: the first two requests wait for each other, so
    # both runs are surely claiming batches at the same moment.
    llm_server.responder = first_two_meet(one_fact)
    first = start(laptop, "absorb", env={"MIRIX_APP_DEVICE_NAME": "laptop"})
    second = start(desktop, "absorb", env={"MIRIX_APP_DEVICE_NAME": "desktop"})
    reports = [finish(first), finish(second)]
    absorbed = [b["id"] for r in reports for b in r["batches"]]
    assert all(r["done"] for r in reports)  # both devices took part
    assert len(absorbed) == len(set(absorbed)) == len(queued)
    assert set(absorbed) == queued
    assert len(llm_server.requests) == len(queued)
    assert stored(laptop)["semantic"] == stored(desktop)["semantic"] == len(queued)
    assert ok_json(desktop, "batches", "list") == []
