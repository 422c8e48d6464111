"""Database URLs: which engine a ``database_url`` names, and its parts.

``postgresql://user[:password]@host[:port]/database[?param=value...]`` (also
``postgres://``); a Unix socket is ``?host=/path/to/dir``. The password is never
kept with the rest: :func:`without_password` is what settings store, and the
caller supplies the password apart (``password=`` to the engine; libpq's
``passfile``). Errors are one plain sentence (:class:`InvalidInputError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

from storage.errors import InvalidInputError

SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed PostgreSQL URL (the password apart from the rest)."""

    url: str
    """The URL without its password."""
    user: str | None
    password: str | None
    host: str
    """A host name, or a Unix socket's directory."""
    port: int | None
    database: str

    @property
    def where(self) -> str:
        """Host, port and database, for messages (no user, no password)."""
        port = f":{self.port}" if self.port else ""
        return f"{self.host}{port}/{self.database}"


def is_postgres_url(value: str) -> bool:
    return value.split(":", 1)[0].lower() in SCHEMES and "://" in value


def parse_database_url(value: str) -> DatabaseUrl:
    """Check and split a PostgreSQL URL; InvalidInputError names what is wrong."""
    text = value.strip()
    scheme = text.split(":", 1)[0].lower()
    if "://" not in text or scheme not in SCHEMES:
        raise InvalidInputError(
            f"database_url must start with postgresql:// (got {_shown(text)!r}); "
            "leave it empty for the SQLite database in the data folder."
        )
    try:
        parts = urlsplit(text)
        port = parts.port
        query = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False))
    except ValueError as exc:
        raise InvalidInputError(f"database_url is not a valid URL: {exc}.") from None
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise InvalidInputError(
            "database_url must name one database after the host: postgresql://user@host:5432/mirix."
        )
    host = unquote(parts.hostname or "") or query.get("host", "")
    if not host:
        raise InvalidInputError(
            "database_url must name the server: a host (postgresql://user@host/mirix) "
            "or a socket folder (?host=/run/postgresql)."
        )
    user = unquote(parts.username) if parts.username else query.get("user")
    password = unquote(parts.password) if parts.password is not None else None
    if "password" in query:
        raise InvalidInputError(
            "Give the password in the URL's user part (postgresql://user:password@host/db), "
            "not as a ?password= parameter."
        )
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if parts.username:
        netloc = f"{quote(unquote(parts.username), safe='')}@{netloc}"
    bare = urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))
    return DatabaseUrl(bare, user, password, host, port, database)


def without_password(value: str) -> str:
    return parse_database_url(value).url


def _shown(text: str) -> str:
    """A value for an error message: nothing before an ``@`` (a password may be there)."""
    return "...@" + text.rpartition("@")[2][:80] if "@" in text else text[:80]
