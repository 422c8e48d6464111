"""agents/embeddings/bulk.py and torch_bert.py: many texts are embedded on
worker threads with one BLAS (and torch) thread each, giving the vectors one
``embed`` call gives; the ``auto`` backend runs a bulk job's MiniLM products in
bfloat16 where the CPU has them, within cosine 0.999 of numpy's vectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from agents.embeddings import CombinedEmbedder, MiniLMEmbedder, text_embedder
from agents.embeddings.bulk import embed_many, for_bulk, one_thread_each
from agents.embeddings.text import BULK_BF16_TEXTS, _load_numpy_minilm, bulk_bf16_available
from agents.embeddings.torch_bert import TorchMiniLM
from tests.fakes import CJK_TEXT, EMOJI_TEXT, FakeEmbedder

TEXTS = [
    f"Turn {i}: {'we talked about the trip to Lisbon and ' * (i % 5)}the train left at {i} pm"
    for i in range(150)
] + ["", CJK_TEXT, EMOJI_TEXT]


def test_many_texts_embed_on_workers_as_one_call_would() -> None:
    fake = FakeEmbedder()
    progress: list[tuple[int, int]] = []
    vectors = embed_many(fake, TEXTS, lambda d, t: progress.append((d, t)), workers=2, chunk=16)
    np.testing.assert_array_equal(vectors, fake.embed(TEXTS))
    # every text once, in chunks of like length, progress up to the whole
    embedded = [t for call in fake.calls[:-1] for t in call]
    assert sorted(embedded) == sorted(TEXTS) and max(map(len, fake.calls[:-1])) == 16
    assert progress[-1] == (len(TEXTS), len(TEXTS))
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert embed_many(fake, []).shape == (0, fake.dim)


def test_real_minilm_vectors_do_not_depend_on_the_workers() -> None:
    minilm = MiniLMEmbedder(backend="numpy")
    texts = TEXTS[:40]
    np.testing.assert_allclose(
        embed_many(minilm, texts, workers=2, chunk=7), minilm.embed(texts), atol=1e-5
    )


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_one_thread_each_while_embedding_then_as_before() -> None:
    torch_before, blas_before = torch.get_num_threads(), _blas_threads()
    with one_thread_each():
        assert torch.get_num_threads() == 1
        assert set(_blas_threads()) == {1}
    assert torch.get_num_threads() == torch_before and _blas_threads() == blas_before


def test_bfloat16_products_give_the_float32_vectors() -> None:
    base = _load_numpy_minilm()
    texts = ["The cat sat on the mat.", "", CJK_TEXT, EMOJI_TEXT, TEXTS[4] * 12, TEXTS[7]]
    cosines = np.sum(TorchMiniLM(base).encode(texts) * base.encode(texts), axis=1)
    assert cosines.min() > 0.999, cosines


def test_auto_runs_a_bulk_job_in_bfloat16_where_the_cpu_has_it() -> None:
    auto = MiniLMEmbedder()
    assert for_bulk(auto, BULK_BF16_TEXTS - 1) is auto
    bulk = for_bulk(auto, BULK_BF16_TEXTS)
    assert bulk.backend == ("bf16" if bulk_bf16_available() else "numpy")
    assert (bulk.name, bulk.dim) == (auto.name, auto.dim)
    chosen = MiniLMEmbedder(backend="numpy")  # a backend set by the user is kept
    assert for_bulk(chosen, 10_000) is chosen
    fake = FakeEmbedder()
    assert for_bulk(fake, 10_000) is fake


def test_a_combination_keeps_its_weights_and_readers_in_bulk() -> None:
    combined = text_embedder("minilm+use")
    assert isinstance(combined, CombinedEmbedder)
    bulk = for_bulk(combined, 10_000)
    assert isinstance(bulk, CombinedEmbedder) and bulk.dim == combined.dim
    assert [(w, r) for _, w, r in bulk.parts] == [(w, r) for _, w, r in combined.parts]
    texts = ["my cat is called Niangao", "我的猫叫年糕", "Lisbon train at 6 pm"]
    cosines = np.sum(bulk.embed(texts) * combined.embed(texts), axis=1)
    assert cosines.min() > 0.999, cosines


@pytest.mark.parametrize("count", [1, BULK_BF16_TEXTS])
def test_an_import_sized_job_gives_unit_vectors(count: int) -> None:
    texts = (TEXTS * 2)[:count]
    vectors = embed_many(text_embedder("minilm+use"), texts, chunk=64)
    assert vectors.shape == (count, 384 + 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
