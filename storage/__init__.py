"""Storage layer: knows nothing of agents or Qt.

Open a data directory with :meth:`Storage.open`; it holds one store per memory
type, the raw source stores and the hybrid search, each running in a
transaction of its own, and :meth:`Storage.transaction` for writes that must
be stored together (a unit of work, :class:`storage.interface.UnitOfWork`).
The database itself is private: no SQL and no connection leaves this package.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from storage.batches import BatchStore
from storage.core import CoreStore
from storage.errors import (
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    EnvironmentStorageError,
    InvalidInputError,
    NotFoundError,
    StorageError,
)
from storage.forget import ForgetPlan, ForgetReport, ForgetScope, plan_forget
from storage.forget import forget as forget_sources
from storage.frames import FrameFiles
from storage.interface import UnitOfWork
from storage.kinds import (
    ALL_KINDS,
    CORE,
    MEMORY_KINDS,
    MEMORY_TYPE_NAMES,
    Kind,
    kind_named,
    kind_of_id,
)
from storage.memories import MemoryStore
from storage.paths import DB_FILENAME, ensure_data_dir, resolve_data_dir
from storage.records import HistoryEntry, Hit, Record, SourceRef
from storage.rows import RowStore
from storage.search import HybridSearch, Query, ScreenSearchParams, SearchParams
from storage.secrets import SecretCipher
from storage.sources import MessageStore, ScreenshotStore, message_store, screenshot_store
from storage.sqlite.db import Database
from storage.sqlite.search import SqliteSearch
from storage.sqlite.vector_rows import count_other_width, other_width_rows, replace_embeddings
from storage.sqlite.vectors import VectorIndexes
from storage.sqlite.work import SqliteUnitOfWork
from storage.timeline import Span, counts_between, rows_between
from storage.transfer import export_to, import_file

T = TypeVar("T")

__all__ = [
    "MEMORY_TYPE_NAMES",
    "CoreStore",
    "CorruptDatabaseError",
    "Database",
    "DatabaseLockedError",
    "DiskFullError",
    "EnvironmentStorageError",
    "ForgetPlan",
    "ForgetReport",
    "ForgetScope",
    "HistoryEntry",
    "Hit",
    "InvalidInputError",
    "Kind",
    "MemoryStore",
    "MessageStore",
    "NotFoundError",
    "Query",
    "Record",
    "ScreenSearchParams",
    "ScreenshotStore",
    "SearchParams",
    "SourceRef",
    "Storage",
    "StorageError",
    "kind_named",
    "kind_of_id",
    "resolve_data_dir",
]


@dataclass
class Storage:
    """Everything stored in one data directory."""

    data_dir: Path
    _db: Database
    memories: dict[str, MemoryStore]
    messages: MessageStore
    screenshots: ScreenshotStore
    search: HybridSearch
    vectors: VectorIndexes
    cipher: SecretCipher | None = None

    @classmethod
    def open(
        cls,
        data_dir: Path | str | None = None,
        *,
        params: SearchParams | None = None,
        cipher: SecretCipher | None = None,
    ) -> Storage:
        """Open (creating if needed) the data directory.

        ``cipher`` encrypts the knowledge vault's secrets at rest (the app always
        passes one); secrets stored in plaintext earlier are encrypted on open.
        Without it, secrets are stored as given and encrypted ones cannot be read.
        """
        directory = ensure_data_dir(resolve_data_dir(data_dir))
        db = Database(directory / DB_FILENAME)
        os.chmod(directory / DB_FILENAME, 0o600)
        memories: dict[str, MemoryStore] = {
            k.name: (CoreStore(db, k, cipher) if k is CORE else MemoryStore(db, k, cipher))
            for k in MEMORY_KINDS
        }
        core = memories["core"]
        assert isinstance(core, CoreStore)
        try:
            core.ensure_blocks()
            for store in memories.values():
                store.seal_plaintext_secrets()
        except BaseException:
            db.close()
            raise
        messages, screenshots = message_store(db), screenshot_store(db)
        # Graphs for large kinds are built in the background (the exact matrix
        # answers meanwhile); close() waits for them or stops them.
        vectors = VectorIndexes(directory / "index", reading=db.reading)
        search = HybridSearch(SqliteSearch(db, vectors), params)
        return cls(directory, db, memories, messages, screenshots, search, vectors, cipher)

    @property
    def batches(self) -> BatchStore:
        """Observation batches waiting for the memory agents."""
        return BatchStore(self._db)

    @property
    def core(self) -> CoreStore:
        store = self.memories["core"]
        assert isinstance(store, CoreStore)
        return store

    def transaction(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in one write transaction: everything it writes through the
        unit of work it is handed is stored together, or nothing if it raises."""
        return self._db.write(
            lambda conn: work(
                SqliteUnitOfWork(
                    conn,
                    memories=self.memories,
                    messages=self.messages,
                    screenshots=self.screenshots,
                    batches=self.batches,
                )
            )
        )

    def frame_files(self) -> FrameFiles:
        """The screenshot image files of this data directory."""
        return FrameFiles(self.data_dir, self._db)

    def between(self, span: Span, *, frames: int, limit: int) -> dict[str, Any]:
        """What was stored in ``span``, oldest first, on one snapshot: up to
        ``frames`` screenshots and ``limit`` messages and events (episodic
        memories) as dicts, and how many of each the span holds (``counts``)."""
        with self._db.reading() as conn:
            return {
                "screenshots": [dict(r) for r in rows_between(conn, "screenshots", span, frames)],
                "messages": [dict(r) for r in rows_between(conn, "messages", span, limit)],
                "events": [dict(r) for r in rows_between(conn, "events", span, limit)],
                "counts": counts_between(conn, span),
            }

    def export_to(self, out: IO[str], *, reveal_secrets: bool = True) -> int:
        """Write every row and version as JSON lines (see :mod:`storage.transfer`)."""
        return export_to(self._db, out, cipher=self.cipher, reveal_secrets=reveal_secrets)

    def import_file(self, path: Path, *, replace: bool = False) -> dict[str, int]:
        """Import an export file in one transaction; counts by record type."""
        return import_file(self._db, path, replace=replace, cipher=self.cipher)

    # -- re-embedding upkeep -----------------------------------------------------------

    def count_other_width(self, dim: int) -> int:
        """Rows whose embedding is not ``dim`` wide (made by another model)."""
        with self._db.reading() as conn:
            return sum(count_other_width(conn, kind, dim) for kind in ALL_KINDS)

    def other_width_rows(
        self, kind: Kind, dim: int, after_rowid: int, limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` rows of ``kind`` after ``after_rowid`` (rowid order) whose
        embedding another model made, whole, each with its ``rowid``."""
        with self._db.reading() as conn:
            return [dict(r) for r in other_width_rows(conn, kind, dim, after_rowid, limit)]

    def replace_embeddings(
        self, kind: Kind, rows: Sequence[tuple[int, bytes, bytes | None]]
    ) -> None:
        """(rowid, embedding, chunk embeddings or None) of re-embedded rows; not an
        edit (no version or history)."""
        self._db.write(lambda conn: replace_embeddings(conn, kind=kind, rows=list(rows)))

    def store_for_id(self, item_id: str) -> RowStore:
        return self.store_for_kind(kind_of_id(item_id).name)

    def store_for_kind(self, name: str) -> RowStore:
        kind = kind_named(name)
        if kind.name == "message":
            return self.messages
        if kind.name == "screenshot":
            return self.screenshots
        return self.memories[kind.name]

    def memory_store_for_id(self, item_id: str) -> MemoryStore:
        store = self.store_for_id(item_id)
        if not isinstance(store, MemoryStore):
            raise InvalidInputError(
                f"{item_id} is a raw {store.kind.name}, not a memory: it is kept as it came, "
                f"or forgotten for good (mirix-app delete {item_id})."
            )
        return store

    def forget_plan(self, scope: ForgetScope) -> ForgetPlan:
        """What :meth:`forget` would delete and unlink (for a confirmation)."""
        return plan_forget(self._db, scope)

    def forget(self, scope: ForgetScope, *, files: FrameFiles | None = None) -> ForgetReport:
        """Forget the raw sources ``scope`` names, for good, with everything made
        from them (see :mod:`storage.forget`): rows, index entries, memories made
        only from them, batch items, image files (through ``files``, the screen
        pipeline's when it runs) and the saved search graphs of the kinds touched."""
        report = forget_sources(self._db, scope)
        plan = report.plan
        if not plan.items:
            return report
        kinds = {kind_of_id(i) for i in (*plan.messages, *plan.screenshots)}
        kinds |= {kind_of_id(i) for i in plan.memories_deleted}
        self.vectors.drop_saved(kinds)
        remover = files or FrameFiles(self.data_dir, self._db)
        for relative in report.files:
            remover.remove(relative)
        return report

    def stats(self) -> dict[str, Any]:
        counts: dict[str, Any] = {}
        with self._db.reading() as conn:
            for kind in ALL_KINDS:
                store = self.memories.get(kind.name) or (
                    self.messages if kind.name == "message" else self.screenshots
                )
                live, deleted = store.count(conn)
                counts[kind.name] = {"live": live, "deleted": deleted}
            history = conn.execute("SELECT count(*) FROM memory_history").fetchone()[0]
            links = conn.execute("SELECT count(*) FROM provenance").fetchone()[0]
        files = [self._db.path, Path(f"{self._db.path}-wal"), Path(f"{self._db.path}-shm")]
        size = sum(f.stat().st_size for f in files if f.exists())
        return {
            "data_dir": str(self.data_dir),
            "database": str(self._db.path),
            "database_bytes": size,
            "counts": counts,
            "history_entries": history,
            "provenance_links": links,
        }

    def close(self, *, finish_builds: bool = True) -> None:
        """Save the search indexes and close the database. A search graph still
        being built is finished first (it is saved for the next start), or, with
        ``finish_builds`` False (an app quitting), dropped and built again later."""
        self.vectors.close(finish_builds=finish_builds)
        self._db.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
