"""Knowledge vault secrets at rest: ciphertext in the database file, its WAL and
history; plaintext to callers; export and import; a wrong or missing key."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents import Assistant, open_assistant
from agents.vault_key import KeyFileSource, VaultCipher
from storage import Storage
from storage.secrets import ENCRYPTED_PREFIX, VaultKeyError
from tests.fakes import BODIES, FakeEmbedder
from tests.mirix_app.clirun import fails, ok_json, run
from tests.storage.conftest import Reopen

SECRET = BODIES["knowledge_vault"]["secret_value"]
ROTATED = "rotated-ß-hunter2"


def raw(db_path: Path) -> bytes:
    """The database file and its WAL, as bytes on disk."""
    files = [db_path, Path(f"{db_path}-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def column(db_path: Path, sql: str) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [r[0] for r in conn.execute(sql)]
    finally:
        conn.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Assistant]:
    opened = open_assistant(tmp_path / "data", embedder=FakeEmbedder())
    yield opened
    opened.close()


def test_the_secret_is_not_in_the_database_file_or_its_wal(app: Assistant) -> None:
    added = app.add("knowledge_vault", BODIES["knowledge_vault"])
    app.edit(added.id, {"secret_value": ROTATED})  # the old one goes to history
    db_path = app.storage._db.path
    assert Path(f"{db_path}-wal").exists()
    for secret in (SECRET, ROTATED):
        assert secret.encode() not in raw(db_path)
        assert secret.encode("utf-16-le") not in raw(db_path)
    assert b"GitHub token for CI" in raw(db_path)  # the caption is searchable text
    app.close()
    for secret in (SECRET, ROTATED):
        assert secret.encode() not in raw(db_path)


def test_callers_read_plaintext_and_the_row_and_history_hold_ciphertext(app: Assistant) -> None:
    added = app.add("knowledge_vault", BODIES["knowledge_vault"])
    assert added.fields["secret_value"] == SECRET
    app.edit(added.id, {"secret_value": ROTATED})
    store = app.storage.memories["knowledge_vault"]
    assert store.get(added.id).fields["secret_value"] == ROTATED
    assert [r.fields["secret_value"] for r in store.list()] == [ROTATED]
    assert app.show(added.id).fields["secret_value"] == ROTATED
    assert [h.data["secret_value"] for h in app.history(added.id)] == [SECRET]

    db_path = app.storage._db.path
    stored = column(db_path, "SELECT secret_value FROM knowledge_vault")
    assert len(stored) == 1 and stored[0].startswith(ENCRYPTED_PREFIX)
    data = column(db_path, "SELECT data FROM memory_history")
    assert json.loads(data[0])["secret_value"].startswith(ENCRYPTED_PREFIX)


def test_a_vault_item_without_a_secret_stores_null(app: Assistant) -> None:
    body = {k: v for k, v in BODIES["knowledge_vault"].items() if k != "secret_value"}
    added = app.add("knowledge_vault", body)
    assert added.fields["secret_value"] is None
    assert column(app.storage._db.path, "SELECT secret_value FROM knowledge_vault") == [None]


def _sealed_item(reopen: Reopen, data_dir: Path) -> str:
    """A vault item stored with the data folder's own key (made on first use)."""
    with reopen(cipher=VaultCipher(data_dir, KeyFileSource())) as storage:
        return storage.memories["knowledge_vault"].add(BODIES["knowledge_vault"]).id


def test_a_wrong_key_is_a_clear_storage_error(
    reopen: Reopen, data_dir: Path, tmp_path: Path
) -> None:
    item = _sealed_item(reopen, data_dir)
    key_file = data_dir / "vault.key"
    key_file.unlink()
    other = VaultCipher(tmp_path / "other", KeyFileSource())
    other.encrypt("x")  # a key of its own
    (tmp_path / "other" / "vault.key").rename(key_file)
    with (
        reopen(cipher=VaultCipher(data_dir, KeyFileSource())) as reopened,
        pytest.raises(VaultKeyError, match=r"another vault key.*vault\.key"),
    ):
        reopened.memories["knowledge_vault"].get(item)


def test_no_key_at_all_is_a_clear_storage_error(reopen: Reopen, data_dir: Path) -> None:
    item = _sealed_item(reopen, data_dir)
    with reopen() as keyless, pytest.raises(VaultKeyError, match="no vault key"):
        keyless.memories["knowledge_vault"].get(item)


