"""Turning a user's query into an FTS5 MATCH expression.

Users type questions, not FTS5 syntax: the query is split into words, common
English function words are dropped (they match nearly every row and only add
noise to BM25), and the rest are ORed as quoted terms, so punctuation or an
FTS5 keyword in the query can never be a syntax error.
"""

from __future__ import annotations

import re
import sqlite3
import threading

_WORD = re.compile(r"\w+", re.UNICODE)

# Function words only: measured on LoCoMo, a longer list (dropping words such
# as "after", "not", "first") loses recall, and none at all loses more.
_STOPWORD_TEXT = """
    a an the and or of to in on at for with by from is are was were be been being
    do does did what when where who whom which why how that this these those it its as
    has have had i you he she they we me him her them my your his their our s
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_POSSESSIVE = re.compile(r"['\u2019]s\b", re.IGNORECASE)


def query_terms(query: str) -> list[str]:
    """The words of ``query`` worth matching, lower-cased, in order, unique."""
    words = [w.lower() for w in _WORD.findall(_POSSESSIVE.sub("", query))]
    kept = [w for w in words if w not in STOPWORDS] or words
    seen: set[str] = set()
    out: list[str] = []
    for w in kept:
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def match_expression(query: str | list[str]) -> str | None:
    """An FTS5 MATCH string ORing the query's terms, or None if it has none."""
    terms = query_terms(query) if isinstance(query, str) else query
    if not terms:
        return None
    return " OR ".join(_quoted(t) for t in terms)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


class CommonTerms:
    """Drops query terms that match too many rows of a large table.

    BM25 ranks every row a term matches, so one word found in 100,000 rows costs
    tens of milliseconds while adding almost nothing to the ranking (its IDF is
    near zero); the vector side still sees the whole query. A term counts as
    common past ``cap`` matching rows; the count stops at the cap, so checking a
    term costs at most ``cap`` steps. Verdicts that a term is common are cached:
    tables grow, so a common term stays common.
    """

    def __init__(self, cap: int = 2000) -> None:
        self.cap = cap
        self._common: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def prune(self, conn: sqlite3.Connection, table: str, terms: list[str]) -> list[str]:
        if len(terms) <= 1 or _max_rowid(conn, table) <= self.cap:
            return terms
        counts: dict[str, int] = {}
        for term in terms:
            with self._lock:
                known_common = (table, term) in self._common
            counts[term] = self.cap + 1 if known_common else self._count(conn, table, term)
            if counts[term] > self.cap:
                with self._lock:
                    self._common.add((table, term))
        kept = [t for t in terms if counts[t] <= self.cap]
        return kept or [min(terms, key=lambda t: counts[t])]

    def _count(self, conn: sqlite3.Connection, table: str, term: str) -> int:
        row = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {table}_fts WHERE {table}_fts MATCH ? LIMIT ?)",
            (_quoted(term), self.cap + 1),
        ).fetchone()
        return int(row[0])


def _max_rowid(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()[0])
