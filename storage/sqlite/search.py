"""The SQLite engine's search primitives (:class:`storage.interface.SearchPrimitives`):
FTS5 BM25 for keywords (with a term budget on large tables), the in-memory and
HNSW vector indexes for meaning, and row reads, on one reader connection."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from storage.interface import (
    FoundRow,
    Scored,
    TermCounts,
    Vector,
    VectorRequest,
    Where,
)
from storage.kinds import Kind, kind_named, public_value
from storage.records import SourceRef
from storage.rows import sources_of_memories
from storage.sqlite.db import Database, in_chunks
from storage.sqlite.fts import TermBudget, quoted
from storage.sqlite.tables import column_names
from storage.sqlite.vectors import VectorIndex, VectorIndexes

TERM_COUNT_CAP = 10_000
"""Matches counted per term for a coverage (the IDF hardly moves past it)."""
DEEPER = 20
"""With an app filter the index cannot apply: how many times deeper the overall
list is read before the app's rows are picked from it."""


class SqliteSearch:
    """Search primitives on the reader connection of the calling thread."""

    def __init__(self, db: Database, vectors: VectorIndexes) -> None:
        self._db = db
        self._vectors = vectors
        self._budget = TermBudget()
        self._actors = KnownActors()
        self._columns: dict[str, frozenset[str]] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-search")

    @contextlib.contextmanager
    def searching(self) -> Iterator[SqliteSearchSession]:
        with self._db.reading() as conn:
            yield SqliteSearchSession(self, conn)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class SqliteSearchSession:
    def __init__(self, search: SqliteSearch, conn: sqlite3.Connection) -> None:
        self._s = search
        self._conn = conn

    def _columns(self, kind: Kind) -> frozenset[str]:
        """The table's columns (the schema does not change while the engine is open)."""
        known = self._s._columns.get(kind.table)
        if known is None:
            known = frozenset(column_names(self._conn, kind.table))
            self._s._columns[kind.table] = known
        return known

    # -- vectors ---------------------------------------------------------------------

    def vector_rankings(self, requests: Mapping[str, VectorRequest]) -> VectorRankings:
        """The index work (numpy, no SQLite once the indexes are in step) runs on a
        second core while this thread ranks the keywords."""
        conn = self._conn
        plans: dict[str, tuple[VectorIndex, VectorRequest, list[int] | None]] = {}
        for name, request in requests.items():
            kind = kind_named(name)
            index = self._s._vectors.get(conn, kind, len(request.vector))
            among = (
                rowids_within(conn, kind, request.where, request.exact_within)
                if request.where.app
                else None
            )
            plans[name] = (index, request, among)
        future = self._s._pool.submit(self._search_indexes, plans)
        return VectorRankings(future, self, plans)

    def _search_indexes(
        self, plans: Mapping[str, tuple[VectorIndex, VectorRequest, list[int] | None]]
    ) -> dict[str, Scored]:
        out: dict[str, Scored] = {}
        with self._s._vectors.searching():  # no sync may change a matrix mid-search
            for name, (index, request, among) in plans.items():
                where = request.where
                if among is not None:
                    matches = index.among(
                        request.vector, request.depth, np.array(among, dtype=np.int64)
                    )
                else:
                    wanted = request.depth * DEEPER if where.app else request.depth
                    matches = index.search(
                        request.vector, wanted, since=where.since, until=where.until
                    )
                out[name] = [
                    (int(r), float(s)) for r, s in zip(matches.rowids, matches.scores, strict=True)
                ]
        return out

    # -- keywords --------------------------------------------------------------------

    def keyword_ranking(
        self,
        kind: Kind,
        terms: Sequence[str],
        *,
        where: Where,
        depth: int,
        weights: tuple[float, float],
    ) -> Scored:
        expression = self._s._budget.plan(self._conn, kind.table, list(terms)).expression()
        if expression is None:
            return []
        clause, params = _filter(kind, where)
        if clause:
            # CROSS JOIN keeps the FTS index as the outer loop; a plain JOIN lets
            # the planner scan the whole table and probe the index per row.
            source = f"{kind.table}_fts f CROSS JOIN {kind.table} t ON t.rowid = f.rowid"
            clause = f"AND {clause}"
        else:
            source = f"{kind.table}_fts f"  # no join: it costs a row lookup per match
        rows = self._conn.execute(
            f"""SELECT f.rowid, bm25({kind.table}_fts, ?, ?) AS rank FROM {source}
                WHERE {kind.table}_fts MATCH ? {clause}
                ORDER BY rank LIMIT ?""",
            (*weights, expression, *params, depth),
        ).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def term_counts(self, kind: Kind, terms: Sequence[str], rowids: Sequence[int]) -> TermCounts:
        conn = self._conn
        total = int(conn.execute(f"SELECT count(*) FROM {kind.table}").fetchone()[0])
        docs: dict[str, int] = {}
        holders: dict[str, set[int]] = {}
        for term in terms:
            docs[term] = int(
                conn.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM {kind.table}_fts "
                    f"WHERE {kind.table}_fts MATCH ? LIMIT {TERM_COUNT_CAP})",
                    (quoted(term),),
                ).fetchone()[0]
            )
            holders[term] = set()
            for chunk, marks in in_chunks(list(rowids)):
                holders[term].update(
                    int(r[0])
                    for r in conn.execute(
                        f"SELECT rowid FROM {kind.table}_fts WHERE {kind.table}_fts MATCH ? "
                        f"AND rowid IN ({marks})",
                        (quoted(term), *chunk),
                    )
                )
        return TermCounts(total, docs, holders)

    # -- screenshots' chunk and image vectors -----------------------------------------

    def chunk_vectors(self, kind: Kind, rowids: Sequence[int], dim: int) -> dict[int, Vector]:
        if "chunk_embeddings" not in self._columns(kind):
            return {}
        out: dict[int, Vector] = {}
        for chunk, marks in in_chunks(sorted(set(rowids))):
            for rowid, blob in self._conn.execute(
                f"SELECT rowid, chunk_embeddings FROM {kind.table} "
                f"WHERE chunk_embeddings IS NOT NULL AND rowid IN ({marks})",
                chunk,
            ):
                if dim > 0 and len(blob) % (2 * dim) == 0 and blob:
                    rows = np.frombuffer(blob, dtype="<f2").reshape(-1, dim)
                    out[int(rowid)] = rows.astype(np.float32)
        return out

    def image_ranking(self, kind: Kind, vector: Vector, *, where: Where, depth: int) -> Scored:
        if "image_embedding" not in self._columns(kind):
            return []
        clause, params = _filter(kind, where)
        rows = self._conn.execute(
            f"SELECT rowid, image_embedding FROM {kind.table} t "
            f"WHERE image_embedding IS NOT NULL AND deleted_at IS NULL "
            f"{'AND ' + clause if clause else ''} ORDER BY rowid",
            params,
        ).fetchall()
        if not rows:
            return []
        dim = len(rows[0][1]) // 4
        if dim != vector.shape[0]:
            return []  # embeddings from another CLIP model: not comparable
        keep = [r for r in rows if len(r[1]) == dim * 4]
        matrix = np.frombuffer(b"".join(r[1] for r in keep), dtype=np.float32)
        scores = matrix.reshape(len(keep), dim) @ vector
        order = np.argsort(-scores, kind="stable")[:depth]
        return [(int(keep[i][0]), float(scores[i])) for i in order]

    # -- rows ------------------------------------------------------------------------

    def values(self, kind: Kind, rowids: Sequence[int], column: str) -> dict[int, Any]:
        if column not in self._columns(kind):
            raise KeyError(column)
        out: dict[int, Any] = {}
        for chunk, marks in in_chunks(sorted(set(rowids))):
            for rowid, value in self._conn.execute(
                f"SELECT rowid, {column} FROM {kind.table} WHERE rowid IN ({marks})", chunk
            ):
                out[int(rowid)] = value
        return out

    def known_actors(self) -> frozenset[str]:
        return self._s._actors.current(self._conn)

    def rows(self, kind: Kind, rowids: Sequence[int]) -> dict[int, FoundRow]:
        secret = set(kind.secret_fields)
        # The columns a hit shows, not the row's vectors (a 1,280-wide one is 5 KB,
        # copied out for nothing).
        wanted = ["rowid", "id", kind.time_column, *(f.name for f in kind.fields)]
        columns = ", ".join(c for c in dict.fromkeys(wanted) if c not in secret)
        found: dict[int, sqlite3.Row] = {}
        for chunk, marks in in_chunks(sorted(set(rowids))):
            for r in self._conn.execute(
                f"SELECT {columns} FROM {kind.table} WHERE rowid IN ({marks})", chunk
            ):
                found[int(r["rowid"])] = r
        sources = sources_for(self._conn, kind, [r["id"] for r in found.values()])
        return {
            rowid: FoundRow(
                id=r["id"],
                at=r[kind.time_column],
                fields={
                    f.name: public_value(f, r[f.name]) for f in kind.fields if f.name not in secret
                },
                sources=sources.get(r["id"], ()),
            )
            for rowid, r in found.items()
        }


