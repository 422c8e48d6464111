"""The PostgreSQL engine: its repositories, its unit of work and its search.

:meth:`PostgresEngine.open` checks the URL, reaches the server, brings the
schema up to date (several devices may do so at once) and makes the core blocks.
:attr:`PostgresEngine.repos` are repositories that each run a call in a
transaction of its own; :meth:`PostgresEngine.write` hands a function the same
repositories bound to one transaction, so what it writes is stored together or
not at all (a message with its episodic memory and their provenance).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from storage.batches import Batch
from storage.forget import ForgetPlan, ForgetReport, ForgetScope
from storage.interface import UnitOfWork
from storage.kinds import (
    CORE,
    DEFAULT_CORE_LIMIT,
    MEMORY_KINDS,
    MESSAGE,
    SCREENSHOT,
    now_iso,
    validate_fields,
)
from storage.postgres.batches import BatchRepository
from storage.postgres.db import Connection, PostgresDatabase
from storage.postgres.forget import forget as forget_sources
from storage.postgres.forget import plan_forget, take_forgotten_files
from storage.postgres.migrations import schema_version
from storage.postgres.rows import (
    HistoryRepository,
    MemoryRepository,
    ProvenanceRepository,
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
from storage.postgres.url import parse_database_url
from storage.secrets import SecretCipher
from storage.transfer import Numbered

T = TypeVar("T")

CORE_BLOCKS = ("persona", "human")


@dataclass(frozen=True)
class Repositories:
    """Every repository, bound to one transaction or each call to its own."""

    memories: dict[str, MemoryRepository]
    messages: SourceRepository
    screenshots: SourceRepository
    batches: BatchRepository
    provenance: ProvenanceRepository
    history: HistoryRepository


def _is_a_unit_of_work(repos: Repositories) -> UnitOfWork:
    return repos  # mypy checks here that the repositories make a unit of work


class PostgresEngine:
    """One memory in a PostgreSQL database, as this device sees it."""

    def __init__(
        self, db: PostgresDatabase, *, device: str, cipher: SecretCipher | None = None
    ) -> None:
        self.db = db
        self.device = device
        self.cipher = cipher
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
        max_connections: int = 8,
    ) -> PostgresEngine:
        """Connect (an error of :mod:`storage.errors` names what failed: a bad URL,
        an unreachable server, a refused password), migrate and make the core
        blocks. ``device`` names this device on the screenshots it stores (default:
        the host name)."""
        parsed = parse_database_url(url)
        if password is None:
            password = parsed.password
        db = PostgresDatabase(parsed, password=password, max_connections=max_connections)
        try:
            engine = cls(db, device=device or socket.gethostname(), cipher=cipher)
            engine.db.write(_ensure_core_blocks)
        except BaseException:
            db.close()
            raise
        return engine

    def _repositories(self, conn: Connection | None) -> Repositories:
        return Repositories(
            memories={
                k.name: MemoryRepository(self.db, conn, k, self.cipher) for k in MEMORY_KINDS
            },
            messages=SourceRepository(self.db, conn, MESSAGE, device=self.device),
            screenshots=SourceRepository(self.db, conn, SCREENSHOT, device=self.device),
            batches=BatchRepository(self.db, conn),
            provenance=ProvenanceRepository(self.db, conn),
            history=HistoryRepository(self.db, conn),
        )

    def transaction(self, work: Callable[[Repositories], T]) -> T:
        """Run ``work`` with the repositories bound to one transaction (the
        :class:`storage.interface.UnitOfWork`): all it writes is stored together, or
        nothing if it raises."""
        return self.db.write(lambda conn: work(self._repositories(conn)))

    # -- what the devices share ----------------------------------------------------------

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

    def close(self) -> None:
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


def _ensure_core_blocks(conn: Connection) -> None:
    """The two core blocks, made by whichever device comes first."""
    for label in CORE_BLOCKS:
        values = validate_fields(
            CORE, {"label": label, "text": "", "char_limit": DEFAULT_CORE_LIMIT}
        )
        now = now_iso()
        conn.execute(
            "INSERT INTO core (id, created_at, updated_at, label, text, char_limit) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (f"core_{label}", now, now, values["label"], values["text"], values["char_limit"]),
        )
