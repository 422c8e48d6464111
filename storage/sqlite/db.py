"""The SQLite database: WAL mode, versioned migrations, one writer thread.

All writes go through :meth:`Database.write`, which runs a function on the
single writer connection inside one ``BEGIN IMMEDIATE`` transaction; reads use
a connection per thread (:meth:`Database.read`). Environment failures (lock,
full disk, corruption) come out as :mod:`storage.errors` types.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

from storage.errors import CorruptDatabaseError, StorageError, translate
from storage.sqlite.fts import register_index_form
from storage.sqlite.migrations import MIGRATIONS, apply_migrations

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000


def _connect(path: Path, *, timeout_ms: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {timeout_ms}")
    conn.execute("PRAGMA foreign_keys = ON")
    # Deleted content is overwritten with zeros, not left in free space: what the
    # user forgets (storage.sqlite.forget) must not stay readable in the file.
    conn.execute("PRAGMA secure_delete = ON")
    register_index_form(conn)
    return conn


class Database:
    """One SQLite file, one writer thread, per-thread readers."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = path
        self._timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        # Reads in flight, so close() never closes a connection under a running query
        # (which crashes the sqlite3 module) and later reads get a clean error.
        self._reads = threading.Condition()
        self._active_reads = 0
        self._closed = False
        self._jobs: queue.Queue[
            tuple[Callable[[sqlite3.Connection], object], Future[object]] | None
        ]
        self._jobs = queue.Queue()
        with self._translated():
            self._writer = _connect(path, timeout_ms=busy_timeout_ms)
            self._check_readable()
            self._writer.execute("PRAGMA journal_mode = WAL")
            self._writer.execute("PRAGMA synchronous = NORMAL")
            apply_migrations(self._writer, MIGRATIONS)
        self._thread = threading.Thread(target=self._run_writer, name="sqlite-writer", daemon=True)
        self._thread.start()

    # -- lifecycle -----------------------------------------------------------------

    def close(self, *, wait_s: float = 30.0) -> None:
        """Finish the queued writes, wait (up to ``wait_s``) for reads running on
        other threads, then close every connection; later calls raise StorageError."""
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        with self._reads:
            self._closed = True
            self._reads.wait_for(lambda: self._active_reads == 0, timeout=wait_s)
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        self._writer.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ----------------------------------------------------------------------

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` in one transaction on the writer; return its result.

        The transaction commits if ``fn`` returns and rolls back if it raises, so a
        failed write leaves nothing behind.
        """
        if threading.current_thread() is self._thread:
            return fn(self._writer)  # nested call from inside a write: same transaction
        if not self._thread.is_alive():
            raise StorageError("The database is closed.")
        future: Future[object] = Future()
        self._jobs.put((fn, future))
        return future.result()  # type: ignore[return-value]

    def _run_writer(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, future = job
            try:
                future.set_result(self._transaction(fn))
            except BaseException as exc:  # handed to the caller's thread
                future.set_exception(exc)

    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._writer
        with self._translated():
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    # -- reads -----------------------------------------------------------------------

    def read(self) -> sqlite3.Connection:
        """This thread's read connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._translated():
                conn = _connect(self.path, timeout_ms=self._timeout_ms)
                conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def query(
        self, sql: str, params: tuple[object, ...] | dict[str, object] = ()
    ) -> list[sqlite3.Row]:
        with self.reading() as conn:
            return conn.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """This thread's read connection, for the length of the block, with
        environment errors translated; StorageError once the database is closed."""
        with self._reads:
            if self._closed:
                raise StorageError("The database is closed.")
            self._active_reads += 1
        try:
            with self._translated():
                yield self.read()
        finally:
            with self._reads:
                self._active_reads -= 1
                self._reads.notify_all()

    # -- helpers ---------------------------------------------------------------------

    def _check_readable(self) -> None:
        try:
            self._writer.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise CorruptDatabaseError(
                f"The database {self.path} is damaged or not a mirix-app database."
            ) from exc

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            mapped = translate(exc, self.path)
            if mapped is None:
                raise
            raise mapped from exc


IN_CHUNK = 500
"""Values per ``IN (...)`` clause: well under SQLite's limit on bound variables."""


def in_chunks(values: Sequence[T]) -> Iterator[tuple[list[T], str]]:
    """``values`` in chunks of at most IN_CHUNK, each with its placeholders
    (``"?,?,?"``) for an ``IN (...)`` clause."""
    for start in range(0, len(values), IN_CHUNK):
        chunk = list(values[start : start + IN_CHUNK])
        yield chunk, ",".join("?" * len(chunk))
