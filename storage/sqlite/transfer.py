"""Export and import on the SQLite engine (the format: :mod:`storage.transfer`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from storage.errors import InvalidInputError
from storage.kinds import ALL_KINDS, Kind
from storage.secrets import SecretCipher
from storage.sqlite.db import Database
from storage.sqlite.migrations import schema_version
from storage.sqlite.tables import column_names
from storage.transfer import (
    DEVICE,
    SKIPPED_COLUMNS,
    Item,
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


def export_rows(
    db: Database, *, cipher: SecretCipher | None = None, reveal_secrets: bool = True
) -> Iterator[Item]:
    """Every row as a JSON-ready dict, header first, in a stable order (rows of each
    kind as they were stored, provenance by memory, history as it was written).

    ``reveal_secrets`` decrypts vault secrets (with ``cipher``) into the export;
    otherwise they are exported as stored.
    """
    with db.reading() as conn:
        yield header("sqlite", schema_version(conn))
        conn.execute("BEGIN")  # one snapshot for the whole export
        try:
            for kind in ALL_KINDS:
                columns = [c for c in column_names(conn, kind.table) if c not in SKIPPED_COLUMNS]
                for row in conn.execute(
                    f"SELECT {', '.join(columns)} FROM {kind.table} ORDER BY rowid"
                ):
                    yield row_item(kind, row, columns, cipher=cipher, reveal_secrets=reveal_secrets)
            for row in conn.execute(
                "SELECT memory_id, source_kind, source_id, position FROM provenance "
                "ORDER BY memory_id, position"
            ):
                yield provenance_item(row)
            for row in conn.execute(
                "SELECT memory_id, type, version, change, changed_at, data "
                "FROM memory_history ORDER BY seq"
            ):
                yield history_item(row, cipher=cipher, reveal_secrets=reveal_secrets)
        finally:
            conn.execute("COMMIT")


def export_to(
    db: Database,
    out: IO[str],
    *,
    cipher: SecretCipher | None = None,
    reveal_secrets: bool = True,
) -> int:
    return write_items(export_rows(db, cipher=cipher, reveal_secrets=reveal_secrets), out)


def import_file(
    db: Database, path: Path, *, replace: bool = False, cipher: SecretCipher | None = None
) -> dict[str, int]:
    """Import an export file in one transaction; returns counts by record type.

    An id that already exists is an error unless its row is identical (skipped),
    it is a core block never edited (overwritten), or ``replace`` is set.
    Plaintext vault secrets are encrypted with ``cipher``; encrypted ones must
    decrypt with it (:class:`VaultKeyError` otherwise) and are kept as they are.
    A screenshot's ``device`` is left out: this engine holds one device's frames.
    """
    _, items = read_file(path)

    def write(conn: sqlite3.Connection) -> dict[str, int]:
        def row(kind: Kind, item: Item, line_no: int) -> None:
            _import_row(conn, kind, item, line_no, replace=replace, cipher=cipher)

        def provenance(item: Item) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO provenance (memory_id, source_kind, source_id, "
                "position) VALUES (:memory_id, :source_kind, :source_id, :position)",
                item,
            )

        def history(item: Item, line_no: int) -> None:
            _import_history(conn, stored_history(item, line_no, cipher))

        return import_items(items, str(path), row=row, provenance=provenance, history=history)

    try:
        return db.write(write)
    except (KeyError, sqlite3.IntegrityError, sqlite3.InterfaceError) as exc:
        raise InvalidInputError(f"{path}: not a valid mirix-app export ({exc}).") from exc


def _import_row(
    conn: sqlite3.Connection,
    kind: Kind,
    item: dict[str, Any],
    line_no: int,
    *,
    replace: bool,
    cipher: SecretCipher | None,
) -> None:
    columns = column_names(conn, kind.table)
    row = stored_row(kind, item, columns, line_no, cipher=cipher, extra=(DEVICE,))
    existing = conn.execute(f"SELECT * FROM {kind.table} WHERE id = ?", (row["id"],)).fetchone()
    if existing is not None:
        if keep_existing(kind, existing, row, line_no, replace=replace, cipher=cipher):
            return
        conn.execute(f"DELETE FROM {kind.table} WHERE id = ?", (row["id"],))
    names = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    conn.execute(f"INSERT INTO {kind.table} ({names}) VALUES ({marks})", row)


def _import_history(conn: sqlite3.Connection, item: dict[str, Any]) -> None:
    exists = conn.execute(
        "SELECT 1 FROM memory_history WHERE memory_id = ? AND version = ? AND change = ?",
        (item["memory_id"], item["version"], item["change"]),
    ).fetchone()
    if exists is None:
        conn.execute(
            "INSERT INTO memory_history (memory_id, type, version, change, changed_at, data) "
            "VALUES (:memory_id, :type, :version, :change, :changed_at, :data)",
            item,
        )
