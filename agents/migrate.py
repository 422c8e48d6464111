"""``mirix-app migrate --to postgresql://...``: this data folder's memory, kept in
its SQLite database, copied into a PostgreSQL database that devices can share.

What goes: every row and every earlier version an export holds (the six memory
types with the vault's secrets still sealed, messages, screenshots with their
vectors, provenance, history) and the batches the memory agents have not
absorbed yet. What stays: the image files, in this data folder (the copied
screenshots name this device, as the PostgreSQL engine names the frames it
takes), and the settings, which are this device's. The vault key must be the
database's (:func:`agents.database_url.agree_on_vault_key`): an empty database
takes this one.

**Resumable.** The copy commits every few hundred records
(:func:`storage.postgres.transfer.copy_in`); run again after a crash or Ctrl-C,
it skips the rows whose ids are there and goes on. The database records whose
migration it holds (this device and data folder): it refuses one that holds
anything else, or another memory's migration.

**Verified.** Both sides are then exported with the secrets revealed, the header
left out; the records per kind and the SHA-256 of those lines must agree (the
export of a memory is the same from either engine). Only then is the migration
marked done; a migration that does not verify can be run again, and copies
what it lacks (rows stored here meanwhile). Close the desktop app first: a
memory that changes while it is copied will not verify.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from agents.database_url import check_database_url, open_shared_database
from agents.errors import AgentError
from agents.vault_key import KeySource, VaultCipher
from storage import Storage
from storage.paths import ensure_data_dir, resolve_data_dir
from storage.postgres.url import without_password
from storage.transfer import parse_lines

if TYPE_CHECKING:
    from storage.postgres.engine import PostgresEngine

BATCH_ROWS = 300
"""Records copied per transaction."""

Progress = Callable[[int, int, int], None]
"""(records done, records in all, records found there already)."""


@dataclass(frozen=True)
class Digest:
    """One side of a migration: records per kind and the SHA-256 of its export's
    lines (secrets revealed, header left out)."""

    counts: dict[str, int]
    sha256: str


@dataclass(frozen=True)
class MigrationReport:
    database: str
    """The PostgreSQL URL, without a password."""
    device: str
    state: str
    """How it found the database: "new", "resumed" or "done" (verified before)."""
    written: int
    skipped: int
    """Records found there already (a resumed migration)."""
    batches: int
    """Batches not yet absorbed, copied."""
    complete: bool
    """False when it stopped early (``stop_after``); nothing is verified then."""
    source: Digest | None = None
    target: Digest | None = None

    @property
    def matches(self) -> bool:
        return self.source is not None and self.source == self.target

    def to_dict(self) -> dict[str, Any]:
        sides = {
            name: None if side is None else {"counts": side.counts, "sha256": side.sha256}
            for name, side in (("source", self.source), ("target", self.target))
        }
        return {
            "database": self.database,
            "device": self.device,
            "state": self.state,
            "written": self.written,
            "skipped": self.skipped,
            "batches": self.batches,
            "complete": self.complete,
            "matches": self.matches,
            **sides,
        }


class Exports(Protocol):
    def export_to(self, out: IO[str], *, reveal_secrets: bool = True) -> int: ...


def migrate_to_postgres(
    data_dir: Path | str | None,
    url: str,
    *,
    key_source: KeySource | None = None,
    batch_rows: int = BATCH_ROWS,
    stop_after: int | None = None,
    progress: Progress | None = None,
) -> MigrationReport:
    """Copy this data folder's SQLite memory into the PostgreSQL database ``url``
    (see the module docstring) and verify it. ``stop_after`` stops after that many
    records, as a crash would (for the tests of resuming)."""
    problem = check_database_url(url) if url.strip() else "is empty."
    if problem:
        raise AgentError(f"--to {problem}")
    directory = ensure_data_dir(resolve_data_dir(data_dir))
    cipher = VaultCipher(directory, key_source)
    with (
        Storage.open(directory, cipher=cipher) as source,
        open_shared_database(directory, url, cipher=cipher) as target,
    ):
        memory = f"{target.device}:{directory.resolve()}"
        state = target.begin_migration(memory)
        report = MigrationReport(without_password(url), target.device, state, 0, 0, 0, True)
        if state != "done":
            report = _copy(source, target, report, batch_rows, stop_after, progress)
            if not report.complete:
                return report
        report = replace(report, source=digest(source), target=digest(target))
        if report.matches and state != "done":
            target.finish_migration(memory)
        return report


def _copy(
    source: Storage,
    target: PostgresEngine,
    report: MigrationReport,
    batch_rows: int,
    stop_after: int | None,
    progress: Progress | None,
) -> MigrationReport:
    """The rows (skipping those there already), then the batches not absorbed."""
    total = _records(source)
    records = _records_of(source)
    try:
        copied = target.copy_in(
            records,
            batch_rows=batch_rows,
            limit=stop_after,
            progress=None if progress is None else lambda done, there: progress(done, total, there),
        )
    finally:
        records.close()  # stops the export's thread however the copy ended
    report = replace(
        report, written=copied.written, skipped=copied.skipped, complete=not copied.stopped
    )
    if copied.stopped:
        return report
    pending = source.batches.listed(("pending", "failed"))
    return replace(report, batches=target.copy_batches(pending))


def digest(memory: Exports) -> Digest:
    """Records per kind and the SHA-256 of a memory's export (secrets revealed, the
    header left out), read as it is written: the plaintext is never kept."""
    out = _DigestWriter()
    memory.export_to(out, reveal_secrets=True)
    out.flush_line()
    return Digest(dict(sorted(out.counts.items())), out.hash.hexdigest())


def _records(source: Storage) -> int:
    stats = source.stats()
    rows = sum(c["live"] + c["deleted"] for c in stats["counts"].values())
    return int(rows + stats["history_entries"] + stats["provenance_links"])


def _records_of(source: Storage) -> Generator[tuple[int, dict[str, Any]], None, None]:
    """The records of the source's export (secrets sealed as stored), the header
    checked and left out, read as a thread writes them."""
    pipe = _LinePipe()
    writer = threading.Thread(target=pipe.fill, args=(source,), name="migrate-export", daemon=True)
    writer.start()
    try:
        records = parse_lines(pipe.lines(), "this data folder's export")
        next(records, None)  # the header
        yield from records
    finally:
        pipe.stop()
        writer.join(timeout=30)


class _Stopped(Exception):
    """The reader went away: the export stops."""


_END = object()


class _LineWriter(io.StringIO):
    """A text stream that hands each complete line written to :meth:`_line` and
    keeps nothing else (what export_to writes into)."""

    def __init__(self) -> None:
        super().__init__()
        self._pending = ""

    def write(self, text: str, /) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def _line(self, line: str) -> None:
        raise NotImplementedError


class _LinePipe(_LineWriter):
    """An export written on one thread, read line by line on another (a bounded
    queue: the export waits for the copy)."""

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=2000)
        self._stopped = threading.Event()

    def fill(self, source: Storage) -> None:
        try:
            source.export_to(self, reveal_secrets=False)
            self._put(_END)
        except _Stopped:
            pass
        except BaseException as exc:  # handed to the reader, which raises it
            with contextlib.suppress(_Stopped):
                self._put(exc)

    def _line(self, line: str) -> None:
        self._put(line)

    def _put(self, item: object) -> None:
        while True:
            if self._stopped.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def lines(self) -> Iterator[tuple[int, str]]:
        number = 0
        while (item := self._queue.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            number += 1
            yield number, str(item)

    def stop(self) -> None:
        self._stopped.set()


class _DigestWriter(_LineWriter):
    """Hashes and counts an export's lines as they are written, keeping none."""

    def __init__(self) -> None:
        super().__init__()
        self.hash = hashlib.sha256()
        self.counts: dict[str, int] = {}
        self._header = True

    def flush_line(self) -> None:
        if self._pending:
            self._line(self._pending)
            self._pending = ""

    def _line(self, line: str) -> None:
        if self._header:
            self._header = False
            return
        self.hash.update(line.encode("utf-8") + b"\n")
        item = json.loads(line)
        key = item["type"] if item.get("record") == "row" else str(item.get("record"))
        self.counts[key] = self.counts.get(key, 0) + 1
