"""The PostgreSQL engine's search primitives
(:class:`storage.interface.SearchPrimitives`): ``ts_rank`` over the weighted
``search_tsv`` for keywords, pgvector's HNSW indexes for meaning, and row reads,
all on one read-only snapshot. The vector rankings are shared between a second
connection that reads the same snapshot, from the start, and the search's own
once its keyword rankings are done (as the SQLite engine ranks its vectors on a
second core). The fusion on top is the engines' shared
one (:mod:`storage.search`)."""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from storage.interface import FoundRow, Scored, TermCounts, Vector, VectorRequest, Where
from storage.kinds import Kind, kind_named, public_value
from storage.postgres.db import Connection, PostgresDatabase
from storage.postgres.rows import ProvenanceRepository
from storage.postgres.text import TermBudget, tsquery_sql
from storage.postgres.vectors import EXACT_WITHIN, nearest
from storage.records import SourceKind, SourceRef

TERM_COUNT_CAP = 10_000


class PostgresSearch:
    """Search primitives, each search on a read snapshot of its own."""

    def __init__(self, db: PostgresDatabase) -> None:
        self._db = db
        self.budget = TermBudget()
        self._widths: set[int] = set()
        self._beside = ThreadPoolExecutor(max_workers=8, thread_name_prefix="pg-vectors")

    @contextlib.contextmanager
    def searching(self) -> Iterator[PostgresSearchSession]:
        with self._db.reading() as conn:
            yield PostgresSearchSession(self._db, conn, self.budget, self._widths, self._beside)

    def widths_searched(self) -> tuple[int, ...]:
        """The widths of the query vectors so far (rows of others are left out)."""
        return tuple(sorted(self._widths))


class Done:
    """A result already computed (:class:`storage.interface.Pending`)."""

    def __init__(self, value: dict[str, Scored]) -> None:
        self._value = value

    def result(self) -> dict[str, Scored]:
        return self._value


def _rank(conn: Connection, name: str, request: VectorRequest) -> Scored:
    kind = kind_named(name)
    clause, params = where_sql(kind, request.where)
    return nearest(
        conn,
        kind,
        np.asarray(request.vector, dtype=np.float32),
        depth=request.depth,
        clause=clause,
        params=tuple(params),
        exact_within=max(request.exact_within, EXACT_WITHIN),
    )


class Shared:
    """Vector rankings shared out between the search's own connection and one
    beside it (:class:`storage.interface.Pending`): the one beside takes kinds
    from the queue while the search's own ranks the keywords; when the search asks
    for the result, its own connection takes what is left, so neither waits while
    a kind is unranked (on two cores the keyword and vector sides are rarely of
    one length)."""

    def __init__(
        self,
        requests: Mapping[str, VectorRequest],
        rank_here: Callable[[str, VectorRequest], Scored],
    ) -> None:
        self._todo = deque(requests.items())
        self._lock = threading.Lock()
        self._done: dict[str, Scored] = {}
        self._rank_here = rank_here
        self.beside: Future[None] | None = None

    def work(self, rank: Callable[[str, VectorRequest], Scored]) -> None:
        """Rank kinds from the queue with ``rank`` until none is left."""
        while True:
            with self._lock:
                if not self._todo:
                    return
                name, request = self._todo.popleft()
            ranked = rank(name, request)
            with self._lock:
                self._done[name] = ranked

    def result(self) -> dict[str, Scored]:
        self.work(self._rank_here)
        if self.beside is not None:
            self.beside.result()
        with self._lock:
            return dict(self._done)


