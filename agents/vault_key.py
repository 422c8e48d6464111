"""The knowledge vault's key: a Fernet key kept in the OS keyring, or, where no
keyring backend exists, in a key file readable by the user only.

:class:`VaultCipher` is the :class:`storage.SecretCipher` the composition root
hands to storage. It loads the key lazily, on the first secret it encrypts or
decrypts, so commands that never touch a secret never touch the keyring.

Where the key lives:

* a ``vault.key`` file already in the data directory is used as it is (that
  directory was keyed without a keyring);
* otherwise the OS keyring (service ``mirix-app``, user ``vault-key``), the key
  created there on first use;
* otherwise (no keyring backend, or it fails) a new ``vault.key`` file, mode 0600.

``MIRIX_APP_KEYRING=off`` skips the keyring (tests, headless machines).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from cryptography.fernet import Fernet, InvalidToken

from storage.secrets import VaultKeyError

KEYRING_SERVICE = "mirix-app"
KEYRING_USERNAME = "vault-key"
KEY_FILENAME = "vault.key"
KEYRING_ENV = "MIRIX_APP_KEYRING"

Backend = Literal["keyring", "key-file"]


@dataclass(frozen=True)
class VaultKey:
    key: bytes
    backend: Backend
    location: str
    """The keyring backend's name, or the key file's path."""


class KeyringAccess(Protocol):
    """The part of the ``keyring`` module this module uses (injectable in tests)."""

    def get_password(self, service_name: str, username: str) -> str | None: ...

    def set_password(self, service_name: str, username: str, password: str) -> None: ...


class KeySource(Protocol):
    def describe(self, data_dir: Path) -> dict[str, str]:
        """Which backend :meth:`load` would use, without creating a key."""
        ...

    def load(self, data_dir: Path) -> VaultKey:
        """The key, created where it belongs if there is none yet."""
        ...

    def store(self, data_dir: Path, key: bytes) -> VaultKey:
        """Keep ``key`` (imported from another device) where :meth:`load` finds it."""
        ...


def _checked(raw: bytes | str, where: str) -> bytes:
    key = raw.strip().encode("ascii") if isinstance(raw, str) else raw.strip()
    try:
        Fernet(key)
    except (ValueError, TypeError):
        raise VaultKeyError(f"The vault key in {where} is damaged (not a Fernet key).") from None
    return key


class KeyFileSource:
    """The key in ``<data dir>/vault.key``, readable and writable by the user only."""

    def path(self, data_dir: Path) -> Path:
        return data_dir / KEY_FILENAME

    def describe(self, data_dir: Path) -> dict[str, str]:
        return {"backend": "key-file", "location": str(self.path(data_dir))}

    def load(self, data_dir: Path) -> VaultKey:
        path = self.path(data_dir)
        try:
            if path.exists():
                if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
                    os.chmod(path, 0o600)  # readable by the user only, whatever it was
                key = _checked(path.read_bytes(), f"the key file {path}")
            else:
                key = Fernet.generate_key()
                data_dir.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(key + b"\n")
        except FileExistsError:  # another process created it first: use that one
            return self.load(data_dir)
        except OSError as exc:
            raise VaultKeyError(
                f"Cannot use the vault key file {path}: {exc.strerror or exc}."
            ) from None
        return VaultKey(key, "key-file", str(path))

    def store(self, data_dir: Path, key: bytes) -> VaultKey:
        path = self.path(data_dir)
        checked = _checked(key, "the imported key")
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(KEY_FILENAME + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(checked + b"\n")
            tmp.replace(path)
        except OSError as exc:
            raise VaultKeyError(
                f"Cannot write the vault key file {path}: {exc.strerror or exc}."
            ) from None
        return VaultKey(checked, "key-file", str(path))


class KeyringSource:
    """The key in the OS keyring, falling back to a key file where there is none."""

    def __init__(
        self, keyring: KeyringAccess | None = None, fallback: KeyFileSource | None = None
    ) -> None:
        self._keyring = keyring
        self.fallback = fallback or KeyFileSource()

    def _backend(self) -> tuple[KeyringAccess, str] | None:
        return keyring_backend(self._keyring)

    def describe(self, data_dir: Path) -> dict[str, str]:
        found = None if self.fallback.path(data_dir).exists() else self._backend()
        if found is None:
            return self.fallback.describe(data_dir)
        return {"backend": "keyring", "location": found[1]}

    def load(self, data_dir: Path) -> VaultKey:
        found = None if self.fallback.path(data_dir).exists() else self._backend()
        if found is None:
            return self.fallback.load(data_dir)
        access, name = found
        where = f"the keyring ({name})"
        try:
            stored = access.get_password(KEYRING_SERVICE, KEYRING_USERNAME)
            if stored is None:
                key = Fernet.generate_key()
                access.set_password(KEYRING_SERVICE, KEYRING_USERNAME, key.decode("ascii"))
                return VaultKey(key, "keyring", name)
        except Exception:  # keyring backends raise many kinds; all mean "unusable"
            return self.fallback.load(data_dir)
        return VaultKey(_checked(stored, where), "keyring", name)

    def store(self, data_dir: Path, key: bytes) -> VaultKey:
        checked = _checked(key, "the imported key")
        found = None if self.fallback.path(data_dir).exists() else self._backend()
        if found is not None:
            access, name = found
            try:
                access.set_password(KEYRING_SERVICE, KEYRING_USERNAME, checked.decode("ascii"))
                return VaultKey(checked, "keyring", name)
            except Exception:  # an unusable keyring: the key file instead
                pass
        return self.fallback.store(data_dir, checked)


def keyring_backend(injected: KeyringAccess | None = None) -> tuple[KeyringAccess, str] | None:
    """The keyring to use (``injected``, else the OS one) and its name, or None where
    no backend exists."""
    if injected is not None:
        return injected, type(injected).__name__
    import keyring
    import keyring.errors
    from keyring.backends import fail, null

    try:
        backend = keyring.get_keyring()
    except (keyring.errors.KeyringError, RuntimeError, OSError):
        return None
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    name = getattr(backend, "name", None) or type(backend).__name__
    return keyring, str(name)


def keyring_wanted() -> bool:
    """False where ``MIRIX_APP_KEYRING`` is off (tests, headless machines)."""
    return os.environ.get(KEYRING_ENV, "").strip().lower() not in ("off", "0", "false", "no")


def default_key_source() -> KeySource:
    """The keyring, unless ``MIRIX_APP_KEYRING`` is off (then the key file)."""
    return KeyringSource() if keyring_wanted() else KeyFileSource()


def key_check(key: bytes) -> str:
    return hashlib.sha256(b"mirix-app vault key check\0" + key.strip()).hexdigest()[:32]


def parse_key(text: str) -> bytes:
    """A key as :meth:`VaultCipher.replace_key` takes it, from an exported key's text."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]
    if len(lines) != 1:
        raise VaultKeyError("That is not an exported vault key (one line of 44 characters).")
    return _checked(lines[0], "the file given")