class VectorRankings:
    """The vector lists being ranked; an app filter the index could not apply is
    applied here, on the calling thread's connection."""

    def __init__(
        self,
        future: Future[dict[str, Scored]],
        session: SqliteSearchSession,
        plans: Mapping[str, tuple[VectorIndex, VectorRequest, list[int] | None]],
    ) -> None:
        self._future = future
        self._session = session
        self._plans = plans
        self._result: dict[str, Scored] | None = None

    def result(self) -> dict[str, Scored]:
        if self._result is None:
            ranked = self._future.result()
            for name, (index, request, among) in self._plans.items():
                scored = ranked.get(name, [])
                if request.where.app and among is None:
                    allowed = filtered_rowids(
                        self._session._conn, index.kind, request.where, [r for r, _ in scored]
                    )
                    scored = [(r, s) for r, s in scored if r in allowed]
                ranked[name] = scored[: request.depth]
            self._result = ranked
        return self._result


class KnownActors:
    """The people who appear as speakers or actors, re-read when rows are added."""

    def __init__(self) -> None:
        self._names: frozenset[str] = frozenset()
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def current(self, conn: sqlite3.Connection) -> frozenset[str]:
        stamp = conn.execute(
            "SELECT (SELECT coalesce(max(rowid), 0) FROM messages), "
            "(SELECT coalesce(max(rowid), 0) FROM episodic)"
        ).fetchone()
        key = (int(stamp[0]), int(stamp[1]))
        with self._lock:
            if key != self._stamp:
                rows = conn.execute(
                    "SELECT DISTINCT speaker FROM messages WHERE speaker IS NOT NULL "
                    "UNION SELECT DISTINCT actor FROM episodic WHERE actor IS NOT NULL"
                ).fetchall()
                self._names = frozenset(str(r[0]).casefold() for r in rows if str(r[0]).strip())
                self._stamp = key
            return self._names


