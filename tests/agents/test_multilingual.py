"""agents/embeddings/multilingual.py: USE multilingual and multilingual-e5 from
their PyPI packages, the combined embedder, and the embedder setting."""

from __future__ import annotations

import numpy as np
import pytest

from agents.embeddings import (
    CombinedEmbedder,
    E5Embedder,
    MiniLMEmbedder,
    UseEmbedder,
    embed_queries,
    text_embedder,
)
from agents.errors import AgentError
from storage.cjk import mostly_not_cjk
from tests.fakes import FakeEmbedder


def test_use_reads_chinese_and_matches_a_question_to_its_answer_by_meaning() -> None:
    use = UseEmbedder()
    answers = [
        "周末去动物救助站领养了一只橘色的小猫",
        "下个月调去深圳总部上班了",
        "体检报告出来了，胆固醇偏高",
    ]
    vectors = use.embed(answers)
    assert vectors.shape == (3, use.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # no word of the question is in its answer
    question = use.embed(["我的宠物是从哪儿来的？"])[0]
    assert int(np.argmax(vectors @ question)) == 0
    # and across languages
    english = use.embed(["Where did I get my cat?"])[0]
    assert int(np.argmax(vectors @ english)) == 0


def test_a_combined_vector_s_cosine_is_the_weighted_sum_of_the_parts() -> None:
    a, b = FakeEmbedder(dim=16), FakeEmbedder(dim=8)
    combined = CombinedEmbedder([(a, 3.0, None), (b, 1.0, None)])
    assert combined.dim == 24 and combined.name == "fake-bag-of-words+fake-bag-of-words"
    x, y = "red apple pie", "green apple tart"
    vx, vy = combined.embed([x, y])
    assert np.isclose(np.linalg.norm(vx), 1.0, atol=1e-6)
    expected = 0.75 * float(a.vector(x) @ a.vector(y)) + 0.25 * float(b.vector(x) @ b.vector(y))
    assert np.isclose(float(vx @ vy), expected, atol=1e-6)
    assert combined.embed([]).shape == (0, 24)
    with pytest.raises(ValueError):
        CombinedEmbedder([(a, 0.0, None)])


def test_a_part_that_cannot_read_a_text_leaves_it_to_the_others() -> None:
    a, b = FakeEmbedder(dim=16), FakeEmbedder(dim=8)
    combined = CombinedEmbedder([(a, 0.5, mostly_not_cjk), (b, 0.5, None)])
    zh, en = combined.embed(["我的猫叫年糕", "my cat is called Niangao"])
    assert not np.any(zh[:16]) and np.allclose(zh[16:], b.vector("我的猫叫年糕"), atol=1e-6)
    assert np.isclose(float(np.linalg.norm(en)), 1.0, atol=1e-6)
    assert mostly_not_cjk("下周三把MacBook送去苹果店修键盘") is False
    assert mostly_not_cjk("Meeting notes: 预算 approved for Q3") is True


def test_the_relevance_floor_follows_the_parts_that_read_the_question() -> None:
    english_model, every_language = MiniLMEmbedder(), UseEmbedder()
    combined = CombinedEmbedder([(english_model, 0.9, mostly_not_cjk), (every_language, 0.1, None)])
    minilm, use = english_model.relevance_floor, every_language.relevance_floor
    assert use < minilm  # USE's cosines run higher for unrelated texts too
    # An English question: the cosines are mostly MiniLM's, and so is the floor.
    assert np.isclose(combined.floor_for("when is the vet visit"), 0.9 * minilm + 0.1 * use)
    assert np.isclose(combined.relevance_floor, 0.9 * minilm + 0.1 * use)
    # A Chinese one is compared by USE alone: USE's floor.
    assert np.isclose(combined.floor_for("猫什么时候打疫苗"), use)


def test_e5_matches_a_chinese_question_to_its_answer_in_its_query_form() -> None:
    e5 = E5Embedder()
    answers = [
        "每个星期六上午我在徐汇区图书馆当义工，帮小朋友找绘本",
        "提车了！一辆白色的比亚迪海豚，纯电的",
        "体检报告出来了，胆固醇偏高",
    ]
    passages = e5.embed(answers)
    assert passages.shape == (3, e5.dim) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    questions = embed_queries(e5, ["我周末去哪里做志愿者？", "我买的是什么车？"])
    assert [int(i) for i in np.argmax(questions @ passages.T, axis=1)] == [0, 1]
    # the query form is not the passage form (e5 was trained with both prefixes)
    assert float(questions[1] @ e5.embed(["我买的是什么车？"])[0]) < 0.999


def test_embed_queries_of_an_embedder_without_a_query_form_is_embed() -> None:
    fake = FakeEmbedder(dim=16)
    assert np.array_equal(embed_queries(fake, ["red apple"]), fake.embed(["red apple"]))


def test_e5_reads_cjk_texts_only_and_leaves_english_as_minilm_and_use_compare_it() -> None:
    three = text_embedder("minilm+use+e5", backend="numpy")
    two = text_embedder("minilm+use", backend="numpy")
    assert isinstance(three, CombinedEmbedder) and three.dim == 384 + 512 + 384
    english = ["I adopted an orange kitten", "Where did I get my cat?"]
    a, b = three.embed(english)
    assert not np.any(a[896:])  # e5's block: empty for English
    c, d = two.embed(english)
    assert np.isclose(float(a @ b), float(c @ d), atol=1e-5)  # English ranks as before
    zh = three.embed(["我领养了一只橘色的小猫"])[0]
    assert not np.any(zh[:384]) and np.any(zh[896:])  # MiniLM leaves it to e5 (and USE)
    query = embed_queries(three, ["我的猫是从哪里来的？"])[0]
    assert float(query @ zh) > float(query @ a)


def test_the_embedder_setting_names_the_model() -> None:
    assert isinstance(text_embedder("minilm"), MiniLMEmbedder)
    assert isinstance(text_embedder("use"), UseEmbedder)
    both = text_embedder("minilm+use", backend="numpy")
    assert isinstance(both, CombinedEmbedder) and both.dim == 384 + 512
    assert text_embedder("minilm+use+e5").name.endswith("+multilingual-e5-small")
    with pytest.raises(AgentError, match="embedder must be"):
        text_embedder("bert")
