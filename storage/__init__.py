"""Storage layer: SQLite only. Knows nothing of agents or Qt.

Open a data directory with :meth:`Storage.open`; it holds the database, one
store per memory type, the raw source stores and the hybrid search.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from storage.sqlite.vectors import VectorIndexes

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
    db: Database
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
        return BatchStore(self.db)

    @property
    def core(self) -> CoreStore:
        store = self.memories["core"]
        assert isinstance(store, CoreStore)
        return store

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
        return plan_forget(self.db, scope)

    def forget(self, scope: ForgetScope, *, files: FrameFiles | None = None) -> ForgetReport:
        """Forget the raw sources ``scope`` names, for good, with everything made
        from them (see :mod:`storage.forget`): rows, index entries, memories made
        only from them, batch items, image files (through ``files``, the screen
        pipeline's when it runs) and the saved search graphs of the kinds touched."""
        report = forget_sources(self.db, scope)
        plan = report.plan
        if not plan.items:
            return report
        kinds = {kind_of_id(i) for i in (*plan.messages, *plan.screenshots)}
        kinds |= {kind_of_id(i) for i in plan.memories_deleted}
        self.vectors.drop_saved(kinds)
        remover = files or FrameFiles(self.data_dir, self.db)
        for relative in report.files:
            remover.remove(relative)
        return report

    def stats(self) -> dict[str, Any]:
        counts: dict[str, Any] = {}
        with self.db.reading() as conn:
            for kind in ALL_KINDS:
                store = self.memories.get(kind.name) or (
                    self.messages if kind.name == "message" else self.screenshots
                )
                live, deleted = store.count(conn)
                counts[kind.name] = {"live": live, "deleted": deleted}
            history = conn.execute("SELECT count(*) FROM memory_history").fetchone()[0]
            links = conn.execute("SELECT count(*) FROM provenance").fetchone()[0]
        files = [self.db.path, Path(f"{self.db.path}-wal"), Path(f"{self.db.path}-shm")]
        size = sum(f.stat().st_size for f in files if f.exists())
        return {
            "data_dir": str(self.data_dir),
            "database": str(self.db.path),
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
        self.db.close()

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
