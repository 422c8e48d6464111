"""Hybrid search: FTS5 BM25 and vector cosine per kind, fused by reciprocal
rank fusion (RRF), then merged across kinds.

Within a kind, a row's fused score is ``sum(w / (k + rank))`` over the ranked
lists it appears in. Across kinds, fused scores are comparable because every
kind's lists are built and weighted the same way. The defaults were measured
on LoCoMo (see tests/bench/locomo_retrieval.py): a small k (10) trusts the
top of each list, and the keyword list outweighs the vector list, whose
MiniLM similarities are flatter.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from storage.fts import TermBudget, query_terms
from storage.kinds import Kind, display_text
from storage.records import Hit
from storage.rows import RowStore
from storage.sources import CHAT_PREFIX
from storage.sqlite.db import Database, in_chunks
from storage.sqlite.vectors import VectorIndex, VectorIndexes

Candidate = tuple[float, Kind, int, tuple[str, ...]]


@dataclass(frozen=True, kw_only=True)
class SearchParams:
    rrf_k: float = 10.0
    depth: int = 50
    """How many candidates each ranked list contributes (30 to 200 score the
    same on LoCoMo; fewer is faster on large tables)."""
    text_weight: float = 1.0
    vector_weight: float = 0.5
    own_text_weight: float = 2.0
    """BM25 weight of a row's own text ..."""
    context_weight: float = 0.6
    """... and of its context (date, neighbouring turns)."""
    actor_focus: float = 0.5
    """When a query names exactly one known person, hits done or said by someone
    else are scaled by this (1.0 turns it off): asked about Ann, the answer is
    nearly always in what Ann said or did."""
    chat_turn_weight: float = 0.25
    """Chat turns (questions asked of the assistant, and its answers) are ranked
    among themselves and their fused score scaled by this, so they never push the
    messages and memories they ask about down a place, and a question, which holds
    exactly the words searched again later, comes after any observation ranked in
    about the top 20 of the keyword list. 1.0 ranks them like any message."""


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
        self._budget = TermBudget()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-search")
        self._actors = KnownActors()

    def run(self, query: Query) -> list[Hit]:
        with self._db.reading() as conn:
            # The vector side needs no SQLite once its indexes are in step, so it
            # runs on a second core while this thread ranks with FTS5.
            indexes = (
                {k.name: self._vectors.get(conn, k, len(query.vector)) for k in query.kinds}
                if query.vector is not None
                else {}
            )
            vector_lists = self._pool.submit(self._vector_rankings, indexes, query)
            text_lists = {k.name: self.text_ranking(conn, k, query) for k in query.kinds}
            fused: list[Candidate] = []
            for kind in query.kinds:
                lists = (text_lists[kind.name], vector_lists.result().get(kind.name, []))
                for rowid, (score, via) in self._fuse_kind(conn, kind, *lists).items():
                    fused.append((score, kind, rowid, via))
            if self.params.actor_focus != 1.0:
                fused = self._focus_on_actor(conn, query, fused)
            fused.sort(key=lambda item: (-item[0], item[1].name, item[2]))
            # Fetch spare candidates: collapsing duplicates may drop some.
            hits = _collapse_same_sources(self._hits(conn, fused[: 2 * query.limit]))
            return hits[: query.limit]

    def text_ranking(self, conn: sqlite3.Connection, kind: Kind, query: Query) -> list[int]:
        plan = self._budget.plan(conn, kind.table, query_terms(query.text))
        expression = plan.expression()
        if expression is None:
            return []
        p = self.params
        where, params = _time_filter(kind, query)
        if where:
            # CROSS JOIN keeps the FTS index as the outer loop; a plain JOIN lets
            # the planner scan the whole table and probe the index per row.
            source = f"{kind.table}_fts f CROSS JOIN {kind.table} t ON t.rowid = f.rowid"
        else:
            source = f"{kind.table}_fts f"  # no join: it costs a row lookup per match
        rows = conn.execute(
            f"""SELECT f.rowid FROM {source}
                WHERE {kind.table}_fts MATCH ? {where}
                ORDER BY bm25({kind.table}_fts, ?, ?) LIMIT ?""",
            (expression, *params, p.own_text_weight, p.context_weight, p.depth),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def _vector_rankings(
        self, indexes: dict[str, VectorIndex], query: Query
    ) -> dict[str, list[int]]:
        if query.vector is None:
            return {}
        out: dict[str, list[int]] = {}
        with self._vectors.searching():  # no sync may change a matrix mid-search
            for name, index in indexes.items():
                matches = index.search(
                    query.vector, self.params.depth, since=query.since, until=query.until
                )
                out[name] = [int(r) for r in matches.rowids]
        return out

    def _fuse_kind(
        self, conn: sqlite3.Connection, kind: Kind, text: list[int], vector: list[int]
    ) -> dict[int, tuple[float, tuple[str, ...]]]:
        """One kind's fused scores; chat turns ranked apart, at ``chat_turn_weight``."""
        weight = self.params.chat_turn_weight
        if kind.name != "message" or weight == 1.0:
            return self._fuse(text, vector)
        chat = chat_turns(conn, [*text, *vector])
        if not chat:
            return self._fuse(text, vector)
        fused = self._fuse([r for r in text if r not in chat], [r for r in vector if r not in chat])
        turns = self._fuse([r for r in text if r in chat], [r for r in vector if r in chat])
        fused.update({rowid: (score * weight, via) for rowid, (score, via) in turns.items()})
        return fused

    def _fuse(self, text: list[int], vector: list[int]) -> dict[int, tuple[float, tuple[str, ...]]]:
        p = self.params
        out: dict[int, tuple[float, tuple[str, ...]]] = {}
        for name, weight, ranking in (
            ("text", p.text_weight, text),
            ("vector", p.vector_weight, vector),
        ):
            for rank, rowid in enumerate(ranking, start=1):
                score, via = out.get(rowid, (0.0, ()))
                out[rowid] = (score + weight / (p.rrf_k + rank), (*via, name))
        return out

    def _focus_on_actor(
        self, conn: sqlite3.Connection, query: Query, fused: list[Candidate]
    ) -> list[Candidate]:
        named = self._actors.named_in(conn, query.text)
        if len(named) != 1:
            return fused
        (focus,) = named
        actors: dict[tuple[str, int], str | None] = {}
        for kind in {c[1] for c in fused if c[1].actor_field}:
            rowids = [c[2] for c in fused if c[1] is kind]
            for chunk, marks in in_chunks(rowids):
                for rowid, actor in conn.execute(
                    f"SELECT rowid, {kind.actor_field} FROM {kind.table} WHERE rowid IN ({marks})",
                    chunk,
                ):
                    actors[(kind.name, rowid)] = actor
        factor = self.params.actor_focus
        out: list[Candidate] = []
        for score, kind, rowid, via in fused:
            actor = actors.get((kind.name, rowid))
            if actor and actor.casefold() != focus:
                score *= factor
            out.append((score, kind, rowid, via))
        return out

    def _hits(self, conn: sqlite3.Connection, fused: list[Candidate]) -> list[Hit]:
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


class KnownActors:
    """The people who appear as speakers or actors, re-read when rows are added."""

    def __init__(self) -> None:
        self._names: frozenset[str] = frozenset()
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def named_in(self, conn: sqlite3.Connection, text: str) -> set[str]:
        """The known names (casefolded) that occur in ``text`` as whole words."""
        names = self._current(conn)
        lowered = text.casefold()
        return {n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", lowered) is not None}

    def _current(self, conn: sqlite3.Connection) -> frozenset[str]:
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


def chat_turns(conn: sqlite3.Connection, rowids: list[int]) -> set[int]:
    """Those of the ``messages`` rowids that are chat turns (see ``CHAT_PREFIX``)."""
    out: set[int] = set()
    for chunk, marks in in_chunks(sorted(set(rowids))):
        out.update(
            int(r[0])
            for r in conn.execute(
                f"SELECT rowid FROM messages WHERE rowid IN ({marks}) "
                "AND substr(external_id, 1, ?) = ?",
                (*chunk, len(CHAT_PREFIX), CHAT_PREFIX),
            )
        )
    return out


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
