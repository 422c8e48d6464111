"""Where the memory lives: ``database_url``, and the password kept apart from it.

Empty (the default): the SQLite database in the data folder. ``postgresql://...``:
a PostgreSQL server that several devices share. A password never goes into
``settings.json``: :func:`keep_password` takes it out of the URL before the
setting is saved and keeps it

* in the OS keyring (service ``mirix-app``, entry ``postgresql://USER@HOST:PORT/DB``),
* or, where there is no keyring backend (or ``MIRIX_APP_KEYRING=off``), in
  ``DATA_DIR/pgpass``, readable by the user only, in the format of PostgreSQL's
  ``.pgpass`` (``host:port:database:user:password``; ``*`` matches anything).

:func:`database_password` finds it again: in the URL itself (an environment
value ``MIRIX_APP_DATABASE_URL`` may hold one: it is never written anywhere),
then the keyring, then that file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from agents.errors import AgentError
from agents.vault_key import (
    KEYRING_SERVICE,
    KeyringAccess,
    VaultCipher,
    keyring_backend,
    keyring_wanted,
)
from storage import SearchParams, Storage
from storage.errors import EnvironmentStorageError, InvalidInputError
from storage.postgres.url import DatabaseUrl, is_postgres_url, parse_database_url
from storage.secrets import VaultKeyError

if TYPE_CHECKING:
    from storage.postgres.engine import PostgresEngine

PGPASS_FILENAME = "pgpass"


def check_database_url(value: object) -> str | None:
    """The ``database_url`` setting's rule: empty, or a valid PostgreSQL URL."""
    text = str(value).strip()
    if not text:
        return None
    if not is_postgres_url(text):
        return (
            "must be a postgresql://user@host:5432/database URL, or empty for the SQLite "
            "database in the data folder."
        )
    try:
        parse_database_url(text)
    except InvalidInputError as exc:
        return str(exc)
    return None


def _entry(url: DatabaseUrl) -> str:
    return f"postgresql://{url.user or ''}@{url.where}"


def keep_password(data_dir: Path, value: str, *, keyring: KeyringAccess | None = None) -> str:
    """``value`` as ``settings.json`` may hold it: its password (if any) moved to the
    keyring or the pgpass file, the URL returned without it."""
    text = value.strip()
    if not text:
        return text
    url = parse_database_url(text)
    if url.password is None:
        return url.url
    found = keyring_backend(keyring) if keyring_wanted() or keyring is not None else None
    if found is not None:
        try:
            found[0].set_password(KEYRING_SERVICE, _entry(url), url.password)
            return url.url
        except Exception:  # keyring backends raise many kinds; all mean "unusable"
            pass
    _write_pgpass(data_dir / PGPASS_FILENAME, url)
    return url.url


def database_password(
    data_dir: Path, value: str, *, keyring: KeyringAccess | None = None
) -> str | None:
    """The password for the URL ``value``: its own, the keyring's, or the pgpass file's."""
    url = parse_database_url(value)
    if url.password is not None:
        return url.password
    found = keyring_backend(keyring) if keyring_wanted() or keyring is not None else None
    if found is not None:
        try:
            stored = found[0].get_password(KEYRING_SERVICE, _entry(url))
        except Exception:
            stored = None
        if stored is not None:
            return stored
    return _read_pgpass(data_dir / PGPASS_FILENAME, url)


# -- the pgpass file -----------------------------------------------------------------


def _escaped(field: str) -> str:
    return field.replace("\\", "\\\\").replace(":", "\\:")


def _fields(line: str) -> list[str]:
    """A pgpass line split at its unescaped colons, escapes undone."""
    fields, current, escaped = [], [], False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def _key(url: DatabaseUrl) -> list[str]:
    return [url.host, str(url.port or 5432), url.database, url.user or ""]


