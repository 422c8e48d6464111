"""Storage-wide reads and upkeep of the PostgreSQL engine: the timeline's span of
time and the rows to re-embed after a change of embedding model. Each takes a
connection of a transaction the caller holds (:class:`PostgresDatabase`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from storage.kinds import Kind
from storage.postgres.db import Connection
from storage.postgres.vectors import ensure_index
from storage.timeline import READ, Span


def timeline_between(conn: Connection, span: Span, *, frames: int, limit: int) -> dict[str, Any]:
    """Up to ``frames`` screenshots and ``limit`` messages and events in ``span``,
    oldest first, and how many of each it holds (``counts``): the same dicts as the
    SQLite engine's (:mod:`storage.timeline`)."""
    out: dict[str, Any] = {"counts": {}}
    for what, (table, at, columns) in READ.items():
        where = f"{at} >= %s AND {at} <= %s AND deleted_at IS NULL"
        out[what] = conn.execute(
            f"SELECT {columns} FROM {table} WHERE {where} ORDER BY {at}, rowid LIMIT %s",
            (span.since, span.until, frames if what == "screenshots" else limit),
        ).fetchall()
        row = conn.execute(
            f"SELECT count(*) AS n FROM {table} WHERE {where}", (span.since, span.until)
        ).fetchone()
        out["counts"][what] = int(row["n"]) if row else 0
    return out


def other_width_count(conn: Connection, kind: Kind, widths: Sequence[int]) -> int:
    """Rows of ``kind`` (deleted ones too: a restore brings them back) whose vector
    is none of ``widths`` wide, i.e. was made by another embedding model."""
    row = conn.execute(
        f"SELECT count(*) AS n FROM {kind.table} WHERE embedding IS NOT NULL "
        "AND NOT vector_dims(embedding) = ANY(%s)",
        (list(widths),),
    ).fetchone()
    return int(row["n"]) if row else 0


def other_width_batch(
    conn: Connection, kind: Kind, dim: int, after_rowid: int, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` rows whose vector is not ``dim`` wide after ``after_rowid``,
    in rowid order, whole."""
    return conn.execute(
        f"SELECT * FROM {kind.table} WHERE embedding IS NOT NULL "
        "AND vector_dims(embedding) <> %s AND rowid > %s ORDER BY rowid LIMIT %s",
        (dim, after_rowid, limit),
    ).fetchall()


def set_embeddings(
    conn: Connection, kind: Kind, rows: Sequence[tuple[int, bytes, bytes | None]]
) -> None:
    """(rowid, float32 embedding bytes, chunk embeddings) of re-embedded rows; the
    chunk embeddings only for screenshots. Not an edit: no version or history."""
    if not rows:
        return
    vectors = [
        (rowid, np.frombuffer(blob, dtype=np.float32), chunks) for rowid, blob, chunks in rows
    ]
    for dim in {len(v) for _, v, _ in vectors}:
        ensure_index(conn, kind, dim)
    cursor = conn.cursor()
    if kind.table == "screenshots":
        cursor.executemany(
            "UPDATE screenshots SET embedding = %s, chunk_embeddings = %s WHERE rowid = %s",
            [(v, chunks, rowid) for rowid, v, chunks in vectors],
        )
    else:
        cursor.executemany(
            f"UPDATE {kind.table} SET embedding = %s WHERE rowid = %s",
            [(v, rowid) for rowid, v, _ in vectors],
        )
