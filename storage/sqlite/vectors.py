"""In-memory vector indexes, one per kind, kept in step with the database.

Each index is a float32 matrix of normalised embeddings (cosine = dot product)
with the rowids and times of its rows. Triggers append every change of an
embedding, time or delete mark to ``vec_log``; before a search the index reads
the log entries it has not seen and re-reads just those rows. This catches
writes from this process and from any other process alike.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from storage.errors import StorageError
from storage.kinds import Kind
from storage.sqlite.ann import AnnVectors, Reading, announce_build, drop_saved
from storage.sqlite.vector_rows import VectorMatches, reread
from storage.sqlite.vector_rows import to_datetime64 as _to_datetime64

log = logging.getLogger(__name__)

BACKGROUND_MAX_ROWS = 400_000
"""A kind with no saved graph and at most this many vectors is searched as an
exact matrix (about 600 MB at this size) while its graph is built in the
background; a larger one (a bulk import) builds it before its first search."""

ANN_MIN_ROWS = 50_000
"""Kinds with more vectors than this search an HNSW graph instead of the matrix
(an exact scan of 50,000 rows takes about 4 ms; of a million, about 85)."""


class KindVectors:
    """The matrix of one kind. Rows stay sorted by rowid; deletes leave holes
    that are compacted when they pass a quarter of the rows."""

    def __init__(self, kind: Kind, dim: int = 0) -> None:
        self.kind = kind
        self.dim = dim
        """The width of the vectors it holds (0: that of the first row it reads);
        vectors of another width (another embedding model) are left out."""
        self._vecs = np.zeros((0, dim), dtype=np.float32)
        self._rowids = np.zeros(0, dtype=np.int64)
        self._times = np.zeros(0, dtype="datetime64[us]")
        self._alive = np.zeros(0, dtype=bool)
        self._n = 0  # rows in use (capacity may be larger)
        self.left_out = 0
        """Rows read at load whose vector has another width (another model's)."""

    def __len__(self) -> int:
        return int(self._alive[: self._n].sum())

    def load(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute(
            f"SELECT rowid, embedding, {self.kind.time_column} FROM {self.kind.table} "
            "WHERE deleted_at IS NULL AND embedding IS NOT NULL ORDER BY rowid"
        ).fetchall()
        if not rows:
            self.__init__(self.kind, self.dim)  # type: ignore[misc]
            return
        dim = self.dim or len(rows[0][1]) // 4
        blob = b"".join(r[1] for r in rows if len(r[1]) == dim * 4)
        keep = [r for r in rows if len(r[1]) == dim * 4]
        self.dim = dim
        self.left_out = len(rows) - len(keep)
        self._vecs = np.frombuffer(blob, dtype=np.float32).reshape(len(keep), dim).copy()
        self._rowids = np.array([r[0] for r in keep], dtype=np.int64)
        self._times = _to_datetime64([r[2] for r in keep])
        self._alive = np.ones(len(keep), dtype=bool)
        self._n = len(keep)

    def apply(self, conn: sqlite3.Connection, rowids: list[int]) -> None:
        """Re-read ``rowids`` and bring the matrix in line with them."""
        for rowid, blob, at, deleted in reread(conn, self.kind, rowids):
            if blob is None or deleted is not None:
                self._remove(rowid)
            else:
                self._upsert(rowid, np.frombuffer(blob, dtype=np.float32), at)
        if self._n and (~self._alive[: self._n]).sum() > self._n // 4:
            self._compact()

    def search(
        self,
        query: npt.NDArray[np.float32],
        k: int,
        *,
        since: str | None = None,
        until: str | None = None,
    ) -> VectorMatches:
        n = self._n
        if n == 0 or query.shape[0] != self.dim:
            return VectorMatches.empty()
        scores = self._vecs[:n] @ query
        mask = self._alive[:n].copy()
        if since is not None:
            mask &= self._times[:n] >= _to_datetime64([since])[0]
        if until is not None:
            mask &= self._times[:n] <= _to_datetime64([until])[0]
        if not mask.all():
            scores = np.where(mask, scores, -np.inf).astype(np.float32)
        k = min(k, int(mask.sum()))
        if k <= 0:
            return VectorMatches.empty()
        top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-scores[top], kind="stable")][:k]
        return VectorMatches(self._rowids[top], scores[top])

    def among(
        self, query: npt.NDArray[np.float32], k: int, rowids: npt.NDArray[np.int64]
    ) -> VectorMatches:
        """The ``k`` nearest of ``rowids`` only (exact): for a filter the index does
        not know, such as an application."""
        n = self._n
        if n == 0 or query.shape[0] != self.dim or len(rowids) == 0:
            return VectorMatches.empty()
        wanted = np.unique(rowids)
        pos = np.searchsorted(self._rowids[:n], wanted)
        found = pos < n
        pos, wanted = pos[found], wanted[found]
        pos = pos[(self._rowids[pos] == wanted) & self._alive[pos]]
        if len(pos) == 0:
            return VectorMatches.empty()
        scores = self._vecs[pos] @ query
        k = min(k, len(pos))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return VectorMatches(self._rowids[pos[top]], scores[top].astype(np.float32))

    # -- matrix upkeep -----------------------------------------------------------------

    def _position(self, rowid: int) -> int | None:
        pos = int(np.searchsorted(self._rowids[: self._n], rowid))
        if pos < self._n and self._rowids[pos] == rowid:
            return pos
        return None

    def _upsert(self, rowid: int, vec: npt.NDArray[np.float32], at: str) -> None:
        if self.dim == 0:
            self.dim = vec.shape[0]
            self._vecs = np.zeros((0, self.dim), dtype=np.float32)
        if vec.shape[0] != self.dim:
            return  # a vector from another embedding model cannot be compared
        when = _to_datetime64([at])[0]
        pos = self._position(rowid)
        if pos is not None:
            self._vecs[pos], self._times[pos], self._alive[pos] = vec, when, True
            return
        if self._n and rowid < self._rowids[self._n - 1]:
            # rare: an old rowid came back (import); keep the order by inserting
            self._compact()
            at_pos = int(np.searchsorted(self._rowids, rowid))
            self._vecs = np.insert(self._vecs, at_pos, vec, axis=0)
            self._rowids = np.insert(self._rowids, at_pos, rowid)
            self._times = np.insert(self._times, at_pos, when)
            self._alive = np.insert(self._alive, at_pos, True)
            self._n += 1
            return
        self._grow(self._n + 1)
        self._vecs[self._n], self._rowids[self._n] = vec, rowid
        self._times[self._n], self._alive[self._n] = when, True
        self._n += 1

    def _remove(self, rowid: int) -> None:
        pos = self._position(rowid)
        if pos is not None:
            self._alive[pos] = False

    def _grow(self, needed: int) -> None:
        capacity = self._vecs.shape[0]
        if needed <= capacity:
            return
        new = max(needed, capacity * 2, 64)
        self._vecs = np.resize(self._vecs, (new, self.dim))
        self._rowids = np.resize(self._rowids, new)
        self._times = np.resize(self._times, new)
        alive = np.zeros(new, dtype=bool)
        alive[: self._n] = self._alive[: self._n]
        self._alive = alive

    def _compact(self) -> None:
        keep = np.flatnonzero(self._alive[: self._n])
        self._vecs = self._vecs[keep].copy()
        self._rowids = self._rowids[keep].copy()
        self._times = self._times[keep].copy()
        self._alive = np.ones(len(keep), dtype=bool)
        self._n = len(keep)