def _write_pgpass(path: Path, url: DatabaseUrl) -> None:
    assert url.password is not None
    key = _key(url)
    lines = [
        line
        for line in _lines(path)
        if _fields(line)[:4] != key  # the entry for this server is replaced
    ]
    lines.append(":".join(_escaped(f) for f in [*key, url.password]))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        tmp.replace(path)
    except OSError as exc:
        raise EnvironmentStorageError(
            f"Cannot keep the database password in {path}: {exc.strerror or exc}."
        ) from None


def _read_pgpass(path: Path, url: DatabaseUrl) -> str | None:
    key = _key(url)
    for line in _lines(path):
        fields = _fields(line)
        if len(fields) == 5 and all(f in ("*", k) for f, k in zip(fields[:4], key, strict=True)):
            return fields[4]
    return None


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise EnvironmentStorageError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


DATABASE_URL_ENV = "MIRIX_APP_DATABASE_URL"
DEVICE_NAME_ENV = "MIRIX_APP_DEVICE_NAME"


def database_url_of(setting: str) -> str:
    """The memory's database URL: ``MIRIX_APP_DATABASE_URL`` if set (never saved
    anywhere, so it may hold a password), else the ``database_url`` setting; empty
    for the SQLite database in the data folder."""
    return (os.environ.get(DATABASE_URL_ENV) or setting).strip()


def open_storage(
    data_dir: Path,
    url: str,
    *,
    cipher: VaultCipher | None = None,
    device: str = "",
    params: SearchParams | None = None,
) -> Storage:
    """The memory of this data folder: its SQLite file (``url`` empty) or the
    PostgreSQL database ``url`` names (its password found as
    :func:`database_password` finds it; ``device`` names this device on its
    screenshots, default the host name), migrated and ready. A shared database is
    opened only with the vault key the other devices use."""
    if not url:
        return Storage.open(data_dir, cipher=cipher, params=params)
    if not is_postgres_url(url):
        raise AgentError(f"database_url must be empty or postgresql://...; got {url[:40]!r}.")
    try:
        import psycopg  # noqa: F401  (the [postgres] extra)
        import psycopg_pool  # noqa: F401
    except ImportError as exc:
        raise AgentError(
            f"A postgresql:// database_url needs the [postgres] extra ({exc.name} is "
            "missing): pip install -e '.[postgres]' in the mirix-app checkout."
        ) from None
    storage = Storage.open(
        data_dir,
        cipher=cipher,
        params=params,
        database_url=url,
        password=database_password(data_dir, url),
        device=device or os.environ.get(DEVICE_NAME_ENV) or None,
    )
    if cipher is not None:
        try:
            agree_on_vault_key(storage, cipher)
        except BaseException:
            storage.close()
            raise
    return storage


def open_shared_database(
    data_dir: Path, url: str, *, cipher: VaultCipher | None = None, device: str = ""
) -> PostgresEngine:
    """The PostgreSQL engine itself, for what only it does (a migration copying a
    SQLite memory in): opened as :func:`open_storage` opens it, with the vault key
    the other devices use."""
    from storage.postgres.engine import PostgresEngine

    engine = PostgresEngine.open(
        url,
        password=database_password(data_dir, url),
        device=device or os.environ.get(DEVICE_NAME_ENV) or None,
        cipher=cipher,
        data_dir=data_dir,
    )
    if cipher is not None:
        try:
            agree_on_vault_key(engine, cipher)
        except BaseException:
            engine.close()
            raise
    return engine


class SharedSettings(Protocol):
    def agree_setting(self, name: str, value: str) -> str: ...


VAULT_KEY_CHECK = "vault_key_check"


def agree_on_vault_key(storage: SharedSettings, cipher: VaultCipher) -> None:
    """The vault key is the user's, not the device's: every device sharing a memory
    must seal its secrets with the same key. The database holds a check value of the
    first device's key (never the key); a device with another key is stopped before
    it writes a secret the others could not read."""
    if storage.agree_setting(VAULT_KEY_CHECK, cipher.check_value()) != cipher.check_value():
        raise VaultKeyError(
            "This device's vault key is not the key of the shared memory's secrets: on a "
            "device already using it, run mirix-app vault export-key FILE, then here "
            "mirix-app vault import-key FILE."
        )
