"""Export and import on the PostgreSQL engine (the format: :mod:`storage.transfer`),
and the copy in batches that ``mirix-app migrate`` resumes.

An export reads one snapshot (a REPEATABLE READ transaction) through
server-side cursors, so a large memory is never held in memory whole. Its lines
are those the SQLite engine writes for the same memory: the same columns
(``search_tsv`` and the screenshot's ``device`` are this engine's own; a
screenshot taken on another device than the exporting one carries ``device``),
vectors as the bytes of their float32 values, rows in the order they were
stored and provenance in the byte order of ids (``COLLATE "C"``, as SQLite
compares text), whatever the database's collation.

An import runs in one transaction and writes rows as this engine's
repositories do: ``search_tsv`` from the index forms of the row's text and its
context (:mod:`storage.postgres.text`), each vector's width with its HNSW index
(:func:`storage.postgres.vectors.ensure_index`).
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import psycopg
from pgvector import Vector as PgVector

from storage.batches import Batch
from storage.errors import InvalidInputError
from storage.kinds import ALL_KINDS, SCREENSHOT, Kind, now_iso
from storage.postgres.db import Connection, PostgresDatabase
from storage.postgres.migrations import schema_version
from storage.postgres.text import TSV_SQL, tsv_params
from storage.postgres.vectors import ensure_index
from storage.secrets import SecretCipher
from storage.transfer import (
    DEVICE,
    SKIPPED_COLUMNS,
    Item,
    Numbered,
    header,
    history_item,
    import_items,
    keep_existing,
    provenance_item,
    read_file,
    row_item,
    stored_history,
    stored_row,
    write_items,
)

OWN_COLUMNS = ("search_tsv", DEVICE)
"""Columns of this engine's tables that the SQLite engine does not have."""
FETCH_ROWS = 500
"""Rows a server-side cursor fetches at a time."""
MIGRATED_FROM = "migrated_from"
"""The shared setting naming the memory migrated into the database."""
MIGRATION_LOCK = 0x6D69_7269_786D  # serialises two migrations into one database


def columns_of(conn: Connection, table: str) -> list[str]:
    """The table's columns as an export names them, in their order."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [r["column_name"] for r in rows if r["column_name"] not in OWN_COLUMNS]


# -- export --------------------------------------------------------------------------


def export_rows(
    db: PostgresDatabase,
    *,
    device: str,
    cipher: SecretCipher | None = None,
    reveal_secrets: bool = True,
) -> Iterator[Item]:
    """Every row as a JSON-ready dict, header first, in the order the SQLite engine
    writes them (see the module docstring); ``device`` is the exporting one."""
    with db.reading() as conn:
        yield header("postgresql", schema_version(conn), device=device)
        for kind in ALL_KINDS:
            columns = [c for c in columns_of(conn, kind.table) if c not in SKIPPED_COLUMNS]
            own = [DEVICE] if kind is SCREENSHOT else []
            sql = f"SELECT {', '.join(columns + own)} FROM {kind.table} ORDER BY rowid"
            for row in _streamed(conn, sql):
                item = row_item(
                    kind, _stored(row), columns, cipher=cipher, reveal_secrets=reveal_secrets
                )
                if own and row[DEVICE] != device:
                    item[DEVICE] = row[DEVICE]
                yield item
        for row in _streamed(
            conn,
            "SELECT memory_id, source_kind, source_id, position FROM provenance "
            'ORDER BY memory_id COLLATE "C", position',
        ):
            yield provenance_item(row)
        for row in _streamed(
            conn,
            "SELECT memory_id, type, version, change, changed_at, data "
            "FROM memory_history ORDER BY seq",
        ):
            yield history_item(row, cipher=cipher, reveal_secrets=reveal_secrets)


def export_to(
    db: PostgresDatabase,
    out: IO[str],
    *,
    device: str,
    cipher: SecretCipher | None = None,
    reveal_secrets: bool = True,
) -> int:
    items = export_rows(db, device=device, cipher=cipher, reveal_secrets=reveal_secrets)
    return write_items(items, out)


def _streamed(conn: Connection, sql: str) -> Iterator[dict[str, Any]]:
    # Binary: a vector comes as its float32 values, not as decimals parsed again.
    with conn.cursor(name="mirix_export", binary=True) as cursor:
        cursor.itersize = FETCH_ROWS
        cursor.execute(sql)
        yield from cursor


def _stored(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row (read in binary) with its pgvector embedding as the bytes SQLite stores."""
    out = dict(row)
    vector = out.get("embedding")
    if vector is not None:
        values = vector.to_numpy() if isinstance(vector, PgVector) else vector
        out["embedding"] = np.asarray(values, dtype=np.float32).tobytes()
    return out


