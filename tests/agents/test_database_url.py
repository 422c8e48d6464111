"""database_url: the password kept apart (keyring, or a 0600 pgpass file), never
in settings.json; the shared database reached with it; the vault key agreed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from agents.database_url import (
    PGPASS_FILENAME,
    database_password,
    keep_password,
    open_storage,
)
from agents.settings import SettingsError, load_settings, save_setting
from agents.vault_key import KeyFileSource, VaultCipher
from storage.errors import EnvironmentStorageError
from storage.secrets import VaultKeyError
from tests.fakes import MemoryKeyring
from tests.postgres import PostgresServer

URL = "postgresql://ann:{}@db.example:6543/mirix"


def test_without_a_keyring_the_password_goes_to_a_user_only_pgpass(tmp_path: Path) -> None:
    saved = save_setting(tmp_path, "database_url", URL.format("s3cr:et\\x"))
    assert saved == "postgresql://ann@db.example:6543/mirix"
    stored = (tmp_path / "settings.json").read_text()
    assert "s3cr" not in stored
    assert json.loads(stored)["database_url"] == saved
    pgpass = tmp_path / PGPASS_FILENAME
    assert stat.S_IMODE(pgpass.stat().st_mode) == 0o600
    assert pgpass.read_text() == "db.example:6543:mirix:ann:s3cr\\:et\\\\x\n"
    assert database_password(tmp_path, saved) == "s3cr:et\\x"
    keep_password(tmp_path, URL.format("new"))  # the same server's entry is replaced
    assert pgpass.read_text().count("\n") == 1
    assert database_password(tmp_path, saved) == "new"
    assert database_password(tmp_path, saved.replace("ann@", "bob@")) is None


def test_with_a_keyring_the_password_goes_there(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    saved = save_setting(tmp_path, "database_url", URL.format("pw"))
    assert memory_keyring.stored == {("mirix-app", "postgresql://ann@db.example:6543/mirix"): "pw"}
    assert not (tmp_path / PGPASS_FILENAME).exists()
    assert database_password(tmp_path, str(saved)) == "pw"


def test_a_bad_url_is_refused_without_quoting_the_password(tmp_path: Path) -> None:
    for bad, says in (
        ("mysql://ann:topsecret@h/db", "postgresql://"),
        ("postgresql://ann:topsecret@host", "one database"),
    ):
        with pytest.raises(SettingsError, match=says) as caught:
            save_setting(tmp_path, "database_url", bad)
        assert "topsecret" not in str(caught.value)
    assert not (tmp_path / "settings.json").exists()
    assert save_setting(tmp_path, "database_url", "") == ""


def test_the_environment_wins_and_its_password_is_used_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_setting(tmp_path, "database_url", URL.format("filed"))
    monkeypatch.setenv("MIRIX_APP_DATABASE_URL", "postgresql://bob:envpw@other/mem")
    current = load_settings(tmp_path)
    assert current.text("database_url") == "postgresql://bob:envpw@other/mem"
    assert database_password(tmp_path, current.text("database_url")) == "envpw"


def test_the_shared_database_is_reached_with_the_kept_password(
    tmp_path: Path, pg_url: str, postgres_server: PostgresServer
) -> None:
    bare = postgres_server.add_login("ann_pw", "Corr3ct-horse", pg_url)
    with_password = bare.replace("ann_pw@", "ann_pw:Corr3ct-horse@", 1)
    saved = str(save_setting(tmp_path, "database_url", with_password))
    assert saved == bare
    with open_storage(tmp_path, saved) as storage:
        assert storage.stats()["schema_version"] >= 1
    keep_password(tmp_path, bare.replace("ann_pw@", "ann_pw:wrong@", 1))
    with pytest.raises(EnvironmentStorageError, match="refused the user or password") as caught:
        open_storage(tmp_path, saved)
    assert "wrong" not in str(caught.value)


def test_devices_must_share_the_vault_key(tmp_path: Path, pg_url: str) -> None:
    first = VaultCipher(tmp_path / "laptop", KeyFileSource())
    with open_storage(tmp_path / "laptop", pg_url, cipher=first):
        pass
    other = VaultCipher(tmp_path / "desktop", KeyFileSource())
    with pytest.raises(VaultKeyError, match="vault import-key"):
        open_storage(tmp_path / "desktop", pg_url, cipher=other)
    other.replace_key(first.key.key)
    with open_storage(tmp_path / "desktop", pg_url, cipher=other):
        pass
    assert (tmp_path / "desktop" / "vault.key").read_bytes().strip() == first.key.key