# -- filters -------------------------------------------------------------------------


def _filter(kind: Kind, where: Where, alias: str = "t") -> tuple[str, list[object]]:
    """The SQL of ``where`` over ``kind`` (its time column, its app), or ``""``."""
    clauses: list[str] = []
    params: list[object] = []
    if where.since is not None:
        clauses.append(f"{alias}.{kind.time_column} >= ?")
        params.append(where.since)
    if where.until is not None:
        clauses.append(f"{alias}.{kind.time_column} <= ?")
        params.append(where.until)
    if where.app:
        clauses.append(f"instr(lower(coalesce({alias}.app, '')), ?) > 0")
        params.append(where.app.lower())
    return " AND ".join(clauses), params


def filtered_rowids(
    conn: sqlite3.Connection, kind: Kind, where: Where, rowids: Sequence[int]
) -> set[int]:
    """Those of ``rowids`` that pass the filter and are not deleted (looked up by
    rowid: no scan of the whole table for an app filter)."""
    clause, params = _filter(kind, where)
    live = f"t.deleted_at IS NULL{' AND ' + clause if clause else ''}"
    out: set[int] = set()
    for chunk, marks in in_chunks(sorted(set(rowids))):
        out.update(
            int(r[0])
            for r in conn.execute(
                f"SELECT rowid FROM {kind.table} t WHERE rowid IN ({marks}) AND {live}",
                (*chunk, *params),
            )
        )
    return out


def rowids_within(
    conn: sqlite3.Connection, kind: Kind, where: Where, limit: int
) -> list[int] | None:
    """The rowids of every live row that passes the filter, or None when more than
    ``limit`` do. An app filter first finds the app names it matches, then seeks
    them in the ``screenshots_app`` index: no scan of the table (about 5 ms at
    100,000 screenshots)."""
    clause, params = _filter(kind, replace_app(where, None))
    live = f"t.deleted_at IS NULL{' AND ' + clause if clause else ''}"
    if where.app:
        needle = where.app.lower()
        apps = [
            str(r[0])
            for r in conn.execute(f"SELECT DISTINCT app FROM {kind.table} WHERE app IS NOT NULL")
            if needle in str(r[0]).lower()
        ]
        if not apps:
            return []
        live += f" AND t.app IN ({','.join('?' * len(apps))})"
        params = [*params, *apps]
    rows = conn.execute(
        f"SELECT rowid FROM {kind.table} t WHERE {live} LIMIT ?", (*params, limit + 1)
    ).fetchall()
    if len(rows) > limit:
        return None
    return [int(r[0]) for r in rows]


def replace_app(where: Where, app: str | None) -> Where:
    return Where(since=where.since, until=where.until, app=app)


def sources_for(
    conn: sqlite3.Connection, kind: Kind, ids: Sequence[str]
) -> dict[str, tuple[SourceRef, ...]]:
    """Raw sources by item id: a memory's from provenance; a raw source is its own."""
    if kind.is_memory:
        return sources_of_memories(conn, ids)
    out: dict[str, tuple[SourceRef, ...]] = {}
    for chunk, marks in in_chunks(list(ids)):
        for r in conn.execute(
            f"SELECT id, external_id FROM {kind.table} WHERE id IN ({marks})", chunk
        ):
            out[r["id"]] = (
                SourceRef(
                    "message" if kind.name == "message" else "screenshot", r["id"], r["external_id"]
                ),
            )
    return out
