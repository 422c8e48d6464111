"""A PostgreSQL database: a connection pool, versioned migrations, transactions.

:meth:`PostgresDatabase.write` runs a function in one read-write transaction
and :meth:`PostgresDatabase.reading` gives a connection in a read-only
transaction on one snapshot (REPEATABLE READ), both taken from a
``psycopg_pool`` pool, so several threads (and, through the server, several
devices) work at once. Environment failures (an unreachable server, a full
disk, a lock held too long) come out as :mod:`storage.errors` types with one
plain sentence; the password never appears in one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
from pgvector.psycopg import register_vector
from psycopg import errors as pg_errors
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from storage.errors import (
    DatabaseLockedError,
    DiskFullError,
    EnvironmentStorageError,
    StorageError,
)
from storage.postgres.migrations import MIGRATIONS, apply_migrations
from storage.postgres.url import DatabaseUrl

T = TypeVar("T")

Connection = psycopg.Connection[dict[str, Any]]

CONNECT_TIMEOUT_S = 5
SPARE_WAIT_S = 0.005
"""How long :meth:`PostgresDatabase.spare` waits (a timeout of 0 never takes even
a free connection)."""
LOCK_TIMEOUT = "10s"
"""A write waits this long for a row another device holds before it gives up."""


class PostgresDatabase:
    """One PostgreSQL database reached through a pool of connections."""

    def __init__(
        self, url: DatabaseUrl, *, password: str | None = None, max_connections: int = 8
    ) -> None:
        self.url = url
        self._params: dict[str, Any] = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "mirix-app",
            "options": f"-c lock_timeout={LOCK_TIMEOUT}",
        }
        if password is not None:
            self._params["password"] = password
        with self._translated():
            with psycopg.connect(url.url, autocommit=True, **self._params) as conn:
                apply_migrations(conn, MIGRATIONS)
            self._pool: ConnectionPool[Connection] = ConnectionPool(
                url.url,
                kwargs={**self._params, "row_factory": dict_row},
                min_size=1,
                max_size=max_connections,
                configure=register_vector,
                # A connection the server or the network dropped (a laptop asleep, a
                # server restarted) is replaced when it is taken, not handed out broken.
                check=ConnectionPool.check_connection,
                open=False,
                name="mirix-app",
            )
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S * 2)

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> PostgresDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` in one transaction: committed when it returns, rolled
        back when it raises."""
        if self._pool.closed:
            raise StorageError("The database is closed.")
        with self._translated(), self._pool.connection() as conn, conn.transaction():
            return fn(conn)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection in a read-only transaction on one snapshot, for the block."""
        if self._pool.closed:
            raise StorageError("The database is closed.")
        with self._translated(), self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn

    def outside_transaction(self, sql: str) -> None:
        """Run one statement that may not run inside a transaction (VACUUM)."""
        if self._pool.closed:
            raise StorageError("The database is closed.")
        with self._translated(), self._pool.connection() as conn:
            conn.autocommit = True
            try:
                conn.execute(sql)
            finally:
                conn.autocommit = False

    def spare(self) -> Connection | None:
        """A connection the pool has free, or None after at most SPARE_WAIT_S (the
        pool grows meanwhile, up to its size, for the next asker): work that holds
        one connection while it asks for a second (a search) never waits on
        others doing the same. Hand it back with :meth:`give_back`."""
        if self._pool.closed:
            raise StorageError("The database is closed.")
        try:
            return self._pool.getconn(timeout=SPARE_WAIT_S)
        except PoolTimeout:
            return None

    def give_back(self, conn: Connection) -> None:
        self._pool.putconn(conn)

    @contextlib.contextmanager
    def reading_snapshot(self, conn: Connection, snapshot: str) -> Iterator[Connection]:
        """``conn`` in a read-only transaction on the snapshot another reading
        transaction exported (``pg_export_snapshot()``) and still holds open."""
        with self._translated(), conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
            yield conn

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.Error, PoolTimeout) as exc:
            mapped = translate(exc, self.url)
            if mapped is None:
                raise
            raise mapped from None


def translate(exc: Exception, url: DatabaseUrl) -> StorageError | None:
    """An error caused by the environment as our own type (None: a bug)."""
    where = url.where
    if isinstance(exc, pg_errors.DiskFull | pg_errors.OutOfMemory):
        return DiskFullError(f"The PostgreSQL server at {where} is out of space.")
    if isinstance(
        exc, pg_errors.LockNotAvailable | pg_errors.DeadlockDetected | pg_errors.QueryCanceled
    ):
        return DatabaseLockedError(
            f"Another device held the rows this needs at {where} too long; try again."
        )
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return EnvironmentStorageError(
            f"The PostgreSQL user may not do this at {where}: {_reason(exc)}"
        )
    if not isinstance(exc, PoolTimeout | psycopg.OperationalError):
        return None
    reason = _reason(exc)
    # A refused connection carries no SQLSTATE in psycopg, only the server's text.
    if f'database "{url.database}" does not exist' in reason:
        return EnvironmentStorageError(
            f"The PostgreSQL server has no database {url.database!r} ({where}); create it first."
        )
    if "password authentication failed" in reason or "role " in reason or "no password" in reason:
        return EnvironmentStorageError(
            f"The PostgreSQL server at {where} refused the user or password: {reason}"
        )
    return EnvironmentStorageError(f"Cannot reach the PostgreSQL server at {where}: {reason}")


def _reason(exc: Exception) -> str:
    """The server's or libpq's own reason, on one line (the socket or host tried and
    the FATAL marker left out)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if "FATAL:" in text:
        text = text.split("FATAL:", 1)[1]
    elif " failed: " in text:
        text = text.rsplit(" failed: ", 1)[1]
    return text.strip().rstrip(".") + "."