class PostgresSearchSession:
    def __init__(
        self,
        db: PostgresDatabase,
        conn: Connection,
        budget: TermBudget,
        widths: set[int],
        beside: ThreadPoolExecutor,
    ) -> None:
        self._db = db
        self._conn = conn
        self._budget = budget
        self._widths = widths
        self._beside = beside

    def vector_rankings(self, requests: Mapping[str, VectorRequest]) -> Done | Shared:
        """The server ranks them (HNSW; the filters go into the same query), shared
        between a second connection reading this one's snapshot, which starts now,
        and this one once it has ranked the keywords (:class:`Shared`): at 10^6 rows
        of 1,280-wide vectors a search's five vector rankings took about 40 ms of
        the server's time, its keywords 15-35. All here, in turn, when the pool has
        no connection free."""
        self._widths.update(len(request.vector) for request in requests.values())
        spare = self._db.spare() if requests else None
        if spare is None:
            return Done({name: _rank(self._conn, name, r) for name, r in requests.items()})
        shared = Shared(requests, lambda name, request: _rank(self._conn, name, request))
        try:
            row = self._conn.execute("SELECT pg_export_snapshot() AS id").fetchone()
            assert row is not None
            shared.beside = self._beside.submit(self._rank_beside, spare, str(row["id"]), shared)
        except BaseException:
            self._db.give_back(spare)
            raise
        return shared

    def _rank_beside(self, conn: Connection, snapshot: str, shared: Shared) -> None:
        try:
            with self._db.reading_snapshot(conn, snapshot) as reading:
                shared.work(lambda name, request: _rank(reading, name, request))
        finally:
            self._db.give_back(conn)

    def keyword_ranking(
        self,
        kind: Kind,
        terms: Sequence[str],
        *,
        where: Where,
        depth: int,
        weights: tuple[float, float],
    ) -> Scored:
        terms = self._budget.plan(self._conn, kind.table, terms)
        if not terms:
            return []
        query, qparams = tsquery_sql(terms)
        clause, params = where_sql(kind, where)
        extra = f" AND {clause}" if clause else ""
        # ts_rank's weights are {D, C, B, A}, each at most 1: the context is in D, the
        # row's own text in A, their ratio as asked. Normalisation 1 divides by 1 + the
        # log of the row's length, as BM25 weighs a match in a short row above one in
        # a long row that says more besides (unnormalised, a long row that repeats a
        # term, as CJK text does its characters, outranks the row that is about it).
        top = max(*weights, 1e-9)
        own, context = (min(w / top, 1.0) for w in weights)
        rows = self._conn.execute(
            f"""SELECT t.rowid, ts_rank(%s::float4[], t.search_tsv, w.q, 1) AS rank
                FROM {kind.table} t, (SELECT {query} AS q) w
                WHERE t.search_tsv @@ w.q AND t.deleted_at IS NULL{extra}
                ORDER BY rank DESC, t.rowid LIMIT %s""",
            ([context, 0.0, 0.0, own], *qparams, *params, depth),
        ).fetchall()
        return [(int(r["rowid"]), float(r["rank"])) for r in rows]

    def term_counts(self, kind: Kind, terms: Sequence[str], rowids: Sequence[int]) -> TermCounts:
        total = self._scalar(f"SELECT count(*) FROM {kind.table}")
        docs: dict[str, int] = {}
        holders: dict[str, set[int]] = {}
        for term in terms:
            query, qparams = tsquery_sql([term])
            docs[term] = self._scalar(
                f"SELECT count(*) FROM (SELECT FROM {kind.table} t, (SELECT {query} AS q) w "
                f"WHERE t.search_tsv @@ w.q AND t.deleted_at IS NULL LIMIT {TERM_COUNT_CAP}) m",
                qparams,
            )
            holders[term] = {
                int(r["rowid"])
                for r in self._conn.execute(
                    f"SELECT t.rowid FROM {kind.table} t, (SELECT {query} AS q) w "
                    "WHERE t.search_tsv @@ w.q AND t.rowid = ANY(%s)",
                    (*qparams, list(rowids)),
                )
            }
        return TermCounts(total, docs, holders)

    def chunk_vectors(self, kind: Kind, rowids: Sequence[int], dim: int) -> dict[int, Vector]:
        if kind.name != "screenshot" or dim <= 0:
            return {}
        out: dict[int, Vector] = {}
        for r in self._conn.execute(
            f"SELECT rowid, chunk_embeddings FROM {kind.table} "
            "WHERE chunk_embeddings IS NOT NULL AND rowid = ANY(%s)",
            (sorted(set(rowids)),),
        ):
            blob = bytes(r["chunk_embeddings"])
            if blob and len(blob) % (2 * dim) == 0:
                out[int(r["rowid"])] = (
                    np.frombuffer(blob, dtype="<f2").reshape(-1, dim).astype(np.float32)
                )
        return out

    def image_ranking(self, kind: Kind, vector: Vector, *, where: Where, depth: int) -> Scored:
        """Exact cosine over the image embeddings of the same width (CLIP vectors are
        few: only frames embedded with a CLIP checkpoint have one)."""
        if kind.name != "screenshot":
            return []
        clause, params = where_sql(kind, where)
        extra = f" AND {clause}" if clause else ""
        width = int(vector.shape[0]) * 4
        rows = self._conn.execute(
            f"SELECT t.rowid, t.image_embedding FROM {kind.table} t "
            f"WHERE t.image_embedding IS NOT NULL AND length(t.image_embedding) = %s "
            f"AND t.deleted_at IS NULL{extra} ORDER BY t.rowid",
            (width, *params),
        ).fetchall()
        if not rows:
            return []
        matrix = np.frombuffer(b"".join(bytes(r["image_embedding"]) for r in rows), np.float32)
        scores = matrix.reshape(len(rows), -1) @ vector
        order = np.argsort(-scores, kind="stable")[:depth]
        return [(int(rows[i]["rowid"]), float(scores[i])) for i in order]

    def values(self, kind: Kind, rowids: Sequence[int], column: str) -> dict[int, Any]:
        if column not in kind.field_names and column not in ("id", "device", kind.time_column):
            raise KeyError(column)
        return {
            int(r["rowid"]): r["value"]
            for r in self._conn.execute(
                f"SELECT rowid, {column} AS value FROM {kind.table} WHERE rowid = ANY(%s)",
                (sorted(set(rowids)),),
            )
        }

    def known_actors(self) -> frozenset[str]:
        """Every search asks (a query naming one person), so the names are read by
        hopping from one to the next in the speaker and actor indexes: as many
        lookups as there are names, not a pass over every message and event."""
        rows = self._conn.execute(
            f"WITH RECURSIVE {_distinct('speakers', 'messages', 'speaker')}, "
            f"{_distinct('actors', 'episodic', 'actor')} "
            "SELECT name FROM speakers WHERE name IS NOT NULL "
            "UNION SELECT name FROM actors WHERE name IS NOT NULL"
        ).fetchall()
        return frozenset(str(r["name"]).casefold() for r in rows if str(r["name"]).strip())

    def rows(self, kind: Kind, rowids: Sequence[int]) -> dict[int, FoundRow]:
        secret = set(kind.secret_fields)
        # The columns a hit shows, not the row's vectors and index entry (a
        # 1,280-wide vector is 5 KB, read from TOAST and parsed for nothing).
        wanted = ["rowid", "id", kind.time_column, *(f.name for f in kind.fields)]
        if not kind.is_memory:
            wanted.append("external_id")
        if kind.name == "screenshot":
            wanted.append("device")  # the device that took the frame (its file is there)
        columns = ", ".join(c for c in dict.fromkeys(wanted) if c not in secret)
        found = {
            int(r["rowid"]): r
            for r in self._conn.execute(
                f"SELECT {columns} FROM {kind.table} WHERE rowid = ANY(%s) AND deleted_at IS NULL",
                (sorted(set(rowids)),),
            )
        }
        ids = [r["id"] for r in found.values()]
        if kind.is_memory:
            sources = ProvenanceRepository(self._db, self._conn).sources_of(ids)
        else:
            source_kind: SourceKind = "message" if kind.name == "message" else "screenshot"
            sources = {
                r["id"]: (SourceRef(source_kind, r["id"], r["external_id"]),)
                for r in found.values()
            }
        return {
            rowid: FoundRow(
                id=r["id"],
                at=r[kind.time_column],
                fields={
                    f.name: public_value(f, r[f.name]) for f in kind.fields if f.name not in secret
                }
                # a screenshot names the device that took it (its image file is there)
                | ({"device": r["device"]} if "device" in r else {}),
                sources=sources.get(r["id"], ()),
            )
            for rowid, r in found.items()
        }

    def _scalar(self, sql: str, params: Sequence[object] = ()) -> int:
        row = self._conn.execute(sql, tuple(params)).fetchone()
        assert row is not None
        return int(next(iter(row.values())))


def _distinct(name: str, table: str, column: str) -> str:
    """A recursive CTE ``name(name)`` of the distinct values of ``table.column``,
    each found from the last in the column's index (a loose index scan), then a
    NULL that ends it."""
    return (
        f"{name}(name) AS (SELECT min({column}) FROM {table} UNION ALL "
        f"SELECT (SELECT min({column}) FROM {table} WHERE {column} > p.name) "
        f"FROM {name} p WHERE p.name IS NOT NULL)"
    )


def where_sql(kind: Kind, where: Where) -> tuple[str, list[object]]:
    """The SQL of a search filter over alias ``t``, or ``""``."""
    clauses: list[str] = []
    params: list[object] = []
    if where.since is not None:
        clauses.append(f"t.{kind.time_column} >= %s")
        params.append(where.since)
    if where.until is not None:
        clauses.append(f"t.{kind.time_column} <= %s")
        params.append(where.until)
    if where.app:
        clauses.append("strpos(lower(coalesce(t.app, '')), %s) > 0")
        params.append(where.app.lower())
    return " AND ".join(clauses), params
