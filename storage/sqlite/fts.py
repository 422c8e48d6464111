"""FTS5 for the SQLite engine: the index form function every connection
registers, queries as MATCH expressions, and the term budget that keeps BM25
cheap on large tables."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

from storage.cjk import index_form
from storage.fts import query_terms

INDEX_FORM_SQL = "mirix_index_form"
"""The SQL name of :func:`storage.cjk.index_form`: the full-text indexes read
their columns through it (schema v8), so every connection that writes rows
must have it (:func:`register_index_form`)."""


def register_index_form(conn: sqlite3.Connection) -> None:
    conn.create_function(INDEX_FORM_SQL, 1, _index_form_sql, deterministic=True)


def _index_form_sql(value: str | None) -> str | None:
    return index_form(value) if isinstance(value, str) else value


def match_expression(terms: str | list[str]) -> str | None:
    """An FTS5 MATCH string ORing the terms, or None if there are none."""
    words = query_terms(terms) if isinstance(terms, str) else terms
    if not words:
        return None
    return " OR ".join(quoted(t) for t in words)


def quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


@dataclass(frozen=True)
class TextPlan:
    terms: list[str]

    def expression(self) -> str | None:
        return match_expression(self.terms)


class TermBudget:
    """Keeps BM25 cheap on large tables by bounding the rows it must rank.

    BM25 scores every row a query term matches, so a word found in 100,000 rows
    costs tens of milliseconds while its IDF, and so its say in the ranking, is
    near zero; the vector side still sees the whole query. Terms are kept from
    the rarest up while their matches add up to at most ``budget`` rows; if even
    the rarest is over budget, this table's keyword list is left empty and the
    vector list answers alone. Counting stops at the budget, so planning costs
    at most that many steps per term; counts are cached until the table grows
    by 1 %. Tables smaller than the budget are never pruned.
    """

    def __init__(self, budget: int = 2_000) -> None:
        self.budget = budget
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def plan(self, conn: sqlite3.Connection, table: str, terms: list[str]) -> TextPlan:
        size = _max_rowid(conn, table)
        if size <= self.budget or not terms:
            return TextPlan(terms)
        counts = {t: self._count(conn, table, t, size) for t in terms}
        ranked = sorted(terms, key=lambda t: counts[t])
        kept: list[str] = []
        total = 0
        for term in ranked:
            if total + counts[term] > self.budget:
                break
            kept.append(term)
            total += counts[term]
        return TextPlan([t for t in terms if t in kept])

    def _count(self, conn: sqlite3.Connection, table: str, term: str, size: int) -> int:
        key = (table, term)
        with self._lock:
            cached = self._counts.get(key)
        if cached is not None and size <= cached[1] * 1.01:
            return cached[0]
        row = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table}_fts WHERE {table}_fts MATCH ? LIMIT ?)",
            (quoted(term), self.budget + 1),
        ).fetchone()
        count = int(row[0])
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts.clear()
            self._counts[key] = (count, size)
        return count


def _max_rowid(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()[0])
