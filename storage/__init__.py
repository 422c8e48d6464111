"""Storage layer: knows nothing of agents or Qt.

Open a data directory with :meth:`Storage.open`; it holds one store per memory
type, the raw source stores and the hybrid search, each running in a
transaction of its own, and :meth:`Storage.transaction` for writes that must
be stored together (a unit of work, :class:`storage.interface.UnitOfWork`).
The database itself is private: no SQL and no connection leaves this package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, TypeVar

from storage.errors import (
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    EnvironmentStorageError,
    InvalidInputError,
    NotFoundError,
    StorageError,
)
from storage.forget import ForgetPlan, ForgetReport, ForgetScope
from storage.frames import FrameFiles
from storage.interface import (
    Batches,
    CoreBlocks,
    Memories,
    Messages,
    Records,
    Screenshots,
    StorageEngine,
    UnitOfWork,
)
from storage.kinds import MEMORY_TYPE_NAMES, Kind, kind_named, kind_of_id
from storage.paths import ensure_data_dir, resolve_data_dir
from storage.records import HistoryEntry, Hit, Record, SourceRef
from storage.search import HybridSearch, Query, ScreenSearchParams, SearchParams
from storage.secrets import SecretCipher
from storage.sqlite.db import Database
from storage.sqlite.engine import SqliteEngine
from storage.timeline import Span

T = TypeVar("T")

__all__ = [
    "MEMORY_TYPE_NAMES",
    "CorruptDatabaseError",
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
    "NotFoundError",
    "Query",
    "Record",
    "ScreenSearchParams",
    "SearchParams",
    "SourceRef",
    "Storage",
    "StorageError",
    "kind_named",
    "kind_of_id",
    "resolve_data_dir",
]


class Storage:
    """One user's memory: the facade the layers above use, over one engine.

    The engine is SQLite (a file in the data directory, the default) or, given a
    ``postgresql://`` database URL, a PostgreSQL server with pgvector that several
    devices share (:mod:`storage.postgres`). Either way the data directory holds
    this device's screenshot image files and its settings.
    """

    def __init__(self, data_dir: Path, engine: StorageEngine, params: SearchParams | None) -> None:
        self.data_dir = data_dir
        self._engine = engine
        self.search = HybridSearch(engine.search_backend, params)

    @classmethod
    def open(
        cls,
        data_dir: Path | str | None = None,
        *,
        params: SearchParams | None = None,
        cipher: SecretCipher | None = None,
        database_url: str | None = None,
        password: str | None = None,
        device: str | None = None,
    ) -> Storage:
        """Open (creating if needed) the data directory and its memory.

        ``cipher`` encrypts the knowledge vault's secrets at rest (the app always
        passes one); secrets stored in plaintext earlier are encrypted on open.
        Without it, secrets are stored as given and encrypted ones cannot be read.

        ``database_url`` (``postgresql://user@host:port/database``) keeps the memory
        in that PostgreSQL database instead of ``mirix.db`` (``password`` for its
        user; ``device`` names this device on its screenshots, default the host
        name); None or ``sqlite`` is the data directory's own file.
        """
        directory = ensure_data_dir(resolve_data_dir(data_dir))
        engine: StorageEngine
        if database_url and database_url.strip().lower() != "sqlite":
            from storage.postgres.engine import PostgresEngine

            pg = PostgresEngine.open(
                database_url, password=password, device=device, cipher=cipher, data_dir=directory
            )
            # Frames of this device that another device forgot: their files go now.
            files = pg.frame_files()
            for relative in pg.take_forgotten_files():
                files.remove(relative)
            engine = pg
        else:
            engine = SqliteEngine(directory, cipher)
        return cls(directory, engine, params)

    @property
    def engine(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.name

    @property
    def device(self) -> str | None:
        """This device's name on the screenshots it stores in a shared memory (None:
        the memory is this device's own)."""
        return getattr(self._engine, "device", None)

    @property
    def _db(self) -> Database:
        """The SQLite engine's database (for tests that look inside the file)."""
        if not isinstance(self._engine, SqliteEngine):
            raise AttributeError(f"The {self.engine} engine has no SQLite database.")
        return self._engine.db

    @property
    def cipher(self) -> SecretCipher | None:
        return self._engine.cipher

    @property
    def memories(self) -> Mapping[str, Memories]:
        return self._engine.memories

    @property
    def core(self) -> CoreBlocks:
        return self._engine.core

    @property
    def messages(self) -> Messages:
        return self._engine.messages

    @property
    def screenshots(self) -> Screenshots:
        return self._engine.screenshots

    @property
    def batches(self) -> Batches:
        """Observation batches waiting for the memory agents."""
        return self._engine.batches

    def transaction(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in one write transaction: everything it writes through the
        unit of work it is handed is stored together, or nothing if it raises."""
        return self._engine.transaction(work)

    def frame_files(self) -> FrameFiles:
        """This device's screenshot image files (in the data directory)."""
        return self._engine.frame_files()

    def between(self, span: Span, *, frames: int, limit: int) -> dict[str, Any]:
        """What was stored in ``span``, oldest first, on one snapshot: up to
        ``frames`` screenshots and ``limit`` messages and events (episodic
        memories) as dicts, and how many of each the span holds (``counts``)."""
        return self._engine.between(span, frames=frames, limit=limit)

    def export_to(self, out: IO[str], *, reveal_secrets: bool = True) -> int:
        """Write every row and version as JSON lines (see :mod:`storage.transfer`)."""
        return self._engine.export_to(out, reveal_secrets=reveal_secrets)

    def import_file(self, path: Path, *, replace: bool = False) -> dict[str, int]:
        """Import an export file in one transaction; counts by record type."""
        return self._engine.import_file(path, replace=replace)

    # -- re-embedding upkeep -----------------------------------------------------------

    def count_other_width(self, dim: int) -> int:
        """Rows whose embedding is not ``dim`` wide (made by another model)."""
        return self._engine.count_other_width(dim)

    def other_width_rows(
        self, kind: Kind, dim: int, after_rowid: int, limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` rows of ``kind`` after ``after_rowid`` (rowid order) whose
        embedding another model made, whole, each with its ``rowid``."""
        return self._engine.other_width_rows(kind, dim, after_rowid, limit)

    def replace_embeddings(
        self, kind: Kind, rows: Sequence[tuple[int, bytes, bytes | None]]
    ) -> None:
        """(rowid, embedding, chunk embeddings or None) of re-embedded rows; not an
        edit (no version or history)."""
        self._engine.replace_embeddings(kind, rows)

    def left_out_of_meaning_search(self) -> int:
        """Rows the searches so far left out because another model embedded them."""
        return self._engine.left_out_of_meaning_search()

    def store_for_id(self, item_id: str) -> Records:
        return self.store_for_kind(kind_of_id(item_id).name)

    def store_for_kind(self, name: str) -> Records:
        kind = kind_named(name)
        if kind.name == "message":
            return self.messages
        if kind.name == "screenshot":
            return self.screenshots
        return self.memories[kind.name]

    def memory_store_for_id(self, item_id: str) -> Memories:
        kind = kind_of_id(item_id)
        if kind.name in ("message", "screenshot"):
            raise InvalidInputError(
                f"{item_id} is a raw {kind.name}, not a memory: it is kept as it came, "
                f"or forgotten for good (mirix-app delete {item_id})."
            )
        return self.memories[kind.name]

    def forget_plan(self, scope: ForgetScope) -> ForgetPlan:
        """What :meth:`forget` would delete and unlink (for a confirmation)."""
        return self._engine.forget_plan(scope)

    def forget(self, scope: ForgetScope, *, files: FrameFiles | None = None) -> ForgetReport:
        """Forget the raw sources ``scope`` names, for good, with everything made
        from them (see :mod:`storage.forget`): rows, index entries, memories made
        only from them, batch items, image files (through ``files``, the screen
        pipeline's when it runs) and the saved search graphs of the kinds touched."""
        report = self._engine.forget(scope)
        remover = files or self.frame_files()
        for relative in report.files:
            remover.remove(relative)
        return report

    def agree_setting(self, name: str, value: str) -> str:
        """The value of ``name`` that every device sharing this memory agrees on:
        ``value`` if none set it before (two at once agree on the first), else the one
        stored. A memory of one device (SQLite) shares nothing: it is ``value``."""
        return self._engine.agree_setting(name, value)

    def stats(self) -> dict[str, Any]:
        """Rows per kind, the database and its size (``engine``: sqlite or postgresql)."""
        return {"data_dir": str(self.data_dir), **self._engine.stats()}

    def close(self, *, finish_builds: bool = True) -> None:
        """Save the search indexes and close the database. A search graph still
        being built is finished first (it is saved for the next start), or, with
        ``finish_builds`` False (an app quitting), dropped and built again later."""
        self._engine.close(finish_builds=finish_builds)

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
