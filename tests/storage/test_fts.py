"""storage/fts.py: query terms, MATCH expressions, and dropping terms too
common to rank cheaply."""

from __future__ import annotations

import pytest

from storage import Query, Storage
from storage.cjk import index_form
from storage.fts import query_terms
from storage.kinds import BY_NAME
from storage.sqlite.fts import TermBudget, TextPlan, match_expression


def test_query_terms_drop_function_words_and_possessives() -> None:
    assert query_terms("When did Caroline's sister go to the Louvre?") == [
        "caroline",
        "sister",
        "go",
        "louvre",
    ]
    assert query_terms("what is it") == ["what", "is", "it"]  # only stopwords: keep them
    assert query_terms("?!") == []


def test_a_question_asking_for_a_name_drops_its_closing_verb() -> None:
    assert query_terms("What is this player called?") == ["player"]
    assert query_terms("what\u2019s the band named") == ["band"]
    assert query_terms("How was the river called ?") == ["river"]
    # elsewhere the word is the user's own
    assert query_terms("Who called me?") == ["called"]
    assert query_terms("files named budget") == ["files", "named", "budget"]
    assert query_terms('What was the piece called "Freedom" about?') == [
        "piece",
        "called",
        "freedom",
        "about",
    ]


def test_match_expression_quotes_every_term() -> None:
    assert match_expression('NEAR "x" OR') == '"near" OR "x"'
    assert match_expression("") is None


def _fill(storage: Storage, n: int) -> None:
    store = storage.memories["semantic"]
    for i in range(n):
        words = ["common"]
        if i % 2 == 0:
            words.append("often")
        if i == 3:
            words.append("rareword")
        store.add({"name": f"item{i}", "summary": " ".join(words)})


@pytest.mark.sqlite_only  # PostgreSQL's budget: tests/storage/postgres/test_search.py
def test_terms_are_kept_from_the_rarest_while_within_budget(storage: Storage) -> None:
    _fill(storage, 12)  # common: 12 rows, often: 6, rareword: 1
    conn = storage._db.read()
    budget = TermBudget(budget=8)
    assert budget.plan(conn, "semantic", ["common", "often", "rareword"]) == TextPlan(
        ["often", "rareword"]
    )
    assert budget.plan(conn, "semantic", ["common", "rareword"]) == TextPlan(["rareword"])
    # even the rarest over budget: no keyword list, the vector side answers
    assert TermBudget(budget=5).plan(conn, "semantic", ["common", "often"]) == TextPlan([])


@pytest.mark.sqlite_only  # PostgreSQL's budget: tests/storage/postgres/test_search.py
def test_small_tables_keep_every_term(storage: Storage) -> None:
    _fill(storage, 4)
    conn = storage._db.read()
    assert TermBudget(budget=5).plan(conn, "semantic", ["common", "rareword"]) == TextPlan(
        ["common", "rareword"]
    )


def test_cjk_runs_are_indexed_and_queried_as_bigrams_and_single_characters() -> None:
    assert index_form("我喜欢猫") == " 我喜 喜欢 欢猫 我 喜 欢 猫 "
    assert index_form("我喜欢猫", unigrams=False) == " 我喜 喜欢 欢猫 "  # schema v11
    assert index_form("買ったiPhone手机壳，很好") == (
        " 買っ った 買 っ た iPhone 手机 机壳 手 机 壳 , 很好 很 好 "
    )
    assert index_form("Ｗｉ－Ｆｉ密码") == "Wi-Fi 密码 密 码 "
    assert index_form("猫") == " 猫 "
    # question words and particles drop out, as English function words do
    assert query_terms("我的猫叫什么？") == ["我的", "的猫", "猫叫", "我", "的", "猫", "叫"]
    assert query_terms("年糕在哪里呢") == ["年糕", "糕在", "年", "糕", "在", "里"]
    assert query_terms("什么？") == ["什么", "什", "么"]  # nothing else: kept
    assert query_terms("iPhone手机壳 and the case") == [
        "iphone", "手机", "机壳", "手", "机", "壳", "case",
    ]  # fmt: skip
    assert query_terms("猫") == ["猫"]
    assert query_terms("서울에 갔어요") == [
        "서울",
        "울에",
        "서",
        "울",
        "에",
        "갔어",
        "어요",
        "갔",
        "어",
        "요",
    ]


def test_a_one_character_word_is_found_inside_a_sentence(storage: Storage) -> None:
    texts = ["提车了！一辆白色的电动车", "周末去救助站领养了一只小猫", "Bought a car"]
    for i, text in enumerate(texts):
        storage.memories["semantic"].add({"name": f"n{i}", "summary": text}, embedding=None)
    for word, expected in (("车", texts[0]), ("猫", texts[1]), ("猫在哪儿？", texts[1])):
        hits = storage.search.run(Query(text=word, kinds=(BY_NAME["semantic"],)))
        assert hits and expected in hits[0].text, (word, [h.text for h in hits])


def test_text_without_cjk_is_indexed_unchanged() -> None:
    for text in ("Caroline's sister went to the Louvre.", "café naïve résumé", ""):
        assert index_form(text) == text
    assert query_terms("When did Caroline's sister go?") == ["caroline", "sister", "go"]
