"""storage/fts.py: query terms, MATCH expressions, and dropping terms too
common to rank cheaply."""

from __future__ import annotations

from storage import Storage
from storage.fts import CommonTerms, match_expression, query_terms


def test_query_terms_drop_function_words_and_possessives() -> None:
    assert query_terms("When did Caroline's sister go to the Louvre?") == [
        "caroline",
        "sister",
        "go",
        "louvre",
    ]
    assert query_terms("what is it") == ["what", "is", "it"]  # only stopwords: keep them
    assert query_terms("?!") == []


def test_match_expression_quotes_every_term() -> None:
    assert match_expression('NEAR "x" OR') == '"near" OR "x"'
    assert match_expression("") is None


def _fill(storage: Storage, n: int) -> None:
    store = storage.memories["semantic"]
    for i in range(n):
        summary = "common filler words" + (" rareword" if i == 3 else "")
        store.add({"name": f"item{i}", "summary": summary})


def test_terms_matching_more_rows_than_the_cap_are_dropped(storage: Storage) -> None:
    _fill(storage, 12)
    conn = storage.db.read()
    common = CommonTerms(cap=5)
    assert common.prune(conn, "semantic", ["common", "rareword"]) == ["rareword"]
    # only common terms: the least common one stays, so the query still matches
    assert common.prune(conn, "semantic", ["common", "filler"]) in (["common"], ["filler"])
    assert common.prune(conn, "semantic", ["common"]) == ["common"]


def test_small_tables_keep_every_term(storage: Storage) -> None:
    _fill(storage, 4)
    conn = storage.db.read()
    assert CommonTerms(cap=5).prune(conn, "semantic", ["common", "rareword"]) == [
        "common",
        "rareword",
    ]
