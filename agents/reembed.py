"""``mirix-app reindex``: embed anew the rows an earlier embedding model made.

After the ``embedder`` setting changes (or an upgrade changes its default),
stored vectors of the old model cannot be compared with the new model's
queries: search leaves them out until they are embedded again. This does it
from the text each row already has (a memory's indexed fields, a message with
its speaker, a screenshot's OCR text and its chunks; no OCR), a batch of rows
per transaction, so it is safe to interrupt: the next run goes on with the rows
still of the old width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from agents.embeddings import TextEmbedder
from agents.embeddings.bulk import embed_many
from agents.screens.store import embed_screen
from storage import Storage
from storage.kinds import ALL_KINDS, SCREENSHOT, Kind, embedding_text
from storage.rows import encode_vector
from storage.screens import encode_chunk_vectors

BATCH = 256

Progress = Callable[[int, int], None]


def rows_to_reembed(storage: Storage, embedder: TextEmbedder) -> int:
    """How many rows hold an embedding of another model than ``embedder``."""
    return storage.count_other_width(embedder.dim)


def reembed(
    storage: Storage,
    embedder: TextEmbedder,
    progress: Progress | None = None,
    *,
    batch: int = BATCH,
) -> int:
    """Embed with ``embedder`` every row whose vector another model made, ``batch``
    rows per transaction; how many."""
    total = rows_to_reembed(storage, embedder)
    done = 0
    if progress is not None:
        progress(0, total)
    if total:
        embedder.load()
    for kind in ALL_KINDS:
        last = 0
        while True:
            rows = storage.other_width_rows(kind, embedder.dim, last, batch)
            if not rows:
                break
            storage.replace_embeddings(kind, _embedded(kind, rows, embedder))
            done += len(rows)
            last = int(rows[-1]["rowid"])
            if progress is not None:
                progress(min(done, total), total)
    return done


def _embedded(
    kind: Kind, rows: list[dict[str, Any]], embedder: TextEmbedder
) -> list[tuple[int, bytes, bytes | None]]:
    if kind is SCREENSHOT:
        out: list[tuple[int, bytes, bytes | None]] = []
        for r in rows:
            screen = embed_screen(
                embedder, r["app"] or "", r["window_title"] or "", r["ocr_text"] or ""
            )
            out.append((int(r["rowid"]), _blob(screen.screen), encode_chunk_vectors(screen.chunks)))
        return out
    texts = [embedding_text(kind, r) for r in rows]
    vectors = embed_many(embedder, [t if t.strip() else " " for t in texts])
    return [(int(r["rowid"]), _blob(vectors[i]), None) for i, r in enumerate(rows)]


def _blob(vector: npt.NDArray[np.float32]) -> bytes:
    blob = encode_vector(vector)
    assert blob is not None
    return blob
