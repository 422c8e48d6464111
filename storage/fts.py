"""Turning a user's query into an FTS5 MATCH expression.

Users type questions, not FTS5 syntax: the query is split into words, common
English function words are dropped (they match nearly every row and only add
noise to BM25), and the rest are ORed as quoted terms, so punctuation or an
FTS5 keyword in the query can never be a syntax error. Chinese, Japanese and
Korean runs become character bigrams, as the index holds them (storage.cjk).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass

from storage.cjk import index_form, is_function_token, split_cjk

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
# "What is this player called?", "How was the band named?": the closing verb asks
# for a name; the screen or message that answers shows the name, not that word,
# while "called"/"named" elsewhere ("a hacker called the Puppet Master") is an
# accidental match. Only the question's last word is dropped, so "files named
# budget" or "who called me?" keep it.
_NAMING_QUESTION = re.compile(
    r"^\s*(?:what|what's|whats|how)\b.*?\s(?:called|named)[\s?.!]*$", re.IGNORECASE | re.DOTALL
)
_LAST_WORD = re.compile(r"\w+[\s?.!]*$", re.UNICODE)


INDEX_FORM_SQL = "mirix_index_form"
"""The SQL name of :func:`storage.cjk.index_form`: the full-text indexes read
their columns through it (schema v8), so every connection that writes rows
must have it (:func:`register_index_form`)."""


def register_index_form(conn: sqlite3.Connection) -> None:
    conn.create_function(INDEX_FORM_SQL, 1, _index_form_sql, deterministic=True)


def _index_form_sql(value: str | None) -> str | None:
    return index_form(value) if isinstance(value, str) else value


def without_naming_frame(text: str) -> str:
    """``text`` without the "called"/"named" that closes a question asking for a name."""
    if _NAMING_QUESTION.match(text.replace("\u2019", "'")):
        return _LAST_WORD.sub("", text)
    return text


def query_terms(query: str) -> list[str]:
    """The words of ``query`` worth matching, lower-cased, in order, unique."""
    words = [
        part.lower()
        for w in _WORD.findall(_POSSESSIVE.sub("", without_naming_frame(query)))
        for part in split_cjk(w)
    ]
    kept = [w for w in words if w not in STOPWORDS and not is_function_token(w)] or words
    seen: set[str] = set()
    out: list[str] = []
    for w in kept:
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def match_expression(terms: str | list[str]) -> str | None:
    """An FTS5 MATCH string ORing the terms, or None if there are none."""
    words = query_terms(terms) if isinstance(terms, str) else terms
    if not words:
        return None
    return " OR ".join(_quoted(t) for t in words)


def _quoted(term: str) -> str:
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
            (_quoted(term), self.budget + 1),
        ).fetchone()
        count = int(row[0])
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts.clear()
            self._counts[key] = (count, size)
        return count


def _max_rowid(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()[0])
