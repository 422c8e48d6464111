"""The SQLite engine: one database file in the data directory, its stores, its
unit of work, its search indexes and the storage-wide reads and writes
(timeline, export and import, forgetting, re-embedding, stats).

:class:`storage.Storage` is the facade the layers above use; it holds either this
engine or :class:`storage.postgres.engine.PostgresEngine`, which do the same
things (see :class:`storage.interface.StorageEngine`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

from storage.batches import BatchStore
from storage.core import CoreStore
from storage.forget import ForgetPlan, ForgetReport, ForgetScope
from storage.frames import FrameFiles
from storage.interface import SearchBackend, UnitOfWork
from storage.kinds import ALL_KINDS, CORE, MEMORY_KINDS, Kind
from storage.memories import MemoryStore
from storage.paths import DB_FILENAME
from storage.secrets import SecretCipher
from storage.sources import MessageStore, ScreenshotStore, message_store, screenshot_store
from storage.sqlite.db import Database
from storage.sqlite.forget import forget as forget_sources
from storage.sqlite.forget import plan_forget
from storage.sqlite.search import SqliteSearch
from storage.sqlite.transfer import export_to, import_file
from storage.sqlite.vector_rows import count_other_width, other_width_rows, replace_embeddings
from storage.sqlite.vectors import VectorIndexes
from storage.sqlite.work import SqliteUnitOfWork
from storage.timeline import Span, counts_between, rows_between

T = TypeVar("T")


class SqliteEngine:
    """One memory in ``data_dir/mirix.db``."""

    name = "sqlite"

    def __init__(self, data_dir: Path, cipher: SecretCipher | None = None) -> None:
        self.data_dir = data_dir
        self.cipher = cipher
        self.db = Database(data_dir / DB_FILENAME)
        os.chmod(data_dir / DB_FILENAME, 0o600)
        self.memories: dict[str, MemoryStore] = {
            k.name: (
                CoreStore(self.db, k, cipher) if k is CORE else MemoryStore(self.db, k, cipher)
            )
            for k in MEMORY_KINDS
        }
        try:
            self.core.ensure_blocks()
            for store in self.memories.values():
                store.seal_plaintext_secrets()
        except BaseException:
            self.db.close()
            raise
        self.messages: MessageStore = message_store(self.db)
        self.screenshots: ScreenshotStore = screenshot_store(self.db)
        self.batches = BatchStore(self.db)
        # Graphs for large kinds are built in the background (the exact matrix
        # answers meanwhile); close() waits for them or stops them.
        self.vectors = VectorIndexes(data_dir / "index", reading=self.db.reading)
        self.search_backend: SearchBackend = SqliteSearch(self.db, self.vectors)

    @property
    def core(self) -> CoreStore:
        store = self.memories["core"]
        assert isinstance(store, CoreStore)
        return store

    def transaction(self, work: Callable[[UnitOfWork], T]) -> T:
        return self.db.write(
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
        return FrameFiles(self.data_dir, self.screenshots)

    def between(self, span: Span, *, frames: int, limit: int) -> dict[str, Any]:
        with self.db.reading() as conn:
            return {
                "screenshots": [dict(r) for r in rows_between(conn, "screenshots", span, frames)],
                "messages": [dict(r) for r in rows_between(conn, "messages", span, limit)],
                "events": [dict(r) for r in rows_between(conn, "events", span, limit)],
                "counts": counts_between(conn, span),
            }

    def export_to(self, out: IO[str], *, reveal_secrets: bool = True) -> int:
        return export_to(self.db, out, cipher=self.cipher, reveal_secrets=reveal_secrets)

    def import_file(self, path: Path, *, replace: bool = False) -> dict[str, int]:
        return import_file(self.db, path, replace=replace, cipher=self.cipher)

    def count_other_width(self, dim: int) -> int:
        with self.db.reading() as conn:
            return sum(count_other_width(conn, kind, dim) for kind in ALL_KINDS)

    def other_width_rows(
        self, kind: Kind, dim: int, after_rowid: int, limit: int
    ) -> list[dict[str, Any]]:
        with self.db.reading() as conn:
            return [dict(r) for r in other_width_rows(conn, kind, dim, after_rowid, limit)]

    def replace_embeddings(
        self, kind: Kind, rows: Sequence[tuple[int, bytes, bytes | None]]
    ) -> None:
        self.db.write(lambda conn: replace_embeddings(conn, kind=kind, rows=list(rows)))

    def left_out_of_meaning_search(self) -> int:
        return self.vectors.left_out()

    def forget_plan(self, scope: ForgetScope) -> ForgetPlan:
        return plan_forget(self.db, scope)

    def forget(self, scope: ForgetScope) -> ForgetReport:
        report = forget_sources(self.db, scope)
        if report.plan.items:
            self.vectors.drop_saved(report.plan.kinds_touched())
        return report

    def agree_setting(self, name: str, value: str) -> str:
        return value  # one device: nobody to agree with

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
            "engine": self.name,
            "database": str(self.db.path),
            "database_bytes": size,
            "counts": counts,
            "history_entries": history,
            "provenance_links": links,
        }

    def close(self, *, finish_builds: bool = True) -> None:
        self.vectors.close(finish_builds=finish_builds)
        self.db.close()