class VaultCipher:
    """Fernet encryption with the vault key, loaded on first use."""

    def __init__(self, data_dir: Path, source: KeySource | None = None) -> None:
        self.data_dir = data_dir
        self.source = source or default_key_source()
        self._key: VaultKey | None = None
        self._fernet: Fernet | None = None

    @property
    def key(self) -> VaultKey:
        if self._key is None:
            self._key = self.source.load(self.data_dir)
            self._fernet = Fernet(self._key.key)
        return self._key

    def _cipher(self) -> Fernet:
        self.key  # noqa: B018 - loads the key
        assert self._fernet is not None
        return self._fernet

    def describe(self) -> dict[str, str]:
        """Which backend holds the key (the loaded one, or the one that would be used)."""
        if self._key is not None:
            return {"backend": self._key.backend, "location": self._key.location}
        return self.source.describe(self.data_dir)

    def replace_key(self, key: bytes) -> VaultKey:
        """Use ``key`` from now on (kept where this device keeps its key)."""
        self._key = self.source.store(self.data_dir, key)
        self._fernet = Fernet(self._key.key)
        return self._key

    def check_value(self) -> str:
        """What shows whether two devices hold the same key without showing the key:
        a hash of it (the key is 256 random bits, so the hash gives nothing away)."""
        return key_check(self.key.key)

    def encrypt(self, plaintext: str) -> str:
        return self._cipher().encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        fernet = self._cipher()
        try:
            return fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            where = (
                f"the keyring ({self.key.location})"
                if self.key.backend == "keyring"
                else f"the key file {self.key.location}"
            )
            raise VaultKeyError(
                f"it was encrypted with another vault key than the one in {where}, "
                "or it is damaged."
            ) from None
