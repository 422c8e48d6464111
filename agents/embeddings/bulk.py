"""Embedding many texts at once (an import, a re-index) on every core.

numpy's BLAS runs a matrix product on all cores by default, and its threads
spin while they wait for work. A sentence encoder multiplies many small
matrices, so on a busy machine the spinning costs more than the product: an
import of LoCoMo chat turns ran at 15 messages/s with two BLAS threads at a
load of 10 on two cores, and at 64/s with one. Here BLAS stays on one thread
and the texts are cut into chunks that worker threads embed side by side
(numpy and the tokenizers release the GIL while they compute), so every core
does useful work whatever else runs. A text's vector does not depend on its
chunk: the result is the same as one ``embed`` call over all of them.

An embedder may offer another variant of itself for bulk work (``for_bulk``:
MiniLM's products in bfloat16 where the CPU has them, agents.embeddings.
torch_bert); torch then runs one thread per worker too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

from agents.embeddings.text import TextEmbedder

Progress = Callable[[int, int], None]

CHUNK = 64
"""Texts a worker embeds at once: large enough to batch the model's products,
small enough that the workers share the work evenly and progress moves."""
MAX_WORKERS = 4


def worker_count() -> int:
    """Cores this process may use, at most :data:`MAX_WORKERS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def for_bulk(embedder: TextEmbedder, count: int) -> TextEmbedder:
    """The variant of ``embedder`` for ``count`` texts at once: its own
    ``for_bulk`` where it has one, else itself."""
    method = getattr(embedder, "for_bulk", None)
    return embedder if method is None else method(count)


@contextmanager
def one_thread_each() -> Iterator[None]:
    """BLAS, and torch where it is loaded, on one thread while this lasts."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else 0
    if torch is not None:
        torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(before)


def embed_many(
    embedder: TextEmbedder,
    texts: Sequence[str],
    progress: Progress | None = None,
    *,
    workers: int | None = None,
    chunk: int = CHUNK,
) -> npt.NDArray[np.float32]:
    """One vector per text, in order, from ``workers`` threads (default: one
    per core) with BLAS on one thread each. Texts of like length share a chunk,
    so little of a batch is padding."""
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    if not texts:
        return out
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    chunks = [order[start : start + chunk] for start in range(0, len(order), chunk)]
    workers = min(workers or worker_count(), len(chunks))
    embedder = for_bulk(embedder, len(texts))
    embedder.load()  # once, before the workers race to load it (torch too)

    def run(rows: list[int]) -> tuple[list[int], npt.NDArray[np.float32]]:
        return rows, embedder.embed([texts[i] for i in rows])

    done = 0
    with (
        one_thread_each(),
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embed") as pool,
    ):
        # map yields in the order of the chunks; they finish about in order anyway.
        for rows, vectors in pool.map(run, chunks):
            out[rows] = vectors
            done += len(rows)
            if progress is not None:
                progress(done, len(texts))
    return out
