"""Errors raised by the storage layer.

Hierarchy::

    StorageError                 base; never raised itself
    ├── NotFoundError            no memory or source with that id
    ├── InvalidInputError        a value the caller passed breaks the schema
    ├── LeaseLostError           another worker took over a batch this one held
    └── EnvironmentStorageError  the environment's fault, not a bug
        ├── DatabaseLockedError  another process holds the write lock too long
        ├── DiskFullError        the disk (or the database size cap) is full
        └── CorruptDatabaseError the file is not a readable SQLite database

Every message is one plain sentence fit to show a user as it is.
"""

from __future__ import annotations

import sqlite3


class StorageError(Exception):
    """Base of every error the storage layer raises on purpose."""


class NotFoundError(StorageError):
    """No live or deleted row has the requested id."""


class InvalidInputError(StorageError):
    """The caller passed a value the schema does not accept."""


class LeaseLostError(StorageError):
    """A worker's lease on a batch ran out and another worker claimed it."""


class EnvironmentStorageError(StorageError):
    """The environment failed us (lock, disk, corruption), not the code."""


class DatabaseLockedError(EnvironmentStorageError):
    pass


class DiskFullError(EnvironmentStorageError):
    pass


class CorruptDatabaseError(EnvironmentStorageError):
    pass


def translate(exc: sqlite3.Error, path: object) -> StorageError | None:
    """Map an sqlite3 error caused by the environment to our own type.

    Returns None for errors that are bugs (bad SQL, constraint violations the
    code should have prevented), so the caller re-raises them unchanged.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc).lower()
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
        return DatabaseLockedError(
            f"The database {path} is locked by another process; close it and try again."
        )
    if code == sqlite3.SQLITE_FULL or "disk is full" in text or "disk full" in text:
        return DiskFullError(f"No space left for the database {path}; free some disk space.")
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or (
        "malformed" in text or "not a database" in text
    ):
        return CorruptDatabaseError(f"The database {path} is damaged or not a mirix-app database.")
    if code == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
        return DiskFullError(f"Could not write the database {path} (I/O error); is the disk full?")
    return None
