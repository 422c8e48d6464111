"""The PostgreSQL engine: its repositories, its unit of work, its search and
the storage-wide reads (:class:`storage.interface.StorageEngine`).

:meth:`PostgresEngine.open` checks the URL, reaches the server, brings the
schema up to date (several devices may do so at once) and makes the core blocks.
Its repositories each run a call in a transaction of their own;
:meth:`PostgresEngine.transaction` hands a function the same repositories bound
to one transaction, so what it writes is stored together or not at all (a
message with its episodic memory and their provenance).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from storage.batches import Batch
from storage.errors import EnvironmentStorageError
from storage.forget import ForgetPlan, ForgetReport, ForgetScope
from storage.frames import FrameFiles
from storage.interface import UnitOfWork
from storage.kinds import (
    ALL_KINDS,
    CORE,
    MEMORY_KINDS,
    MESSAGE,
    SCREENSHOT,
    Kind,
)
from storage.postgres.batches import BatchRepository, BatchWrites
from storage.postgres.db import Connection, PostgresDatabase
from storage.postgres.forget import forget as forget_sources
from storage.postgres.forget import plan_forget, take_forgotten_files
from storage.postgres.migrations import schema_version
from storage.postgres.rows import (
    CoreRepository,
    HistoryRepository,
    MemoryRepository,
    ProvenanceRepository,
    ScreenshotRepository,
    SourceRepository,
)
from storage.postgres.search import PostgresSearch
from storage.postgres.transfer import (
    Copied,
    begin_migration,
    copy_batches,
    copy_in,
    export_to,
    finish_migration,
    import_file,
)
from storage.postgres.upkeep import (
    other_width_batch,
    other_width_count,
    set_embeddings,
    timeline_between,
)
from storage.postgres.url import parse_database_url
from storage.secrets import SecretCipher
from storage.timeline import Span
from storage.transfer import Numbered

T = TypeVar("T")


@dataclass(frozen=True)
class Repositories:
    """Every repository, bound to one transaction or each call to its own."""

    memories: dict[str, MemoryRepository]
    messages: SourceRepository
    screenshots: ScreenshotRepository
    batches: BatchRepository
    provenance: ProvenanceRepository
    history: HistoryRepository


@dataclass(frozen=True)
class PostgresUnitOfWork:
    """The repositories' writes bound to one transaction (:class:`UnitOfWork`)."""

    memories: dict[str, MemoryRepository]
    messages: SourceRepository
    screenshots: ScreenshotRepository
    batches: BatchWrites
    provenance: ProvenanceRepository


def _is_a_unit_of_work(work: PostgresUnitOfWork) -> UnitOfWork:
    return work  # mypy checks here that the bound repositories make a unit of work


