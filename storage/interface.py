"""The storage interface: what a storage engine implements and the layers above
use. No SQL and no connection crosses it.

An engine (``storage.sqlite`` today; PostgreSQL next) supplies

- **repositories**, one per concern (:class:`MemoryRepository` per memory type,
  :class:`CoreRepository`, :class:`MessageRepository`,
  :class:`ScreenshotRepository`, :class:`BatchRepository`,
  :class:`ProvenanceRepository`, :class:`HistoryRepository`), bundled as
  :class:`Repositories`. Every method runs in one transaction of its own, or in
  the caller's **unit of work**: :meth:`Engine.write` runs a function with a
  :class:`Repositories` bound to one transaction, so a message, its episodic
  memory and their provenance (or a frame's row, text, vectors and sensitive
  boxes) are stored together or not at all. One API either way: the same
  repository methods, bound to their own transactions or to the caller's.
- **search primitives** (:class:`SearchPrimitives`): keyword and vector
  rankings per kind with filters, term statistics, chunk and image vectors, row
  fetches. The fusion on top of them (:mod:`storage.search`) is the engines'
  one hybrid search.
- reads of whole spans (:class:`TimelineReader`), re-embedding upkeep
  (:class:`EmbeddingUpkeep`), forgetting, export and import rows
  (:class:`ExportSource`, :class:`ImportTarget`) and stats.

Rows are named by their id (``epi_…``); a repository also hands out an integer
``rowid`` where a caller pages through rows in the order they were stored
(re-embedding, screen batches), and search primitives rank rowids. Times are the
stored form of :func:`storage.kinds.parse_time`; vectors are float32 arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from storage.kinds import Kind
from storage.records import SourceRef
from storage.screens import Box
from storage.sources import NewSource

T_co = TypeVar("T_co", covariant=True)

Vector = npt.NDArray[np.float32]
Scored = list[tuple[int, float]]
"""(rowid, score) pairs, best first; a higher score is better."""


# -- search primitives ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Where:
    """A search filter: the kind's time within [since, until] (stored form), and
    for a kind with an ``app`` field (screenshots) part of it, any case."""

    since: str | None = None
    until: str | None = None
    app: str | None = None


@dataclass(frozen=True)
class VectorRequest:
    """One kind's vector ranking: the ``depth`` rows nearest ``vector`` that pass
    ``where``. With an app filter, an engine that cannot filter inside its index
    compares up to ``exact_within`` of the app's rows exactly (a rare app's rows lie
    deep in the overall list) and filters a deeper list beyond that."""

    vector: Vector
    where: Where
    depth: int
    exact_within: int = 0


@dataclass(frozen=True)
class TermCounts:
    """What term statistics a keyword coverage needs: how many rows the kind
    holds, how many match each term (counted up to a cap), and which of the rows
    asked about hold each term."""

    total: int
    docs: dict[str, int]
    holders: dict[str, set[int]]


@dataclass(frozen=True)
class FoundRow:
    """A ranked row fetched for a hit: its public fields without secret ones."""

    id: str
    at: str
    fields: dict[str, Any]
    sources: tuple[SourceRef, ...] = ()


class Pending(Protocol[T_co]):
    """Work started now, its result read later (an engine may run it alongside)."""

    def result(self) -> T_co: ...


class SearchPrimitives(Protocol):
    """What one search reads, all on one snapshot of the database."""

    def vector_rankings(self, requests: Mapping[str, VectorRequest]) -> Pending[dict[str, Scored]]:
        """Per kind name: (rowid, cosine similarity) of the nearest rows, best first.
        Rows embedded by another model (another width) are left out."""
        ...

    def keyword_ranking(
        self,
        kind: Kind,
        terms: Sequence[str],
        *,
        where: Where,
        depth: int,
        weights: tuple[float, float],
    ) -> Scored:
        """(rowid, BM25 score) of the best ``depth`` rows matching any of ``terms``
        (:func:`storage.fts.query_terms`), the row's own text weighted by
        ``weights[0]`` and its context by ``weights[1]``. An engine may leave out
        terms so common that ranking them costs more than they tell."""
        ...

    def term_counts(self, kind: Kind, terms: Sequence[str], rowids: Sequence[int]) -> TermCounts:
        """Rows of the kind in all, rows matching each term (up to 10,000), and which
        of ``rowids`` match each term."""
        ...

    def chunk_vectors(self, kind: Kind, rowids: Sequence[int], dim: int) -> dict[int, Vector]:
        """rowid -> (chunks, dim) matrix of the rows' chunk embeddings of width
        ``dim`` (screenshots; rows without them are left out)."""
        ...

    def image_ranking(self, kind: Kind, vector: Vector, *, where: Where, depth: int) -> Scored:
        """(rowid, similarity) of the rows whose image embedding is nearest ``vector``
        (screenshots with a CLIP embedding of the same width)."""
        ...

    def values(self, kind: Kind, rowids: Sequence[int], column: str) -> dict[int, Any]:
        """One stored column of the given rows (``external_id``, an actor field)."""
        ...

    def known_actors(self) -> frozenset[str]:
        """Every speaker of a message and actor of an event, casefolded."""
        ...

    def rows(self, kind: Kind, rowids: Sequence[int]) -> dict[int, FoundRow]:
        """The rows still there (not deleted since they were ranked)."""
        ...


# -- the engine ----------------------------------------------------------------------


class SearchBackend(Protocol):
    def searching(self) -> AbstractContextManager[SearchPrimitives]:
        """Search primitives on one read snapshot, for the length of the block."""
        ...


# -- the unit of work ----------------------------------------------------------------


class SourceWrites(Protocol):
    """Raw sources (messages, screenshots) inside a unit of work."""

    def existing_external_ids(self, external_ids: Sequence[str]) -> set[str]:
        """Those of ``external_ids`` stored, including what another process stored
        since the caller last looked."""
        ...

    def insert_many(self, items: Sequence[NewSource]) -> list[str]:
        """Insert validated sources (:meth:`storage.sources.SourceStore.prepare`); their ids."""
        ...


class ScreenshotWrites(SourceWrites, Protocol):
    def insert_frame(
        self,
        values: dict[str, Any],
        *,
        item_id: str,
        embedding: Vector,
        context: str,
        chunk_embeddings: bytes,
        image_embedding: Vector | None,
        sensitive_boxes: Sequence[Box],
    ) -> str:
        """A kept frame's row with its text, vectors (``chunk_embeddings`` as
        :func:`storage.screens.encode_chunk_vectors` makes them) and the boxes of its
        sensitive text."""
        ...

    def fill_chunk_embeddings(self, blobs: Sequence[tuple[int, bytes]]) -> None:
        """(rowid, chunk embeddings) of screenshots that have none yet; others are left."""
        ...


class BatchWrites(Protocol):
    def enqueue(self, items: Sequence[dict[str, Any]]) -> str:
        """A new sealed batch of observations; its id."""
        ...

    def append(self, items: Sequence[dict[str, Any]], *, max_items: int) -> str:
        """The items added to the open batch (sealed at ``max_items``); its id."""
        ...


class MemoryWrites(Protocol):
    def insert(self, values: dict[str, Any], *, embedding: Vector | None, context: str = "") -> str:
        """A new memory of validated ``values``; its id."""
        ...


class ProvenanceWrites(Protocol):
    def link(self, memory_id: str, sources: Sequence[SourceRef]) -> None:
        """Record that the memory was made from ``sources`` (each must exist)."""
        ...


class UnitOfWork(Protocol):
    """Repositories bound to one transaction (:meth:`storage.Storage.transaction`):
    all they write is stored together, or nothing if the work raises."""

    @property
    def messages(self) -> SourceWrites: ...

    @property
    def screenshots(self) -> ScreenshotWrites: ...

    @property
    def batches(self) -> BatchWrites: ...

    @property
    def memories(self) -> Mapping[str, MemoryWrites]:
        """By memory type name."""
        ...

    @property
    def provenance(self) -> ProvenanceWrites: ...
