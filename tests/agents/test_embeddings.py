"""agents/embeddings: the real all-MiniLM-L6-v2 loads offline from its PyPI package;
the fake used elsewhere honours the same protocol."""

from __future__ import annotations

import os

import numpy as np
import pytest

from agents.embeddings import MiniLMEmbedder, TextEmbedder, minilm_model_dir
from agents.embeddings._torch import prepare_torch
from tests.fakes import FakeEmbedder


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_the_model_ships_in_a_package_and_loads_offline(minilm: MiniLMEmbedder) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert (minilm_model_dir() / "config.json").is_file()
    sentences = [
        "The cat sat on the mat.",
        "A kitten was sitting on the rug.",
        "Quarterly revenue grew by twelve percent.",
        "我喜欢在周末去公园散步",
    ]
    vectors = minilm.embed(sentences)
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    similar = float(vectors[0] @ vectors[1])
    unrelated = float(vectors[0] @ vectors[2])
    assert similar > unrelated + 0.2


def test_embedding_is_deterministic_and_batch_independent(minilm: MiniLMEmbedder) -> None:
    one = minilm.embed(["hiking in the mountains"])
    many = minilm.embed(["something else", "hiking in the mountains"])
    np.testing.assert_allclose(one[0], many[1], atol=1e-5)
    assert float(one[0] @ minilm.embed(["hiking in the mountains"])[0]) > 0.9999


def test_no_texts_gives_an_empty_matrix_without_loading() -> None:
    fresh = MiniLMEmbedder()
    out = fresh.embed([])
    assert out.shape == (0, 384)
    assert fresh._model is None


def test_prepare_torch_is_idempotent() -> None:
    prepare_torch()
    prepare_torch()
    import torchvision  # importable after prepare_torch, even on a CPU-only torch

    assert torchvision.__version__


@pytest.mark.parametrize("embedder", [FakeEmbedder(), MiniLMEmbedder()], ids=["fake", "minilm"])
def test_embedders_satisfy_the_protocol(embedder: TextEmbedder) -> None:
    assert isinstance(embedder.name, str)
    assert isinstance(embedder.dim, int)
    out = embedder.embed(["a", "b c"])
    assert out.shape == (2, embedder.dim)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_fake_embedder_puts_texts_sharing_words_near() -> None:
    fake = FakeEmbedder()
    a, b, c = fake.embed(["red apple pie", "apple pie recipe", "train timetable"])
    assert float(a @ b) > float(a @ c)
    np.testing.assert_array_equal(fake.vector("same"), fake.vector("same"))
    assert np.isclose(np.linalg.norm(fake.vector("🎉")), 1.0)
