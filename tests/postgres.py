"""A real PostgreSQL with pgvector for the tests: the ``pgserver`` wheel's server
(PostgreSQL 16 with ``vector.so``), started once per test session in a temporary
folder and reached on its Unix socket; each test gets a database of its own.

Without pgserver (the ``[postgres]`` and ``[test]`` extras not installed) the
PostgreSQL tests skip, unless ``MIRIX_APP_REQUIRE_POSTGRES=1`` (``.ci/run`` sets
it), where they fail instead."""

from __future__ import annotations

import itertools
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

_counter = itertools.count(1)


class PostgresServer:
    """One running server and its admin connection string."""

    def __init__(self, folder: Path) -> None:
        with warnings.catch_warnings():
            # platformdirs warns (on pgserver's import) when XDG_RUNTIME_DIR is unset;
            # pgserver then puts its socket under /tmp, which is what we want here.
            warnings.simplefilter("ignore")
            import pgserver

            self._server: Any = pgserver.get_server(folder, cleanup_mode="stop")
        self.admin_url: str = self._server.get_uri()
        import psycopg

        # Throw-away data: no flushes to disk (CREATE DATABASE and the shutdown
        # checkpoint otherwise wait on them for seconds).
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name, value in (("fsync", "off"), ("synchronous_commit", "off")):
                conn.execute(f"ALTER SYSTEM SET {name} = {value}")
            conn.execute("SELECT pg_reload_conf()")

    def add_login(self, user: str, password: str, database_url: str) -> str:
        """A role that must give ``password`` (SCRAM; everyone else stays trusted),
        owning the database of ``database_url``; returns that URL for the role, no
        password in it."""
        import psycopg

        hba = Path(self._server.pgdata) / "pg_hba.conf"
        hba.write_text(f"local all {user} scram-sha-256\n" + hba.read_text())
        database = database_name(database_url)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
            conn.execute(f'ALTER DATABASE "{database}" OWNER TO {user}')
            conn.execute("SELECT pg_reload_conf()")
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")  # a superuser's job
            conn.execute(f"GRANT ALL ON SCHEMA public TO {user}")
        return database_url.replace("postgresql://postgres:@", f"postgresql://{user}@", 1)

    def url(self, database: str) -> str:
        return str(self._server.get_uri(database))

    def create_database(self) -> str:
        """A new empty database; returns its connection string."""
        import psycopg

        name = f"mirix_test_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = database_name(url)
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._server.cleanup()


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def start_server() -> Iterator[PostgresServer]:
    """The session's server (skip, or fail when required, without pgserver)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        if os.environ.get("MIRIX_APP_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"MIRIX_APP_REQUIRE_POSTGRES=1 but {exc.name} is not installed")
        pytest.skip(f"{exc.name} is not installed (pip install -e '.[test,postgres]')")
    with tempfile.TemporaryDirectory(prefix="mirix-pg-") as folder:
        server = PostgresServer(Path(folder) / "pgdata")
        try:
            yield server
        finally:
            server.stop()