# -- import --------------------------------------------------------------------------


def import_file(
    db: PostgresDatabase,
    path: Path,
    *,
    device: str,
    replace: bool = False,
    cipher: SecretCipher | None = None,
) -> dict[str, int]:
    """Import an export file in one transaction; returns counts by record type.

    The rules of :func:`storage.sqlite.transfer.import_file`: an id already stored
    is an error unless its row is identical (skipped), a core block never edited
    (overwritten) or ``replace`` is set; secrets sealed with ``cipher``. A
    screenshot without a ``device`` is the header's device's, or (a SQLite export)
    ``device``'s, the importing one. A vector width new to a kind gets its HNSW
    index once the rows are in (built over them, not row by row)."""
    head, items = read_file(path)
    named = head.get(DEVICE)
    frames_on = named if isinstance(named, str) else device

    def write(conn: Connection) -> dict[str, int]:
        rows = Importer(conn, cipher=cipher, device=frames_on, replace=replace, index_vectors=False)
        counts = import_items(
            items, str(path), row=rows.row, provenance=rows.provenance, history=rows.history
        )
        for kind, dim in sorted(rows.widths, key=lambda w: (w[0].table, w[1])):
            ensure_index(conn, kind, dim)  # a graph built over the rows, in the same transaction
        return counts

    try:
        return db.write(write)
    except (psycopg.IntegrityError, psycopg.DataError) as exc:
        reason = str(exc).splitlines()[0]
        raise InvalidInputError(f"{path}: not a valid mirix-app export ({reason}).") from None


class Importer:
    """Writes imported records in the caller's transaction. ``skip_existing``: a
    row whose id is stored is left as it is (a resumed copy), except a fixed row
    never edited, which the imported one replaces. ``index_vectors`` False leaves
    the HNSW indexes to be built after the copy (:func:`index_vectors`)."""

    def __init__(
        self,
        conn: Connection,
        *,
        cipher: SecretCipher | None,
        device: str,
        replace: bool = False,
        skip_existing: bool = False,
        index_vectors: bool = True,
    ) -> None:
        self.conn = conn
        self.cipher = cipher
        self.device = device
        self.replace = replace
        self.skip_existing = skip_existing
        self.index_vectors = index_vectors
        self.widths: set[tuple[Kind, int]] = set()
        """(kind, vector width) of the rows written without indexing."""
        self.skipped = 0
        self._columns: dict[str, list[str]] = {}

    def row(self, kind: Kind, item: Item, line_no: int) -> None:
        columns = self._columns.get(kind.table)
        if columns is None:
            columns = self._columns[kind.table] = columns_of(self.conn, kind.table)
        extra = (DEVICE,) if kind is SCREENSHOT else ()
        row = stored_row(kind, item, columns, line_no, cipher=self.cipher, extra=extra)
        if self._keep(kind, row, line_no):
            self.skipped += 1
            return
        if kind is SCREENSHOT:
            device = item.get(DEVICE, self.device)
            if device is not None and not isinstance(device, str):
                raise InvalidInputError(f"line {line_no}: device must be a string or null.")
            row[DEVICE] = device
        blob = row.get("embedding")
        if blob is not None:
            row["embedding"] = np.frombuffer(blob, dtype=np.float32)
            if self.index_vectors:
                ensure_index(self.conn, kind, len(row["embedding"]))
            else:
                self.widths.add((kind, len(row["embedding"])))
        names = ", ".join([*row, "search_tsv"])
        marks = ", ".join(["%s"] * len(row) + [TSV_SQL])
        self.conn.execute(
            f"INSERT INTO {kind.table} ({names}) VALUES ({marks})",
            (*row.values(), *tsv_params(row["search_text"], row["context"])),
        )

    def _keep(self, kind: Kind, row: Item, line_no: int) -> bool:
        """Whether the stored row of the id (if any) stays; one that does not is
        deleted here, for the imported one to take its place."""
        if self.skip_existing and not kind.fixed:
            found = self.conn.execute(f"SELECT 1 FROM {kind.table} WHERE id = %s", (row["id"],))
            return found.fetchone() is not None
        existing = (
            self.conn.cursor(binary=True)
            .execute(f"SELECT * FROM {kind.table} WHERE id = %s", (row["id"],))
            .fetchone()
        )
        if existing is None:
            return False
        stored = _stored(existing)
        if self.skip_existing:  # a fixed row: the copy's stays, a new memory's goes
            keep = existing["version"] != 1 or keep_existing(
                kind, stored, row, line_no, replace=True, cipher=self.cipher
            )
        else:
            keep = keep_existing(
                kind, stored, row, line_no, replace=self.replace, cipher=self.cipher
            )
        if not keep:
            self.conn.execute(f"DELETE FROM {kind.table} WHERE id = %s", (row["id"],))
        return keep

    def provenance(self, item: Item) -> None:
        self.conn.execute(
            "INSERT INTO provenance (memory_id, source_kind, source_id, position) "
            "VALUES (%(memory_id)s, %(source_kind)s, %(source_id)s, %(position)s) "
            "ON CONFLICT (memory_id, source_kind, source_id) "
            "DO UPDATE SET position = EXCLUDED.position",
            item,
        )

    def history(self, item: Item, line_no: int) -> None:
        item = stored_history(item, line_no, self.cipher)
        exists = self.conn.execute(
            "SELECT 1 FROM memory_history WHERE memory_id = %s AND version = %s AND change = %s",
            (item["memory_id"], item["version"], item["change"]),
        ).fetchone()
        if exists is None:
            self.conn.execute(
                "INSERT INTO memory_history (memory_id, type, version, change, changed_at, "
                "data) VALUES (%(memory_id)s, %(type)s, %(version)s, %(change)s, "
                "%(changed_at)s, %(data)s)",
                item,
            )
        else:
            self.skipped += 1


