"""Embedders: the only modules that import sentence-transformers or open_clip.

Every embedder satisfies :class:`TextEmbedder`; the rest of the code depends on
that protocol only, so tests and benchmarks can hand in another one.
"""

from agents.embeddings.multilingual import (
    CombinedEmbedder,
    E5Embedder,
    UseEmbedder,
    embed_queries,
    text_embedder,
)
from agents.embeddings.text import MiniLMEmbedder, TextEmbedder, minilm_model_dir

__all__ = [
    "CombinedEmbedder",
    "E5Embedder",
    "MiniLMEmbedder",
    "TextEmbedder",
    "UseEmbedder",
    "embed_queries",
    "minilm_model_dir",
    "text_embedder",
]
