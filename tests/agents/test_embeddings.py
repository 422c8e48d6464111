"""agents/embeddings: the real all-MiniLM-L6-v2 loads offline from its PyPI package;
the numpy backend (the default) gives sentence-transformers' vectors without
importing torch; the fake used elsewhere honours the same protocol."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from agents import AgentError, open_assistant
from agents.embeddings import MiniLMEmbedder, TextEmbedder, minilm_model_dir
from agents.embeddings._torch import prepare_torch
from agents.embeddings.numpy_bert import gelu
from agents.settings import SettingsError, load_settings, save_setting
from tests.fakes import CJK_TEXT, EMOJI_TEXT, FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
LONG_TEXT = " ".join(
    f"Paragraph {i}: the quarterly report lists revenue, costs and the hiring plan."
    for i in range(40)
)  # about 600 tokens: cut at max_seq_length (256)


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


def test_numpy_backend_is_the_default(minilm: MiniLMEmbedder) -> None:
    assert minilm.backend == "numpy"
    assert minilm.precision == "fp32"


def test_numpy_backend_agrees_with_sentence_transformers(minilm: MiniLMEmbedder) -> None:
    texts = [
        "The cat sat on the mat.",
        "  Leading and trailing SPACES, Mixed Case.  ",
        CJK_TEXT,
        EMOJI_TEXT,
        "",
        LONG_TEXT,
        LONG_TEXT[:700],
    ]
    reference = MiniLMEmbedder(backend="torch", precision="fp32").embed(texts)
    ours = minilm.embed(texts)
    cosines = np.sum(ours * reference, axis=1)
    assert cosines.min() > 0.9999, cosines
    # the truncation really applies: the long text and its first ~256 tokens agree
    assert float(ours[5] @ minilm.embed([LONG_TEXT + " and more words at the end"])[0]) > 0.9999


def test_numpy_vectors_do_not_depend_on_the_batch(minilm: MiniLMEmbedder) -> None:
    texts = ["short", CJK_TEXT, LONG_TEXT, "a medium sentence about hiking in the Alps"]
    together = minilm.embed(texts)
    alone = np.stack([minilm.embed([t])[0] for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    small_batches = MiniLMEmbedder(batch_size=2).embed(list(reversed(texts)))[::-1]
    np.testing.assert_allclose(together, small_batches, atol=1e-5)


def test_gelu_matches_the_erf_definition() -> None:
    x = np.linspace(-12, 12, 100_001, dtype=np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()])
    assert np.abs(gelu(x.copy()) - exact).max() < 2e-6


def test_the_numpy_backend_never_imports_torch(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from agents import open_assistant\n"
        f"app = open_assistant({str(tmp_path / 'd')!r})\n"
        "vector = app.embedder.embed(['does this load torch?', '这会加载 torch 吗？'])\n"
        "assert vector.shape == (2, 384 + 512 + 384)\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules)\n"
        "minilm = app.embedder.parts[0][0]\n"
        "print(minilm.backend, heavy)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("MIRIX_APP_EMBEDDER_BACKEND", None)
    env.pop("MIRIX_APP_EMBEDDER", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "numpy []"


def test_the_setting_picks_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    save_setting(tmp_path, "embedder_backend", "torch")
    save_setting(tmp_path, "embedder", "minilm")
    app = open_assistant(tmp_path)
    try:
        assert isinstance(app.embedder, MiniLMEmbedder)
        assert app.embedder.backend == "torch"
    finally:
        app.close()
    monkeypatch.setenv("MIRIX_APP_EMBEDDER_BACKEND", "numpy")
    assert load_settings(tmp_path).text("embedder_backend") == "numpy"


def test_a_bad_backend_is_refused_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="embedder_backend must be one of auto, numpy, torch"):
        save_setting(tmp_path, "embedder_backend", "gpu")
    monkeypatch.setenv("MIRIX_APP_EMBEDDER_BACKEND", "onnx")
    with pytest.raises(SettingsError, match="got 'onnx'"):
        load_settings(tmp_path)
    with pytest.raises(AgentError, match="embedder_backend must be one of"):
        MiniLMEmbedder(backend="cuda")