# -- the copy a migration makes ------------------------------------------------------


@dataclass(frozen=True)
class Copied:
    """What a copy in batches did: records written, records found there already
    (a resumed copy), and whether it stopped before the end (``limit``)."""

    written: int
    skipped: int
    stopped: bool


def copy_in(
    db: PostgresDatabase,
    items: Iterable[Numbered],
    *,
    device: str,
    cipher: SecretCipher | None,
    batch_rows: int = 300,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Copied:
    """Copy export records (the header left out) in transactions of ``batch_rows``
    records, each committed before the next begins: a copy stopped anywhere (a
    crash, Ctrl-C) goes on where it stopped when run again, skipping the rows
    whose ids are stored (:class:`Importer` with ``skip_existing``). Screenshots
    are ``device``'s; ``limit`` stops after that many records (a partial copy);
    ``progress(records done, records skipped)`` after each batch. The vectors'
    HNSW indexes are built once the copy has ended (:func:`index_vectors`): a
    graph built over the rows there costs a fraction of a row-by-row insert."""
    written = skipped = 0
    source = iter(items)
    while limit is None or written + skipped < limit:
        size = batch_rows if limit is None else min(batch_rows, limit - written - skipped)
        batch = list(itertools.islice(source, size))
        if not batch:
            index_vectors(db)
            return Copied(written, skipped, stopped=False)

        def write(conn: Connection, batch: list[Numbered] = batch) -> int:
            rows = Importer(
                conn, cipher=cipher, device=device, skip_existing=True, index_vectors=False
            )
            import_items(
                batch, "the copy", row=rows.row, provenance=rows.provenance, history=rows.history
            )
            return rows.skipped

        there = db.write(write)
        written += len(batch) - there
        skipped += there
        if progress is not None:
            progress(written + skipped, skipped)
    stopped = next(source, None) is not None
    if not stopped:
        index_vectors(db)
    return Copied(written, skipped, stopped=stopped)


def index_vectors(db: PostgresDatabase) -> int:
    """Make the HNSW index of every kind's vector width that has rows and none yet
    (each in a transaction of its own); how many widths were looked at."""
    widths: list[tuple[Kind, int]] = []
    with db.reading() as conn:
        for kind in ALL_KINDS:
            rows = conn.execute(
                f"SELECT DISTINCT vector_dims(embedding) AS dim FROM {kind.table} "
                "WHERE embedding IS NOT NULL"
            ).fetchall()
            widths += [(kind, int(r["dim"])) for r in rows]
    for kind, dim in widths:
        db.write(functools.partial(_ensure_index, kind=kind, dim=dim))
    return len(widths)


def _ensure_index(conn: Connection, *, kind: Kind, dim: int) -> None:
    ensure_index(conn, kind, dim)


def copy_batches(db: PostgresDatabase, batches: Sequence[Batch]) -> int:
    """Copy observation batches not yet absorbed (their leases dropped: a lease
    held on the other engine means nothing here); a batch stored already stays.
    Returns the batches written."""

    def write(conn: Connection) -> int:
        written = 0
        for batch in batches:
            cursor = conn.execute(
                "INSERT INTO batches (id, created_at, updated_at, status, attempts, "
                "last_error, items, sealed_at, plan, retry_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (
                    batch.id,
                    batch.created_at,
                    batch.updated_at,
                    batch.status,
                    batch.attempts,
                    batch.last_error,
                    json.dumps(list(batch.items), ensure_ascii=False),
                    batch.sealed_at,
                    None if batch.plan is None else json.dumps(batch.plan, ensure_ascii=False),
                    batch.retry_at,
                ),
            )
            written += cursor.rowcount
        return written

    return db.write(write)


