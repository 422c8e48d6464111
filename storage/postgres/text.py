"""Full-text search in PostgreSQL, in the same tokens as SQLite's index.

A row's ``search_tsv`` holds its own text (weight A) and its context (weight D)
in index form: :func:`storage.cjk.index_form` (CJK runs as character bigrams,
full-width ASCII as ASCII) with diacritics removed (as FTS5's
``remove_diacritics 2``), parsed by the ``english`` configuration (Porter
stemming, as FTS5's ``porter``). A query term (:func:`storage.fts.query_terms`)
goes through the same form, so "café" finds "cafe" and "喜欢" the bigram inside
"我喜欢猫". The form is computed here, in Python, on every write: PostgreSQL
cannot call :mod:`storage.cjk`, and the same code on both sides is what keeps
a word findable.

The bigrams are words to PostgreSQL's parser only where the database's ctype
treats CJK characters as letters (any UTF-8 locale, ``C.UTF-8`` included).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from storage.cjk import index_form

CONFIG = "english"

TSV_SQL = (
    f"setweight(to_tsvector('{CONFIG}', %s), 'A') || setweight(to_tsvector('{CONFIG}', %s), 'D')"
)
"""The ``search_tsv`` of a row from its two index forms (:func:`tsv_params`)."""


def pg_index_form(text: str) -> str:
    """``text`` as the tsvector parser should read it."""
    form = index_form(text)
    if form.isascii():
        return form
    decomposed = unicodedata.normalize("NFKD", form)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tsv_params(search_text: str, context: str) -> tuple[str, str]:
    return pg_index_form(search_text), pg_index_form(context)


def tsquery_sql(terms: Sequence[str]) -> tuple[str, list[str]]:
    """A tsquery ORing ``terms`` (each parsed like the index; a term the parser
    splits, such as ``e-mail``, needs all its parts), with its parameters."""
    parts = " || ".join(f"plainto_tsquery('{CONFIG}', %s)" for _ in terms)
    return f"({parts})", [pg_index_form(t) for t in terms]