VectorIndex = KindVectors | AnnVectors


class VectorIndexes:
    """All kinds' indexes, loaded on first use and synced from ``vec_log``.

    Small kinds are exact matrices; kinds past ``ANN_MIN_ROWS`` are HNSW graphs
    saved under ``index_dir`` (when given) so the next start loads instead of
    building.
    """

    def __init__(
        self,
        index_dir: Path | None = None,
        *,
        ann_min_rows: int = ANN_MIN_ROWS,
        reading: Reading | None = None,
    ) -> None:
        self._kinds: dict[str, VectorIndex] = {}
        self._dims: dict[str, int] = {}
        """Per kind, the width of the queries it was last asked for: the model in use."""
        self._seen = 0
        self._lock = threading.Lock()
        self._index_dir = index_dir
        self._ann_min_rows = ann_min_rows
        self._reading = reading
        self._builder: threading.Thread | None = None
        self._queue: list[Kind] = []  # kinds waiting for (or in) the builder, in order
        self._stop = threading.Event()
        self._hurry = threading.Event()

    def get(self, conn: sqlite3.Connection, kind: Kind, dim: int = 0) -> VectorIndex:
        """The index of ``kind``; with ``dim`` (the query's width), one of vectors of
        that width: after a change of embedding model, the rows already embedded
        anew (``mirix-app reindex``) are searched and the others left out, instead
        of the other way round."""
        with self._lock:
            self._sync(conn)
            index = self._kinds.get(kind.name)
            if dim and index is not None and index.dim not in (0, dim):
                if kind in self._queue:
                    return index  # a graph of the old width is being built: not now
                index = None
            if dim:
                self._dims[kind.name] = dim
            if index is None:
                index = self._load(conn, kind)
                self._kinds[kind.name] = index
            return index

    def _load(self, conn: sqlite3.Connection, kind: Kind) -> VectorIndex:
        # The log position first: a change racing with the load is re-applied.
        if not self._kinds:
            self._seen = _log_head(conn)
        rows = conn.execute(
            f"SELECT count(*) FROM {kind.table} WHERE deleted_at IS NULL AND embedding IS NOT NULL"
        ).fetchone()[0]
        dim = self._dims.get(kind.name, 0)
        if rows < self._ann_min_rows or self._index_dir is None:
            exact = KindVectors(kind, dim)
            exact.load(conn)
            return exact
        ann = AnnVectors(kind, self._index_dir / f"{kind.table}.usearch", dim=dim)
        if self._reading is None or rows > BACKGROUND_MAX_ROWS:
            position = ann.load(conn, self._seen)  # loaded, or built now
        else:
            restored = ann.restore(conn, self._seen)
            if restored is None:
                # No saved graph: search the exact matrix until the graph, built
                # on a thread of its own, replaces it.
                exact = KindVectors(kind, dim)
                exact.load(conn)
                self._start_build(kind, rows)
                return exact
            position = restored
        self._replay(conn, ann, position)
        return ann

    def _replay(self, conn: sqlite3.Connection, ann: AnnVectors, position: int) -> None:
        """Apply to ``ann`` what changed after ``position``, up to what this object has seen."""
        if position >= self._seen:
            return
        changed = conn.execute(
            "SELECT row FROM vec_log WHERE kind = ? AND seq > ? AND seq <= ?",
            (ann.kind.table, position, self._seen),
        ).fetchall()
        if changed:
            ann.apply(conn, [int(r[0]) for r in changed])

    # -- background builds -----------------------------------------------------------

    def _start_build(self, kind: Kind, rows: int) -> None:
        """Queue ``kind`` for the builder thread (one at a time, so a single core
        builds while the others stay with the app)."""
        if kind in self._queue or self._stop.is_set():
            return
        announce_build(kind, rows, " in the background")
        self._queue.append(kind)
        if self._builder is None:
            self._builder = threading.Thread(target=self._build_queued, name="index-builder")
            self._builder.daemon = True
            self._builder.start()

    def _build_queued(self) -> None:
        while True:
            with self._lock:
                if not self._queue or self._stop.is_set():
                    self._queue.clear()
                    self._builder = None  # under the lock: a later kind starts a new one
                    return
                kind = self._queue[0]
            try:
                self._build(kind)
            finally:
                with self._lock:
                    self._queue.pop(0)

    def _build(self, kind: Kind) -> None:
        assert self._reading is not None and self._index_dir is not None
        try:
            path = self._index_dir / f"{kind.table}.usearch"
            ann = AnnVectors(kind, path, dim=self._dims.get(kind.name, 0))
            with self._reading() as conn:
                head = _log_head(conn)  # first: a change made during the build is replayed
            if not ann.build(self._reading, self._stop, self._hurry):
                return
            ann.save(head)
            with self._lock, self._reading() as conn:
                self._replay(conn, ann, head)
                self._kinds[kind.name] = ann
            log.info("The %s search index is ready.", kind.name)
        except Exception:  # the exact matrix goes on answering; the next start retries
            log.exception("Building the %s search index failed", kind.name)

    def left_out(self) -> int:
        """Rows the loaded exact indexes leave out for their width: embedded by
        another model, waiting for ``mirix-app reindex``."""
        with self._lock:
            return sum(i.left_out for i in self._kinds.values() if isinstance(i, KindVectors))

    def building(self) -> list[str]:
        """The kinds whose graph is being (or waiting to be) built in the background."""
        with self._lock:
            return [kind.name for kind in self._queue]

    def close(self, *, finish_builds: bool = True) -> None:
        """Wait for the background builds to finish (``finish_builds``) or stop them
        at their next step, then save the graphs that changed."""
        with self._lock:
            builder = self._builder
        if builder is not None and finish_builds:
            log.warning("Finishing the search index before exit (saved for the next start).")
            self._hurry.set()
        else:
            self._stop.set()
        if builder is not None:
            builder.join()
        self._stop.set()
        self.save()

    @contextlib.contextmanager
    def searching(self) -> Iterator[None]:
        """Hold off syncs (which change the matrices) while a search reads them."""
        with self._lock:
            yield

    def drop_saved(self, kinds: Iterable[Kind]) -> None:
        """After rows of ``kinds`` were deleted for good: delete their saved graphs
        (a graph keeps a removed vector's bytes) and never save the loaded ones
        again; the next start builds clean ones. The exact matrices live in memory
        only."""
        if self._index_dir is None:
            return
        with self._lock:
            for kind in kinds:
                index = self._kinds.get(kind.name)
                if isinstance(index, AnnVectors):
                    index.forgot = True
                drop_saved(self._index_dir / f"{kind.table}.usearch")

    def save(self) -> None:
        """Save the graphs that changed since they were loaded or built (after
        reading the changes other processes made: a row deleted for good there
        keeps this process from saving a graph that still holds its vector)."""
        if self._reading is not None:
            with self._lock, contextlib.suppress(StorageError), self._reading() as conn:
                self._sync(conn)  # a closed database: nothing new can have happened
        with self._lock:
            for index in self._kinds.values():
                if isinstance(index, AnnVectors) and index.dirty:
                    index.save(self._seen)

    def _sync(self, conn: sqlite3.Connection) -> None:
        if not self._kinds:
            return
        rows = conn.execute(
            "SELECT seq, kind, row FROM vec_log WHERE seq > ? ORDER BY seq", (self._seen,)
        ).fetchall()
        if not rows:
            return
        changed: dict[str, list[int]] = {}
        for seq, kind_table, row in rows:
            changed.setdefault(kind_table, []).append(row)
            self._seen = max(self._seen, seq)
        for index in self._kinds.values():
            rowids = changed.get(index.kind.table)
            if rowids:
                index.apply(conn, rowids)


def _log_head(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM vec_log").fetchone()[0])
