"""Vectors in PostgreSQL: pgvector columns and their HNSW indexes.

A table's ``embedding`` column is a ``vector`` of no fixed width, because the
embedder may change (MiniLM's 384, USE's 512) and ``reindex`` replaces the
vectors row by row. HNSW needs one width, so each width in use gets a partial
index of its own over the live rows, ``(embedding::vector(N))`` where
``vector_dims(embedding) = N``, made when the first vector of that width is
written (:func:`ensure_index`) and used by :func:`nearest`, whose query repeats
the index's predicate. Vectors are normalised, so cosine similarity is one
minus pgvector's cosine distance.
"""

from __future__ import annotations

import threading
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from storage.kinds import Kind

_known: set[tuple[str, str, int]] = set()
_known_lock = threading.Lock()

EF_SEARCH = 100
"""Candidates HNSW keeps while it searches; more for a filtered search, whose
filter is applied to what the index returns."""
EF_SEARCH_FILTERED = 400


def index_name(kind: Kind, dim: int) -> str:
    return f"{kind.table}_vec_{dim}"


def ensure_index(conn: Any, kind: Kind, dim: int) -> None:
    """The HNSW index of ``kind``'s vectors of width ``dim`` (made once, in the
    caller's transaction, under a lock so two devices never make it twice)."""
    database = str(conn.info.dbname)
    key = (database, kind.table, dim)
    with _known_lock:
        if key in _known:
            return
    name = index_name(kind, dim)
    exists = conn.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", (name,)).fetchone()
    if exists is None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (zlib.crc32(name.encode()),))
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {kind.table} "
            f"USING hnsw ((embedding::vector({dim})) vector_cosine_ops) "
            f"WHERE vector_dims(embedding) = {dim} AND deleted_at IS NULL"
        )
    with _known_lock:
        _known.add(key)


def nearest(
    conn: Any,
    kind: Kind,
    vector: npt.NDArray[np.float32],
    *,
    depth: int,
    clause: str = "",
    params: tuple[object, ...] = (),
) -> list[tuple[int, float]]:
    """(rowid, cosine similarity) of the ``depth`` live rows nearest ``vector`` among
    those of its width that pass ``clause`` (SQL over alias ``t``), best first."""
    dim = int(vector.shape[0])
    cast = f"t.embedding::vector({dim})"
    extra = f" AND {clause}" if clause else ""
    conn.execute(f"SET LOCAL hnsw.ef_search = {EF_SEARCH_FILTERED if clause else EF_SEARCH}")
    rows = conn.execute(
        f"SELECT t.rowid, {cast} <=> %s::vector({dim}) AS distance FROM {kind.table} t "
        f"WHERE vector_dims(t.embedding) = {dim} AND t.deleted_at IS NULL{extra} "
        f"ORDER BY distance LIMIT %s",
        (vector, *params, depth),
    ).fetchall()
    return [(int(_get(r, 0, "rowid")), 1.0 - float(_get(r, 1, "distance"))) for r in rows]


def _get(row: Any, index: int, name: str) -> Any:
    return row[name] if isinstance(row, dict) else row[index]
