"""agents/vault_key.py: where the vault key lives (keyring or a 0600 key file),
which backend is reported, and the Fernet cipher. No test touches the real OS
keyring: a fake keyring object is injected, or the keyring module is told there
is no backend."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import keyring
import pytest
from cryptography.fernet import Fernet
from keyring.backends import fail

from agents import Assistant, open_assistant
from agents.vault_key import (
    KEY_FILENAME,
    KEYRING_SERVICE,
    KEYRING_USERNAME,
    KeyFileSource,
    KeyringSource,
    VaultCipher,
    default_key_source,
)
from storage.secrets import VaultKeyError
from tests.fakes import BODIES, FakeEmbedder


class FakeKeyring:
    def __init__(self, *, broken: bool = False) -> None:
        self.passwords: dict[tuple[str, str], str] = {}
        self.broken = broken

    def get_password(self, service_name: str, username: str) -> str | None:
        if self.broken:
            raise keyring.errors.KeyringError("locked")
        return self.passwords.get((service_name, username))

    def set_password(self, service_name: str, username: str, password: str) -> None:
        self.passwords[(service_name, username)] = password


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_file_is_created_user_only_and_reused(tmp_path: Path) -> None:
    source = KeyFileSource()
    first = source.load(tmp_path)
    path = tmp_path / KEY_FILENAME
    assert first.backend == "key-file" and first.location == str(path)
    assert mode(path) == 0o600
    Fernet(first.key)  # a valid key
    assert source.load(tmp_path).key == first.key


def test_a_key_file_readable_by_others_is_tightened(tmp_path: Path) -> None:
    key = KeyFileSource().load(tmp_path).key
    os.chmod(tmp_path / KEY_FILENAME, 0o644)
    assert KeyFileSource().load(tmp_path).key == key
    assert mode(tmp_path / KEY_FILENAME) == 0o600


def test_a_damaged_key_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / KEY_FILENAME).write_text("not a key")
    with pytest.raises(VaultKeyError, match="damaged"):
        KeyFileSource().load(tmp_path)


def test_the_keyring_holds_the_key_under_the_app_service(tmp_path: Path) -> None:
    ring = FakeKeyring()
    source = KeyringSource(ring)
    assert source.describe(tmp_path)["backend"] == "keyring"
    key = source.load(tmp_path)
    assert key.backend == "keyring"
    assert ring.passwords[(KEYRING_SERVICE, KEYRING_USERNAME)] == key.key.decode()
    assert source.load(tmp_path).key == key.key
    assert not (tmp_path / KEY_FILENAME).exists()


def test_a_failing_keyring_falls_back_to_the_key_file(tmp_path: Path) -> None:
    key = KeyringSource(FakeKeyring(broken=True)).load(tmp_path)
    assert key.backend == "key-file"
    assert mode(tmp_path / KEY_FILENAME) == 0o600


def test_an_existing_key_file_wins_over_the_keyring(tmp_path: Path) -> None:
    file_key = KeyFileSource().load(tmp_path)
    ring = FakeKeyring()
    source = KeyringSource(ring)
    assert source.describe(tmp_path)["backend"] == "key-file"
    assert source.load(tmp_path).key == file_key.key
    assert ring.passwords == {}


def test_no_keyring_backend_means_a_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    source = KeyringSource()
    assert source.describe(tmp_path) == {
        "backend": "key-file",
        "location": str(tmp_path / KEY_FILENAME),
    }
    assert source.load(tmp_path).backend == "key-file"


def test_the_environment_switches_the_keyring_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIRIX_APP_KEYRING", "off")
    assert isinstance(default_key_source(), KeyFileSource)
    monkeypatch.delenv("MIRIX_APP_KEYRING")
    assert isinstance(default_key_source(), KeyringSource)  # not loaded: no keyring touched


def test_the_cipher_round_trips_and_refuses_another_key(tmp_path: Path) -> None:
    cipher = VaultCipher(tmp_path / "a", KeyFileSource())
    token = cipher.encrypt("ghp_ß東京")
    assert "ghp" not in token
    assert cipher.decrypt(token) == "ghp_ß東京"
    other = VaultCipher(tmp_path / "b", KeyFileSource())
    with pytest.raises(VaultKeyError, match="another vault key"):
        other.decrypt(token)


def test_the_key_is_loaded_only_when_a_secret_is_touched(tmp_path: Path) -> None:
    app = open_assistant(tmp_path / "d", embedder=FakeEmbedder())
    try:
        app.add("semantic", BODIES["semantic"])
        app.stats()
        assert not (tmp_path / "d" / KEY_FILENAME).exists()
        app.add("knowledge_vault", BODIES["knowledge_vault"])
        assert (tmp_path / "d" / KEY_FILENAME).exists()
    finally:
        app.close()


def test_open_assistant_takes_an_injected_key_source(tmp_path: Path) -> None:
    ring = FakeKeyring()
    app = open_assistant(tmp_path / "d", embedder=FakeEmbedder(), key_source=KeyringSource(ring))
    try:
        added = app.add("knowledge_vault", BODIES["knowledge_vault"])
        secret = BODIES["knowledge_vault"]["secret_value"]
        assert app.show(added.id).fields["secret_value"] == secret
        assert (KEYRING_SERVICE, KEYRING_USERNAME) in ring.passwords
        assert app.stats()["vault_key"] == {"backend": "keyring", "location": "FakeKeyring"}
        assert app.vault_key_status() == app.stats()["vault_key"]
    finally:
        app.close()


def test_tests_use_a_key_file_in_the_data_dir_by_default(
    assistant: Assistant, data_dir: Path
) -> None:
    assert assistant.stats()["vault_key"] == {
        "backend": "key-file",
        "location": str(data_dir / KEY_FILENAME),
    }
