"""Hybrid search: FTS5 BM25 and vector cosine per kind, fused by reciprocal
rank fusion (RRF), then merged across kinds.

Within a kind, a row's fused score is ``sum(w / (k + rank))`` over the ranked
lists it appears in. Across kinds, fused scores are comparable because every
kind's lists are built and weighted the same way.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from storage.db import Database
from storage.fts import match_expression
from storage.kinds import Kind, display_text
from storage.records import Hit
from storage.rows import RowStore
from storage.vectors import VectorIndexes


@dataclass(frozen=True, kw_only=True)
class SearchParams:
    rrf_k: float = 60.0
    depth: int = 50
    """How many candidates each ranked list contributes."""
    text_weight: float = 1.0
    vector_weight: float = 1.0


@dataclass(frozen=True, kw_only=True)
class Query:
    text: str
    vector: npt.NDArray[np.float32] | None = None
    kinds: tuple[Kind, ...]
    since: str | None = None
    until: str | None = None
    limit: int = 10


class HybridSearch:
    def __init__(
        self,
        db: Database,
        stores: dict[str, RowStore],
        vectors: VectorIndexes,
        params: SearchParams | None = None,
    ) -> None:
        self._db = db
        self._stores = stores
        self._vectors = vectors
        self.params = params or SearchParams()

    def run(self, query: Query) -> list[Hit]:
        with self._db.reading() as conn:
            fused: list[tuple[float, Kind, int, tuple[str, ...]]] = []
            for kind in query.kinds:
                for rowid, (score, via) in self._fuse_kind(conn, kind, query).items():
                    fused.append((score, kind, rowid, via))
            fused.sort(key=lambda item: (-item[0], item[1].name, item[2]))
            # Fetch spare candidates: collapsing duplicates may drop some.
            hits = _collapse_same_sources(self._hits(conn, fused[: 2 * query.limit]))
            return hits[: query.limit]

    def text_ranking(self, conn: sqlite3.Connection, kind: Kind, query: Query) -> list[int]:
        expression = match_expression(query.text)
        if expression is None:
            return []
        where, params = _time_filter(kind, query)
        rows = conn.execute(
            f"""SELECT f.rowid FROM {kind.table}_fts f
                JOIN {kind.table} t ON t.rowid = f.rowid
                WHERE {kind.table}_fts MATCH ? {where}
                ORDER BY f.rank LIMIT ?""",
            (expression, *params, self.params.depth),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def vector_ranking(self, conn: sqlite3.Connection, kind: Kind, query: Query) -> list[int]:
        if query.vector is None:
            return []
        index = self._vectors.get(conn, kind)
        matches = index.search(
            query.vector, self.params.depth, since=query.since, until=query.until
        )
        return [int(r) for r in matches.rowids]

    def _fuse_kind(
        self, conn: sqlite3.Connection, kind: Kind, query: Query
    ) -> dict[int, tuple[float, tuple[str, ...]]]:
        p = self.params
        out: dict[int, tuple[float, tuple[str, ...]]] = {}
        lists = (
            ("text", p.text_weight, self.text_ranking(conn, kind, query)),
            ("vector", p.vector_weight, self.vector_ranking(conn, kind, query)),
        )
        for name, weight, ranking in lists:
            for rank, rowid in enumerate(ranking, start=1):
                score, via = out.get(rowid, (0.0, ()))
                out[rowid] = (score + weight / (p.rrf_k + rank), (*via, name))
        return out

    def _hits(
        self, conn: sqlite3.Connection, fused: list[tuple[float, Kind, int, tuple[str, ...]]]
    ) -> list[Hit]:
        by_kind: dict[str, list[int]] = {}
        for _, kind, rowid, _ in fused:
            by_kind.setdefault(kind.name, []).append(rowid)
        rows: dict[tuple[str, int], sqlite3.Row] = {}
        for name, rowids in by_kind.items():
            table = self._stores[name].kind.table
            marks = ",".join("?" * len(rowids))
            for r in conn.execute(
                f"SELECT * FROM {table} WHERE rowid IN ({marks})", rowids
            ).fetchall():
                rows[(name, r["rowid"])] = r
        sources = {
            name: self._stores[name].sources_for(
                conn, [rows[(name, rid)]["id"] for rid in rowids if (name, rid) in rows]
            )
            for name, rowids in by_kind.items()
        }
        hits: list[Hit] = []
        for score, kind, rowid, via in fused:
            row = rows.get((kind.name, rowid))
            if row is None:  # deleted between ranking and fetch
                continue
            hits.append(
                Hit(
                    type=kind.name,
                    id=row["id"],
                    score=score,
                    text=display_text(kind, {n: row[n] for n in kind.display_fields}),
                    at=row[kind.time_column],
                    sources=sources[kind.name].get(row["id"], ()),
                    matched_by=via,
                )
            )
        return hits


def _collapse_same_sources(hits: list[Hit]) -> list[Hit]:
    """Keep the best hit per set of sources: a raw message and the memory made
    from it alone say the same thing, so the lower one only pushes others out."""
    seen: set[frozenset[tuple[str, str]]] = set()
    out: list[Hit] = []
    for hit in hits:
        key = frozenset((s.kind, s.id) for s in hit.sources)
        if key and key in seen:
            continue
        seen.add(key)
        out.append(hit)
    return out


def _time_filter(kind: Kind, query: Query) -> tuple[str, tuple[str, ...]]:
    clauses: list[str] = []
    params: list[str] = []
    if query.since is not None:
        clauses.append(f"t.{kind.time_column} >= ?")
        params.append(query.since)
    if query.until is not None:
        clauses.append(f"t.{kind.time_column} <= ?")
        params.append(query.until)
    return "".join(f" AND {c}" for c in clauses), tuple(params)
