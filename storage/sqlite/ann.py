"""Approximate nearest-neighbour index for large kinds (usearch HNSW).

Past a few tens of thousands of rows an exact scan costs more than a search
can afford (about 85 ms for a million 384-d rows on two cores), so large kinds
use an HNSW graph. It is saved beside the database with the ``vec_log``
position it reflects; on the next start it is loaded and only the changes
since then are replayed, so the graph is built once, not at every start.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from storage.kinds import Kind
from storage.sqlite.vector_rows import GONE, RowTimes, VectorMatches, reread

log = logging.getLogger(__name__)

EXACT_RANGE_MAX = 20_000
"""A time range holding at most this many rows is searched exactly."""

BUILD_CHUNK = 20_000
BACKGROUND_CHUNK = 5_000
"""Rows added per step of a background build: a stop request waits at most one
step (about 3 s here, on one thread)."""

Reading = Callable[[], AbstractContextManager[sqlite3.Connection]]
"""Gives a read connection for the length of a ``with`` block."""


def announce_build(kind: Kind, rows: int, how: str) -> None:
    # A warning so a command line shows it: the one slow build (about 30 s per
    # 100,000 rows here) should not look like a hang.
    log.warning(
        "Building the %s search index over %d rows%s; this happens once and takes a "
        "while (it is saved for the next start).",
        kind.name,
        rows,
        how,
    )


def drop_saved(path: Path) -> None:
    """Delete a saved graph and its position file (missing is fine)."""
    for file in (path, path.with_suffix(".json")):
        file.unlink(missing_ok=True)


class AnnVectors:
    """An HNSW index of one kind's vectors plus the rowid/time table used to
    filter its answers."""

    def __init__(self, kind: Kind, path: Path, *, ef: int = 64, dim: int = 0) -> None:
        self.kind = kind
        self.path = path
        self.ef = ef
        self.dim = dim
        """The width of the vectors it holds (0: that of the first row); a saved
        graph of another width (another embedding model) is built anew."""
        self.rows = RowTimes()
        self._index: Any = None
        self._dirty = 0
        self.forgot = False
        """A row was deleted for good (forgotten): a removed vector's bytes stay in
        the graph, so this graph is never saved again and its saved copy is gone;
        the next start builds a clean one."""

    def __len__(self) -> int:
        return len(self.rows)

    # -- loading -----------------------------------------------------------------------

    def load(self, conn: sqlite3.Connection, head: int) -> int:
        """Load the saved graph, or build it; return the log position it reflects."""
        saved = self.restore(conn, head)
        if saved is not None:
            return saved
        announce_build(self.kind, len(self.rows), "")
        self._build(lambda: contextlib.nullcontext(conn))
        self.save(head)
        return head

    def restore(self, conn: sqlite3.Connection, head: int) -> int | None:
        """Load the rows and the saved graph; the log position it reflects, or None
        when there is no usable saved graph (then :meth:`build` must run)."""
        self.rows.load(conn, self.kind)
        return self._restore(head)

    def build(
        self, reading: Reading, stop: threading.Event, hurry: threading.Event | None = None
    ) -> bool:
        """Build the graph in the background: rows are read in chunks, each in a
        short read of its own (``reading()`` gives a connection for one), so the
        database stays free between them; False if ``stop`` was set first. One
        thread adds them (the other cores stay with the app) until ``hurry`` is set
        (nothing else is waiting: all cores)."""
        with reading() as conn:
            self.rows.load(conn, self.kind)
        return self._build(reading, stop, chunk=BACKGROUND_CHUNK, hurry=hurry)

    def _new_index(self, dim: int) -> Any:
        from usearch.index import Index

        self.dim = dim
        return Index(
            ndim=dim,
            metric="ip",
            dtype="f16",
            connectivity=16,
            expansion_add=100,
            expansion_search=self.ef,
        )

    def _restore(self, head: int) -> int | None:
        meta_path = self.path.with_suffix(".json")
        if not (self.path.exists() and meta_path.exists()):
            return None
        try:
            meta = json.loads(meta_path.read_text())
            seq, dim = int(meta["seq"]), int(meta["dim"])
        except (OSError, ValueError, KeyError):
            return None
        if seq > head:  # saved for another (newer or replaced) database
            return None
        if self.dim and dim != self.dim:  # made with another embedding model
            return None
        index = self._new_index(dim)
        try:
            index.load(str(self.path))
        except (OSError, RuntimeError, ValueError):
            log.warning("vector index %s is unreadable; rebuilding", self.path)
            return None
        self._index = index
        return seq

    def _build(
        self,
        reading: Reading,
        stop: threading.Event | None = None,
        chunk: int = BUILD_CHUNK,
        hurry: threading.Event | None = None,
    ) -> bool:
        background = stop is not None
        after = -1
        while stop is None or not stop.is_set():
            with reading() as conn:
                batch = conn.execute(
                    f"SELECT rowid, embedding FROM {self.kind.table} WHERE rowid > ? AND "
                    "deleted_at IS NULL AND embedding IS NOT NULL ORDER BY rowid LIMIT ?",
                    (after, chunk),
                ).fetchall()
            if not batch:
                return True
            after = int(batch[-1][0])
            if self._index is None:
                self._index = self._new_index(self.dim or len(batch[0][1]) // 4)
            good = [r for r in batch if len(r[1]) == self.dim * 4]
            if not good:
                continue
            keys = np.array([r[0] for r in good], dtype=np.uint64)
            vecs = np.frombuffer(b"".join(r[1] for r in good), dtype=np.float32)
            slow = background and (hurry is None or not hurry.is_set())
            threads = 1 if slow else os.cpu_count() or 1
            self._index.add(keys, vecs.reshape(len(good), self.dim), threads=threads)
        return False

    def save(self, seq: int) -> None:
        """Write the graph and its log position atomically (temp file, rename)."""
        if self._index is None or self.forgot:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Temp names of this process's own: the app and a command line may save
        # the same graph at once.
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        self._index.save(str(tmp))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        meta = self.path.with_suffix(".json")
        meta_tmp = meta.with_suffix(f".{os.getpid()}.json.tmp")
        meta_tmp.write_text(json.dumps({"seq": seq, "dim": self.dim}))
        os.chmod(meta_tmp, 0o600)
        os.replace(meta_tmp, meta)
        self._dirty = 0

    @property
    def dirty(self) -> int:
        return self._dirty

    # -- changes -----------------------------------------------------------------------

    def apply(self, conn: sqlite3.Connection, rowids: list[int]) -> None:
        """Bring the graph in line with ``rowids``: changed rows are removed and
        the live ones added back in one batch (fast after a large import)."""
        keys: list[int] = []
        vecs: list[npt.NDArray[np.float32]] = []
        times: dict[int, str | None] = {}
        for rowid, blob, at, deleted in reread(conn, self.kind, rowids):
            key = np.uint64(rowid)
            if self._index is not None and key in self._index:
                self._index.remove(key)
                if deleted == GONE and not self.forgot:
                    self.forgot = True
                    drop_saved(self.path)
            self._dirty += 1
            times[rowid] = None
            if blob is None or deleted is not None:
                continue
            vec = np.frombuffer(blob, dtype=np.float32)
            if self._index is None:
                self._index = self._new_index(vec.shape[0])
            if vec.shape[0] == self.dim:
                keys.append(rowid)
                vecs.append(vec)
                times[rowid] = at
        self.rows.update(times)
        if keys:
            self._index.add(
                np.array(keys, dtype=np.uint64), np.stack(vecs), threads=os.cpu_count() or 1
            )

    # -- search ------------------------------------------------------------------------

    def search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        *,
        since: str | None = None,
        until: str | None = None,
    ) -> VectorMatches:
        if self._index is None or len(self.rows) == 0 or query.shape[0] != self.dim:
            return VectorMatches.empty()
        if since is None and until is None:
            return self._graph_search(query, k)
        in_range = self.rows.in_range(since, until)
        if len(in_range) <= EXACT_RANGE_MAX:
            return self._exact(query, k, in_range)
        # A wide range: ask the graph for more and keep those inside the range.
        share = len(in_range) / max(len(self.rows), 1)
        found = self._graph_search(query, min(int(2 * k / share) + 10, 4096))
        keep = np.isin(found.rowids, in_range)
        if keep.sum() >= k:
            return VectorMatches(found.rowids[keep][:k], found.scores[keep][:k])
        return self._exact(query, k, in_range)

    def among(
        self, query: npt.NDArray[np.float32], k: int, rowids: npt.NDArray[np.int64]
    ) -> VectorMatches:
        """The ``k`` nearest of ``rowids`` only (exact): for a filter the graph does
        not know, such as an application."""
        if self._index is None or query.shape[0] != self.dim:
            return VectorMatches.empty()
        wanted = np.unique(rowids)
        indexed = self.rows.rowids
        pos = np.searchsorted(indexed, wanted)
        found = pos < len(indexed)
        wanted, pos = wanted[found], pos[found]
        return self._exact(query, k, wanted[indexed[pos] == wanted])

    def _graph_search(self, query: npt.NDArray[np.float32], k: int) -> VectorMatches:
        matches = self._index.search(query, k, threads=1)
        return VectorMatches(
            np.asarray(matches.keys, dtype=np.int64),
            (1.0 - np.asarray(matches.distances, dtype=np.float32)),
        )

    def _exact(
        self, query: npt.NDArray[np.float32], k: int, rowids: npt.NDArray[np.int64]
    ) -> VectorMatches:
        if len(rowids) == 0:
            return VectorMatches.empty()
        vecs = np.stack(self._index.get(rowids.astype(np.uint64), dtype=np.float32))
        scores = vecs @ query
        k = min(k, len(rowids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return VectorMatches(rowids[top], scores[top].astype(np.float32))
