"""Pieces the vector indexes share: match lists, times, and the table of
(rowid, time) pairs that time filters run on."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from storage.kinds import Kind
from storage.sqlite.db import in_chunks


def to_datetime64(values: list[str]) -> npt.NDArray[np.datetime64]:
    # Stored times are canonical UTC ending in 'Z'; numpy wants them without it.
    return np.array([v[:-1] for v in values], dtype="datetime64[us]")


@dataclass
class VectorMatches:
    rowids: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]

    @classmethod
    def empty(cls) -> VectorMatches:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.float32))


GONE = "gone"
"""``deleted_at`` of a row that no longer exists (deleted for good)."""


def reread(
    conn: sqlite3.Connection, kind: Kind, rowids: list[int]
) -> Iterator[tuple[int, bytes | None, str, str | None]]:
    """Current (rowid, embedding, time, deleted_at) of each rowid, in rowid
    order; a row that no longer exists comes back as deleted (:data:`GONE`)."""
    found: dict[int, tuple[bytes | None, str, str | None]] = {}
    unique = sorted(set(rowids))
    for chunk, marks in in_chunks(unique):
        for r in conn.execute(
            f"SELECT rowid, embedding, {kind.time_column}, deleted_at "
            f"FROM {kind.table} WHERE rowid IN ({marks})",
            chunk,
        ):
            found[r[0]] = (r[1], r[2], r[3])
    for rowid in unique:
        blob, at, deleted = found.get(rowid, (None, "", GONE))
        yield rowid, blob, at, deleted


class RowTimes:
    """Sorted rowids of the indexed rows with their times."""

    def __init__(self) -> None:
        self.rowids = np.zeros(0, dtype=np.int64)
        self.times = np.zeros(0, dtype="datetime64[us]")

    def __len__(self) -> int:
        return len(self.rowids)

    def load(self, conn: sqlite3.Connection, kind: Kind) -> None:
        rows = conn.execute(
            f"SELECT rowid, {kind.time_column} FROM {kind.table} "
            "WHERE deleted_at IS NULL AND embedding IS NOT NULL ORDER BY rowid"
        ).fetchall()
        self.rowids = np.array([r[0] for r in rows], dtype=np.int64)
        self.times = to_datetime64([r[1] for r in rows])

    def update(self, changes: dict[int, str | None]) -> None:
        """Apply a batch: rowid -> new time, or None to drop the row."""
        if not changes:
            return
        changed = np.fromiter(changes, dtype=np.int64, count=len(changes))
        keep = ~np.isin(self.rowids, changed)
        live = [(r, at) for r, at in changes.items() if at is not None]
        rowids = np.concatenate([self.rowids[keep], np.array([r for r, _ in live], np.int64)])
        times = np.concatenate([self.times[keep], to_datetime64([at for _, at in live])])
        order = np.argsort(rowids, kind="stable")
        self.rowids, self.times = rowids[order], times[order]

    def in_range(self, since: str | None, until: str | None) -> npt.NDArray[np.int64]:
        mask = np.ones(len(self.rowids), dtype=bool)
        if since is not None:
            mask &= self.times >= to_datetime64([since])[0]
        if until is not None:
            mask &= self.times <= to_datetime64([until])[0]
        return self.rowids[mask]


# -- rows embedded by another model (``mirix-app reindex``) ---------------------------

_OTHER_WIDTH = "embedding IS NOT NULL AND length(embedding) != ?"


def count_other_width(conn: sqlite3.Connection, kind: Kind, dim: int) -> int:
    """Rows of ``kind`` (deleted ones too: a restore brings them back) whose
    embedding is not ``dim`` wide, i.e. was made by another embedding model."""
    return int(
        conn.execute(
            f"SELECT count(*) FROM {kind.table} WHERE {_OTHER_WIDTH}", (4 * dim,)
        ).fetchone()[0]
    )


def other_width_rows(
    conn: sqlite3.Connection, kind: Kind, dim: int, after_rowid: int, limit: int
) -> list[sqlite3.Row]:
    """Up to ``limit`` such rows after ``after_rowid``, in rowid order, whole."""
    return conn.execute(
        f"SELECT * FROM {kind.table} WHERE {_OTHER_WIDTH} AND rowid > ? ORDER BY rowid LIMIT ?",
        (4 * dim, after_rowid, limit),
    ).fetchall()


def replace_embeddings(
    conn: sqlite3.Connection, *, kind: Kind, rows: list[tuple[int, bytes, bytes | None]]
) -> None:
    """Set (rowid, embedding, chunk embeddings) of re-embedded rows; the chunk
    embeddings only for screenshots. Not an edit: no version, history or time
    changes; the vector indexes follow through the change log."""
    if kind.table == "screenshots":
        conn.executemany(
            "UPDATE screenshots SET embedding = ?, chunk_embeddings = ? WHERE rowid = ?",
            [(vector, chunks, rowid) for rowid, vector, chunks in rows],
        )
    else:
        conn.executemany(
            f"UPDATE {kind.table} SET embedding = ? WHERE rowid = ?",
            [(vector, rowid) for rowid, vector, _ in rows],
        )
