"""Turning a user's query into the terms keyword search matches.

Users type questions, not search syntax: the query is split into words, common
English function words are dropped (they match nearly every row and only add
noise to BM25), and Chinese, Japanese and Korean runs become character bigrams,
as the indexes hold them (storage.cjk). Each engine turns the terms into its own
syntax (SQLite: :mod:`storage.sqlite.fts`), so no query can be a syntax error.
"""

from __future__ import annotations

import re

from storage.cjk import is_function_token, split_cjk

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


def without_naming_frame(text: str) -> str:
    """``text`` without the "called"/"named" that closes a question asking for a name."""
    if _NAMING_QUESTION.match(text.replace("\u2019", "'")):
        return _LAST_WORD.sub("", text)
    return text


def query_terms(query: str, *, fallback: bool = True) -> list[str]:
    """The words of ``query`` worth matching, lower-cased, in order, unique; with
    ``fallback``, a query of function words alone ("what did I do") keeps them."""
    words = [
        part.lower()
        for w in _WORD.findall(_POSSESSIVE.sub("", without_naming_frame(query)))
        for part in split_cjk(w)
    ]
    kept = [w for w in words if w not in STOPWORDS and not is_function_token(w)]
    if not kept and fallback:
        kept = words
    seen: set[str] = set()
    out: list[str] = []
    for w in kept:
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out