def begin_migration(db: PostgresDatabase, source: str) -> str:
    """Claim the database for the migration of the memory named ``source``: "new"
    (it held nothing but the empty core blocks), "resumed" (a migration of the same
    memory stopped before its end) or "done" (it finished). A database holding
    anything else, or another memory's migration, is refused."""

    def write(conn: Connection) -> str:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        row = conn.execute(
            "SELECT value FROM settings WHERE name = %s", (MIGRATED_FROM,)
        ).fetchone()
        if row is not None:
            claimed = json.loads(row["value"])
            if claimed.get("source") != source:
                raise InvalidInputError(
                    f"The PostgreSQL database holds the migration of another memory "
                    f"({claimed.get('source')}); migrate into an empty database."
                )
            return "done" if claimed.get("done_at") else "resumed"
        held = _held(conn)
        if held:
            raise InvalidInputError(
                f"The PostgreSQL database already holds a memory ({held}); migrate into "
                "an empty database (or resume the migration of this same data folder)."
            )
        value = {"source": source, "started_at": now_iso(), "done_at": None}
        conn.execute(
            "INSERT INTO settings (name, value) VALUES (%s, %s)", (MIGRATED_FROM, json.dumps(value))
        )
        return "new"

    return db.write(write)


def finish_migration(db: PostgresDatabase, source: str) -> None:
    def write(conn: Connection) -> None:
        row = conn.execute(
            "SELECT value FROM settings WHERE name = %s FOR UPDATE", (MIGRATED_FROM,)
        ).fetchone()
        claimed = json.loads(row["value"]) if row is not None else {}
        if claimed.get("source") != source:
            raise InvalidInputError("The PostgreSQL database is not this memory's migration.")
        claimed["done_at"] = now_iso()
        conn.execute(
            "UPDATE settings SET value = %s WHERE name = %s", (json.dumps(claimed), MIGRATED_FROM)
        )

    db.write(write)


def _held(conn: Connection) -> str:
    """What the database holds beyond a new memory's empty core blocks, in words
    ("" for nothing)."""
    parts = []
    for kind in ALL_KINDS:
        where = " WHERE NOT (version = 1 AND text = '')" if kind.fixed else ""
        row = conn.execute(f"SELECT count(*) AS n FROM {kind.table}{where}").fetchone()
        if row is not None and row["n"]:
            parts.append(f"{row['n']} {kind.name} row(s)")
    for table in ("memory_history", "provenance", "batches"):
        row = conn.execute(f"SELECT count(*) AS n FROM {table}").fetchone()
        if row is not None and row["n"]:
            parts.append(f"{row['n']} {table} row(s)")
    return ", ".join(parts)