class PostgresEngine:
    """One memory in a PostgreSQL database, as this device sees it: what it stores
    is everyone's, except its screenshot image files, which stay in ``data_dir``."""

    name = "postgresql"

    def __init__(
        self,
        db: PostgresDatabase,
        *,
        device: str,
        cipher: SecretCipher | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.db = db
        self.device = device
        self.cipher = cipher
        self.data_dir = data_dir
        self.repos = self._repositories(None)
        self.search = PostgresSearch(db)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        password: str | None = None,
        device: str | None = None,
        cipher: SecretCipher | None = None,
        data_dir: Path | None = None,
        max_connections: int = 8,
    ) -> PostgresEngine:
        """Connect (an error of :mod:`storage.errors` names what failed: a bad URL,
        an unreachable server, a refused password), migrate and make the core
        blocks. ``device`` names this device on the screenshots it stores (default:
        the host name); ``data_dir`` holds this device's image files."""
        parsed = parse_database_url(url)
        if password is None:
            password = parsed.password
        db = PostgresDatabase(parsed, password=password, max_connections=max_connections)
        try:
            engine = cls(
                db, device=device or socket.gethostname(), cipher=cipher, data_dir=data_dir
            )
            engine.core.ensure_blocks()
        except BaseException:
            db.close()
            raise
        return engine

    def _repositories(self, conn: Connection | None) -> Repositories:
        return Repositories(
            memories={
                k.name: (CoreRepository if k is CORE else MemoryRepository)(
                    self.db, conn, k, self.cipher
                )
                for k in MEMORY_KINDS
            },
            messages=SourceRepository(self.db, conn, MESSAGE, device=self.device),
            screenshots=ScreenshotRepository(self.db, conn, SCREENSHOT, device=self.device),
            batches=BatchRepository(self.db, conn),
            provenance=ProvenanceRepository(self.db, conn),
            history=HistoryRepository(self.db, conn),
        )

    # -- the repositories (storage.interface.StorageEngine) -------------------------------

    @property
    def memories(self) -> dict[str, MemoryRepository]:
        return self.repos.memories

    @property
    def core(self) -> CoreRepository:
        core = self.repos.memories["core"]
        assert isinstance(core, CoreRepository)
        return core

    @property
    def messages(self) -> SourceRepository:
        return self.repos.messages

    @property
    def screenshots(self) -> ScreenshotRepository:
        return self.repos.screenshots

    @property
    def batches(self) -> BatchRepository:
        return self.repos.batches

    @property
    def search_backend(self) -> PostgresSearch:
        return self.search

    def transaction(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` with the repositories bound to one transaction: all it writes
        is stored together, or nothing if it raises."""

        def run(conn: Connection) -> T:
            repos = self._repositories(conn)
            return work(
                PostgresUnitOfWork(
                    memories=repos.memories,
                    messages=repos.messages,
                    screenshots=repos.screenshots,
                    batches=BatchWrites(repos.batches),
                    provenance=repos.provenance,
                )
            )

        return self.db.write(run)

    def frame_files(self) -> FrameFiles:
        """This device's image files; their rows are those naming this device."""
        if self.data_dir is None:
            raise EnvironmentStorageError("The PostgreSQL engine was opened without a data folder.")
        return FrameFiles(self.data_dir, self.screenshots)

    # -- storage-wide reads and upkeep ----------------------------------------------------

    def between(self, span: Span, *, frames: int, limit: int) -> dict[str, Any]:
        """What every device stored in ``span`` (see :meth:`storage.Storage.between`)."""
        with self.db.reading() as conn:
            return timeline_between(conn, span, frames=frames, limit=limit)

    def count_other_width(self, dim: int) -> int:
        with self.db.reading() as conn:
            return sum(other_width_count(conn, kind, (dim,)) for kind in ALL_KINDS)

    def other_width_rows(
        self, kind: Kind, dim: int, after_rowid: int, limit: int
    ) -> list[dict[str, Any]]:
        with self.db.reading() as conn:
            return other_width_batch(conn, kind, dim, after_rowid, limit)

    def replace_embeddings(
        self, kind: Kind, rows: Sequence[tuple[int, bytes, bytes | None]]
    ) -> None:
        self.db.write(lambda conn: set_embeddings(conn, kind, rows))

    def left_out_of_meaning_search(self) -> int:
        """Rows whose vector is not as wide as any query vector searched so far."""
        widths = self.search.widths_searched()
        if not widths:
            return 0
        with self.db.reading() as conn:
            return sum(other_width_count(conn, kind, widths) for kind in ALL_KINDS)

    def stats(self) -> dict[str, Any]:
        with self.db.reading() as conn:
            sizes = conn.execute(
                "SELECT pg_database_size(current_database()) AS bytes, "
                "(SELECT count(*) FROM memory_history) AS history, "
                "(SELECT count(*) FROM provenance) AS links"
            ).fetchone()
        assert sizes is not None
        return {
            "engine": self.name,
            "database": self.db.url.url,
            "device": self.device,
            "database_bytes": int(sizes["bytes"]),
            "counts": self.counts(),
            "history_entries": int(sizes["history"]),
            "provenance_links": int(sizes["links"]),
            "schema_version": self.schema_version(),
        }

    # -- what the devices share -----------------------------------------------------------

    def shared_setting(self, name: str) -> str | None:
        with self.db.reading() as conn:
            row = conn.execute("SELECT value FROM settings WHERE name = %s", (name,)).fetchone()
        return None if row is None else str(row["value"])

    def agree_setting(self, name: str, value: str) -> str:
        """The shared value of ``name``: ``value`` if no device set one before (two
        devices setting it at once agree on the first), else the one stored."""

        def write(conn: Connection) -> str:
            conn.execute(
                "INSERT INTO settings (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (name, value),
            )
            row = conn.execute("SELECT value FROM settings WHERE name = %s", (name,)).fetchone()
            assert row is not None
            return str(row["value"])

        return self.db.write(write)

    def schema_version(self) -> int:
        with self.db.reading() as conn:
            return schema_version(conn)

    def counts(self) -> dict[str, dict[str, int]]:
        """Live and deleted rows per kind."""
        out: dict[str, dict[str, int]] = {}
        repos = self.repos
        for repo in (*repos.memories.values(), repos.messages, repos.screenshots):
            live, deleted = repo.count()
            out[repo.kind.name] = {"live": live, "deleted": deleted}
        return out

    def close(self, *, finish_builds: bool = True) -> None:
        """Close the pool (``finish_builds`` is SQLite's: nothing is built here)."""
        self.db.close()

    def __enter__(self) -> PostgresEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- forgetting, export and import (storage.postgres.forget, .transfer) ----------------

    def forget_plan(self, scope: ForgetScope) -> ForgetPlan:
        return plan_forget(self.db, scope)

    def forget(self, scope: ForgetScope) -> ForgetReport:
        """Forget the scope's rows for every device; the report names the image files
        of this device's screenshots among them, and those other devices' forgets
        left for this one (see :mod:`storage.postgres.forget`)."""
        return forget_sources(self.db, scope, device=self.device)

    def take_forgotten_files(self) -> list[str]:
        """The image files of this device's screenshots that other devices forgot,
        for the caller to remove now."""
        return take_forgotten_files(self.db, self.device)

    def export_to(self, out: IO[str], *, reveal_secrets: bool = True) -> int:
        return export_to(
            self.db, out, device=self.device, cipher=self.cipher, reveal_secrets=reveal_secrets
        )

    def import_file(self, path: Path, *, replace: bool = False) -> dict[str, int]:
        return import_file(self.db, path, device=self.device, replace=replace, cipher=self.cipher)

    # -- a migration from SQLite (mirix-app migrate) -----------------------------------------

    def begin_migration(self, source: str) -> str:
        """ "new", "resumed" or "done" (see :func:`storage.postgres.transfer.begin_migration`)."""
        return begin_migration(self.db, source)

    def copy_in(
        self,
        items: Iterable[Numbered],
        *,
        batch_rows: int = 300,
        limit: int | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Copied:
        """Copy export records in resumable batches, their screenshots this device's."""
        return copy_in(
            self.db,
            items,
            device=self.device,
            cipher=self.cipher,
            batch_rows=batch_rows,
            limit=limit,
            progress=progress,
        )

    def copy_batches(self, batches: Sequence[Batch]) -> int:
        return copy_batches(self.db, batches)

    def finish_migration(self, source: str) -> None:
        finish_migration(self.db, source)