def test_the_cli_reports_a_wrong_key_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = ok_json(
        data, "add", "knowledge_vault", "--json-body", json.dumps(BODIES["knowledge_vault"])
    )
    (data / "vault.key").unlink()  # the next command makes a new, different key
    fails(run(data, "show", added["id"]), "cannot decrypt", added["id"], "another vault key")


def test_plaintext_secrets_from_before_are_encrypted_on_open(tmp_path: Path) -> None:
    with Storage.open(tmp_path / "d") as plain:  # no cipher: stored as given
        store = plain.memories["knowledge_vault"]
        added = store.add(BODIES["knowledge_vault"])
        store.update(added.id, {"secret_value": ROTATED})
    db_path = tmp_path / "d" / "mirix.db"
    assert column(db_path, "SELECT secret_value FROM knowledge_vault") == [ROTATED]

    cipher = VaultCipher(tmp_path / "d", KeyFileSource())
    with Storage.open(tmp_path / "d", cipher=cipher) as sealed:
        store = sealed.memories["knowledge_vault"]
        assert store.get(added.id).fields["secret_value"] == ROTATED
        assert store.history(added.id)[0].data["secret_value"] == SECRET
    assert column(db_path, "SELECT secret_value FROM knowledge_vault")[0].startswith(
        ENCRYPTED_PREFIX
    )
    history = column(db_path, "SELECT data FROM memory_history")
    assert json.loads(history[0])["secret_value"].startswith(ENCRYPTED_PREFIX)


def test_opening_without_plaintext_secrets_does_not_write(app: Assistant, tmp_path: Path) -> None:
    app.add("knowledge_vault", BODIES["knowledge_vault"])
    app.close()
    again = open_assistant(tmp_path / "data", embedder=FakeEmbedder())
    assert again.storage.memories["knowledge_vault"].seal_plaintext_secrets() == 0
    again.close()


# -- export and import --------------------------------------------------------------


def export_text(storage: Storage, *, reveal: bool) -> str:
    out = io.StringIO()
    storage.export_to(out, reveal_secrets=reveal)
    return out.getvalue()


def body_lines(text: str) -> list[str]:
    return text.splitlines()[1:]  # without the header (its export time differs)


def filled(app: Assistant) -> str:
    added = app.add("knowledge_vault", BODIES["knowledge_vault"])
    app.edit(added.id, {"secret_value": ROTATED})
    return added.id


def test_default_export_reveals_secrets_and_imports_anywhere(
    app: Assistant, tmp_path: Path
) -> None:
    item_id = filled(app)
    path = tmp_path / "export.jsonl"
    app.export(path)
    assert path.stat().st_mode & 0o077 == 0  # the file may hold secrets: user only
    text = path.read_text(encoding="utf-8")
    assert ROTATED in text and SECRET in text and ENCRYPTED_PREFIX not in text

    other = open_assistant(tmp_path / "other", embedder=FakeEmbedder())  # its own key
    try:
        other.import_export(path)
        assert other.show(item_id).fields["secret_value"] == ROTATED
        assert other.history(item_id)[0].data["secret_value"] == SECRET
        assert ROTATED.encode() not in raw(other.storage._db.path)
        assert SECRET.encode() not in raw(other.storage._db.path)
        again = body_lines(export_text(other.storage, reveal=True))
        assert again == body_lines(text)
        other.import_export(path)  # importing twice is a no-op, tokens differ or not
    finally:
        other.close()


def test_an_encrypted_export_keeps_tokens_and_needs_the_same_key(
    app: Assistant, tmp_path: Path
) -> None:
    item_id = filled(app)
    text = export_text(app.storage, reveal=False)
    assert ROTATED not in text and SECRET not in text and ENCRYPTED_PREFIX in text
    path = tmp_path / "sealed.jsonl"
    path.write_text(text, encoding="utf-8")

    same_key = tmp_path / "same"
    same_key.mkdir()
    (same_key / "vault.key").write_bytes((tmp_path / "data" / "vault.key").read_bytes())
    with Storage.open(same_key, cipher=VaultCipher(same_key, KeyFileSource())) as copy:
        copy.import_file(path)
        assert copy.memories["knowledge_vault"].get(item_id).fields["secret_value"] == ROTATED
        assert body_lines(export_text(copy, reveal=False)) == body_lines(text)
        copy.import_file(path)  # twice: a no-op

    other = tmp_path / "other"
    with Storage.open(other, cipher=VaultCipher(other, KeyFileSource())) as stranger:
        with pytest.raises(VaultKeyError, match="another vault key"):
            stranger.import_file(path)
        assert stranger.memories["knowledge_vault"].list() == []  # nothing half-imported
