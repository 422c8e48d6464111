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

EF_SEARCH = 64
"""Candidates HNSW keeps while it searches, as the SQLite engine's graphs do
(usearch's expansion 64), or the depth asked where that is more: pgvector's
HNSW returns at most this many rows. 100 cost a third more at 10^6 rows of
1,280-wide vectors (13-15 ms a kind against 9; tests/bench/search_latency.py).
More for a filtered search, whose filter is applied to what the index returns."""
EF_SEARCH_FILTERED = 400
EF_SEARCH_MAX = 1_000
"""pgvector's bound on ``hnsw.ef_search``."""
EXACT_WITHIN = 20_000
"""A filtered vector ranking compares up to this many rows exactly (tens of
milliseconds) rather than filter what HNSW found."""


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
    exact_within: int = EXACT_WITHIN,
) -> list[tuple[int, float]]:
    """(rowid, cosine similarity) of the ``depth`` live rows nearest ``vector`` among
    those of its width that pass ``clause`` (SQL over alias ``t``), best first.

    HNSW applies a filter to the candidates it found, so a filter that keeps few
    rows (one day out of years) would leave few or none of them: when at most
    ``exact_within`` rows pass it, they are compared exactly instead (found by
    the filter's own indexes; the subquery keeps the planner off the HNSW index)."""
    dim = int(vector.shape[0])
    live = f"vector_dims(t.embedding) = {dim} AND t.deleted_at IS NULL"
    where = f"{live} AND {clause}" if clause else live
    distance = f"t.embedding::vector({dim}) <=> %s::vector({dim})"
    source = f"{kind.table} t WHERE {where}"
    # The rows passing the filter alone are counted, in the filter's own index
    # (the time index, read alone): no heap read per row to see whether it is
    # deleted or has a vector, and no vector_dims(), which reads the whole vector
    # (5 KB from TOAST at 1,280 wide). Deleted rows and rows of another width may
    # only make the count larger, and HNSW answer where an exact scan could have:
    # 20,000 rows of a time range took 33-48 ms to count through the heap at 10^6.
    if clause and _at_most(conn, f"{kind.table} t WHERE {clause}", params, exact_within):
        source = (
            f"(SELECT t.rowid, t.embedding FROM {kind.table} t WHERE {where} OFFSET 0) t WHERE true"
        )
    ef = min(max(EF_SEARCH_FILTERED if clause else EF_SEARCH, depth), EF_SEARCH_MAX)
    conn.execute(f"SET LOCAL hnsw.ef_search = {ef}")
    rows = conn.execute(
        f"SELECT t.rowid, {distance} AS distance FROM {source} ORDER BY distance LIMIT %s",
        (vector, *params, depth),
    ).fetchall()
    return [(int(_get(r, 0, "rowid")), 1.0 - float(_get(r, 1, "distance"))) for r in rows]


def _at_most(conn: Any, source: str, params: tuple[object, ...], limit: int) -> bool:
    """Whether at most ``limit`` rows of ``source`` (FROM ... WHERE ...) pass."""
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT FROM {source} LIMIT %s) m", (*params, limit + 1)
    ).fetchone()
    return int(_get(row, 0, "count")) <= limit


def _get(row: Any, index: int, name: str) -> Any:
    return row[name] if isinstance(row, dict) else row[index]
