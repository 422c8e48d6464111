"""The storage interface: what a storage engine implements and the layers above
use. No SQL and no connection crosses it.

What an engine (``storage.sqlite`` today) supplies, and the layers above see:

- **Repositories with a transaction of their own**: the stores a
  :class:`storage.Storage` holds (``memories``, ``core``, ``messages``,
  ``screenshots``, ``batches``), each method one transaction, rows coming back
  as records or plain dicts; and the storage's own reads (a span of time for
  the timeline, rows to re-embed, export and import, forgetting, stats).
- **A unit of work** (:class:`UnitOfWork`) for writes that must be stored
  together: :meth:`storage.Storage.transaction` runs a function with the
  repositories' writes bound to one transaction (:class:`SourceWrites`,
  :class:`ScreenshotWrites`, :class:`BatchWrites`, :class:`MemoryWrites`,
  :class:`ProvenanceWrites`), so a message, its episodic memory and their
  provenance (or a frame's row, text, vectors and sensitive boxes) are stored
  together or not at all.
- **Search primitives** (:class:`SearchPrimitives`): keyword and vector
  rankings per kind with filters, term statistics, chunk and image vectors, row
  fetches. The fusion on top of them (:mod:`storage.search`) is the engines'
  one hybrid search.

Rows are named by their id (``epi_…``); a repository also hands out an integer
``rowid`` where a caller pages through rows in the order they were stored
(re-embedding, screen batches), and search primitives rank rowids. Times are the
stored form of :func:`storage.kinds.parse_time`; vectors are float32 arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from storage.batches import Batch
from storage.forget import ForgetPlan, ForgetReport, ForgetScope
from storage.frames import FrameFiles
from storage.kinds import Kind
from storage.records import HistoryEntry, Record, SourceRef
from storage.screens import Box, FrameImage
from storage.secrets import SecretCipher
from storage.sources import NewSource
from storage.timeline import Span

T = TypeVar("T")
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
        """One stored column of the given rows (``external_id``, an actor field, the
        kind's time column)."""
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


# -- repositories with a transaction of their own -------------------------------------


class Records(Protocol):
    """Rows of one kind, each call its own transaction."""

    @property
    def kind(self) -> Kind: ...

    def get(self, item_id: str) -> Record:
        """The row (NotFoundError if there is none), with its sources."""
        ...

    def list(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        include_deleted: bool = False,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Record]:
        """Newest first; ``since`` / ``until`` (stored-form times) bound the kind's time."""
        ...


class Memories(Records, Protocol):
    """The table of one memory type: versions with history, soft delete."""

    def add(
        self,
        values: dict[str, Any],
        *,
        embedding: Vector | None = None,
        sources: Sequence[SourceRef] = (),
        context: str = "",
        by: str | None = None,
    ) -> Record: ...

    def update(
        self,
        item_id: str,
        changes: dict[str, Any],
        *,
        embedding: Vector | None = None,
        sources: Sequence[SourceRef] = (),
        by: str | None = None,
    ) -> Record:
        """Change some fields: the id stays, the old version goes to history."""
        ...

    def delete(self, item_id: str, *, by: str | None = None) -> Record: ...

    def restore(self, item_id: str, *, by: str | None = None) -> Record: ...

    def history(self, item_id: str) -> list[HistoryEntry]:
        """Every previous version, oldest first."""
        ...


class CoreBlocks(Memories, Protocol):
    """Core memory: two fixed blocks of lines (persona, human)."""

    def block(self, label: str) -> Record: ...

    def lines(self, label: str) -> list[str]: ...

    def append(self, label: str, line: str) -> Record: ...

    def replace_line(self, label: str, number: int, line: str) -> Record: ...

    def rewrite(self, label: str, text: str) -> Record: ...

    def set_embedding(self, item_id: str, vector: Any) -> None:
        """A block's vector, stored without a new version (derived data)."""
        ...


class Sources(Records, Protocol):
    """Raw sources, kept as they came."""

    def prepare(
        self, values: dict[str, Any], *, embedding: Vector | None = None, context: str = ""
    ) -> NewSource:
        """Validate one source without writing it (InvalidInputError)."""
        ...

    def add(
        self, values: dict[str, Any], *, embedding: Vector | None = None, context: str = ""
    ) -> Record: ...

    def existing_external_ids(self, external_ids: Sequence[str]) -> set[str]: ...


class Messages(Sources, Protocol):
    def recent(
        self, *, session: str | None = None, external_prefix: str = "", limit: int = 200
    ) -> list[Record]:
        """The last ``limit`` messages, oldest first."""
        ...


class Screenshots(Sources, Protocol):
    """Screenshot rows and the reads the screen pipeline and its batches need."""

    def activity(self, since: str | None, until: str | None) -> list[tuple[str, str, int]]:
        """(hour "YYYY-MM-DDTHH", app, screenshots kept) in time order."""
        ...

    def frame_images(self, screenshot_ids: Sequence[str]) -> dict[str, FrameImage]:
        """The frames among ``screenshot_ids`` that may be shown."""
        ...

    def last_kept_on(self, monitor: int) -> dict[str, Any] | None:
        """``at`` and ``image_path`` of the monitor's newest frame whose image is kept."""
        ...

    def unbatched(self, after_rowid: int | None, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """Screenshots with text that no batch holds yet, oldest first (each with its
        ``rowid``), and the rowid they follow."""
        ...

    def count_without_chunk_vectors(self) -> int: ...

    def without_chunk_vectors(self, after_rowid: int, limit: int) -> list[dict[str, Any]]: ...


class Batches(Protocol):
    """Observation batches waiting for the memory agents, claimed under a lease
    (see :mod:`storage.batches`)."""

    def enqueue(self, items: Sequence[dict[str, Any]]) -> Batch: ...

    def append(self, items: Sequence[dict[str, Any]], *, max_items: int) -> Batch: ...

    def seal_older_than(self, cutoff: str) -> int: ...

    def open_batch(self) -> Batch | None: ...

    def get(self, batch_id: str) -> Batch: ...

    def pending(self) -> list[Batch]: ...

    def counts(self) -> dict[str, int]: ...

    def retrying(self) -> list[Batch]: ...

    def listed(self, statuses: Sequence[str] = ("pending", "failed")) -> list[Batch]: ...

    def held(self) -> list[Batch]: ...

    def give_up(self, batch_id: str) -> Batch: ...

    def requeue(self, batch_id: str) -> Batch: ...

    def split(self, batch_id: str, *, owner: str | None = None) -> tuple[Batch, Batch]: ...

    def claim_next(
        self,
        owner: str,
        *,
        lease_s: float,
        due_only: bool = False,
        skip: Sequence[str] = (),
    ) -> Batch | None: ...

    def claimable(self, *, due_only: bool = False, skip: Sequence[str] = ()) -> int: ...

    def renew(self, batch_id: str, owner: str, *, lease_s: float) -> bool: ...

    def release(self, batch_id: str, owner: str) -> bool: ...

    def save_plan(
        self, batch_id: str, plan: dict[str, str], *, owner: str | None = None
    ) -> None: ...

    def mark_done(self, batch_id: str, *, owner: str | None = None) -> Batch: ...

    def mark_failed(
        self, batch_id: str, error: str, *, owner: str | None = None, retry_after_s: float = 0.0
    ) -> Batch: ...


# -- the engine ----------------------------------------------------------------------


class StorageEngine(Protocol):
    """One memory in one database: what :class:`storage.Storage` delegates to
    (:class:`storage.sqlite.engine.SqliteEngine`, a file in the data directory;
    :class:`storage.postgres.engine.PostgresEngine`, a server several devices share)."""

    name: str
    """``sqlite`` or ``postgresql``."""

    cipher: SecretCipher | None

    @property
    def memories(self) -> Mapping[str, Memories]: ...

    @property
    def core(self) -> CoreBlocks: ...

    @property
    def messages(self) -> Messages: ...

    @property
    def screenshots(self) -> Screenshots: ...

    @property
    def batches(self) -> Batches: ...

    @property
    def search_backend(self) -> SearchBackend: ...

    def transaction(self, work: Callable[[UnitOfWork], T]) -> T: ...

    def frame_files(self) -> FrameFiles:
        """This device's screenshot image files."""
        ...

    def between(self, span: Span, *, frames: int, limit: int) -> dict[str, Any]: ...

    def export_to(self, out: IO[str], *, reveal_secrets: bool = True) -> int: ...

    def import_file(self, path: Path, *, replace: bool = False) -> dict[str, int]: ...

    def count_other_width(self, dim: int) -> int: ...

    def other_width_rows(
        self, kind: Kind, dim: int, after_rowid: int, limit: int
    ) -> list[dict[str, Any]]: ...

    def replace_embeddings(
        self, kind: Kind, rows: Sequence[tuple[int, bytes, bytes | None]]
    ) -> None: ...

    def left_out_of_meaning_search(self) -> int:
        """Rows the last searches left out because another model embedded them."""
        ...

    def forget_plan(self, scope: ForgetScope) -> ForgetPlan: ...

    def forget(self, scope: ForgetScope) -> ForgetReport:
        """Forget the scope's rows and all made from them; the report names the image
        files to remove."""
        ...

    def agree_setting(self, name: str, value: str) -> str:
        """The shared value of ``name`` (see :meth:`storage.Storage.agree_setting`)."""
        ...

    def stats(self) -> dict[str, Any]: ...

    def close(self, *, finish_builds: bool = True) -> None: ...
