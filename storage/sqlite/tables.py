"""sqlite-utils on the engine's own connections: what a table holds, and bulk
inserts. It runs inside the caller's transaction (sqlite-utils nests its own as
a savepoint), with no plugins and without turning on recursive triggers, which
would change what the index triggers do.

The migrations stay plain SQL: released ones are frozen, and the full-text
indexes (external content, read through the index-form function, kept by
triggers) are more than sqlite-utils' ``enable_fts`` sets up."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlite_utils

INSERT_BATCH = 100
"""Rows per INSERT statement of a bulk insert."""


def tables(conn: sqlite3.Connection) -> sqlite_utils.Database:
    return sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)


def column_names(conn: sqlite3.Connection, table: str) -> list[str]:
    """The table's columns in their order; empty when there is no such table."""
    return [column.name for column in tables(conn).table(table).columns]


def insert_rows(conn: sqlite3.Connection, table: str, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) as multi-row INSERTs, all or none."""
    if rows:
        tables(conn).table(table).insert_all(rows, batch_size=INSERT_BATCH)
