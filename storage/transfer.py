"""Export and import of everything: the six memory types (core and vault
included), raw messages and screenshots, provenance and history.

The file is JSON Lines: a header, then one object per row. Importing an export
into an empty data directory and exporting again gives the same rows.

Vault secrets: by default the export holds them decrypted (the file is a
portable backup, readable in any data directory); with ``reveal_secrets=False``
it keeps the encrypted tokens, which import only into a data directory using the
same vault key. Import encrypts plaintext secrets with the destination's cipher.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from storage.errors import InvalidInputError
from storage.inputs import json_lines, parse_json
from storage.kinds import ALL_KINDS, BY_NAME, Kind, kind_of_id, now_iso, parse_time, validate_fields
from storage.rows import search_text_for
from storage.secrets import SecretCipher, is_encrypted, seal_fields, unseal, unseal_fields
from storage.sqlite.db import Database
from storage.sqlite.migrations import schema_version
from storage.sqlite.tables import column_names

FORMAT = "mirix-app-export"
FORMAT_VERSION = 1
_BLOB_COLUMNS = {"embedding": 4, "image_embedding": 4, "chunk_embeddings": 2}
"""Vector columns, exported as base64, and the bytes per value (float32, float16)."""
_SKIPPED_COLUMNS = ("rowid", "search_text")


def export_rows(
    db: Database, *, cipher: SecretCipher | None = None, reveal_secrets: bool = True
) -> Iterator[dict[str, Any]]:
    """Every row as a JSON-ready dict, header first, in a stable order.

    ``reveal_secrets`` decrypts vault secrets (with ``cipher``) into the export;
    otherwise they are exported as stored.
    """
    with db.reading() as conn:
        yield {
            "record": "header",
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "schema": schema_version(conn),
            "exported_at": now_iso(),
        }
        conn.execute("BEGIN")  # one snapshot for the whole export
        try:
            for kind in ALL_KINDS:
                columns = [c for c in column_names(conn, kind.table) if c not in _SKIPPED_COLUMNS]
                for row in conn.execute(
                    f"SELECT {', '.join(columns)} FROM {kind.table} ORDER BY rowid"
                ):
                    item: dict[str, Any] = {"record": "row", "type": kind.name}
                    for column in columns:
                        value = row[column]
                        if column in _BLOB_COLUMNS and value is not None:
                            value = base64.b64encode(value).decode("ascii")
                        item[column] = value
                    if reveal_secrets and kind.secret_fields:
                        item = unseal_fields(cipher, kind.secret_fields, item, what=item["id"])
                    yield item
            for row in conn.execute(
                "SELECT memory_id, source_kind, source_id, position FROM provenance "
                "ORDER BY memory_id, position"
            ):
                yield {"record": "provenance", **dict(row)}
            for row in conn.execute(
                "SELECT memory_id, type, version, change, changed_at, data "
                "FROM memory_history ORDER BY seq"
            ):
                history = dict(row)
                owner = BY_NAME.get(history["type"])
                if reveal_secrets and owner is not None and owner.secret_fields:
                    data = json.loads(history["data"])
                    what = f"{history['memory_id']} (version {history['version']})"
                    revealed = unseal_fields(cipher, owner.secret_fields, data, what=what)
                    if revealed != data:
                        history["data"] = json.dumps(revealed, ensure_ascii=False)
                yield {"record": "history", **history}
        finally:
            conn.execute("COMMIT")


def export_to(
    db: Database,
    out: IO[str],
    *,
    cipher: SecretCipher | None = None,
    reveal_secrets: bool = True,
) -> int:
    count = 0
    for item in export_rows(db, cipher=cipher, reveal_secrets=reveal_secrets):
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count - 1


def import_file(
    db: Database, path: Path, *, replace: bool = False, cipher: SecretCipher | None = None
) -> dict[str, int]:
    """Import an export file in one transaction; returns counts by record type.

    An id that already exists is an error unless its row is identical (skipped),
    it is a core block never edited (overwritten), or ``replace`` is set.
    Plaintext vault secrets are encrypted with ``cipher``; encrypted ones must
    decrypt with it (:class:`VaultKeyError` otherwise) and are kept as they are.
    """
    items = list(_read(path))
    counts: dict[str, int] = {}

    def write(conn: sqlite3.Connection) -> None:
        for line_no, item in items:
            record = item.get("record")
            if record == "row":
                _import_row(conn, item, line_no, replace=replace, cipher=cipher)
            elif record == "provenance":
                _check_types(
                    item,
                    line_no,
                    {"memory_id": str, "source_kind": str, "source_id": str, "position": int},
                )
                conn.execute(
                    "INSERT OR REPLACE INTO provenance (memory_id, source_kind, source_id, "
                    "position) VALUES (:memory_id, :source_kind, :source_id, :position)",
                    item,
                )
            elif record == "history":
                _check_types(
                    item,
                    line_no,
                    {
                        "memory_id": str,
                        "type": str,
                        "version": int,
                        "change": str,
                        "changed_at": str,
                        "data": str,
                    },
                )
                _import_history(conn, item, line_no, cipher)
            else:
                raise InvalidInputError(f"{path}:{line_no}: unknown record {record!r}.")
            key = item["type"] if record == "row" else str(record)
            counts[key] = counts.get(key, 0) + 1

    try:
        db.write(write)
    except (KeyError, sqlite3.IntegrityError, sqlite3.InterfaceError) as exc:
        raise InvalidInputError(f"{path}: not a valid mirix-app export ({exc}).") from exc
    return counts


def _read(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read {path}: {exc}.") from exc
    lines = [(n, line) for n, line in json_lines(text) if line.strip()]
    if not lines:
        raise InvalidInputError(f"{path} is empty.")
    for index, (line_no, line) in enumerate(lines):
        try:
            item = parse_json(line)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{path}:{line_no}: {exc}") from None
        if not isinstance(item, dict):
            raise InvalidInputError(f"{path}:{line_no}: expected a JSON object.")
        if index == 0:
            if item.get("format") != FORMAT:
                raise InvalidInputError(f"{path} is not a mirix-app export file.")
            if item.get("version") != FORMAT_VERSION:
                raise InvalidInputError(
                    f"{path} is export format {item.get('version')}; "
                    f"this mirix-app reads {FORMAT_VERSION}."
                )
            continue
        yield line_no, item


def _import_row(
    conn: sqlite3.Connection,
    item: dict[str, Any],
    line_no: int,
    *,
    replace: bool,
    cipher: SecretCipher | None,
) -> None:
    kind: Kind | None = BY_NAME.get(str(item.get("type")))
    if kind is None:
        raise InvalidInputError(f"line {line_no}: unknown type {item.get('type')!r}.")
    columns = set(column_names(conn, kind.table)) - set(_SKIPPED_COLUMNS)
    unknown = set(item) - columns - {"record", "type"}
    if unknown:
        raise InvalidInputError(f"line {line_no}: unknown field(s) {', '.join(sorted(unknown))}.")
    row = {c: item.get(c) for c in columns}
    _check_row(kind, row, line_no)
    values = {f.name: row.get(f.name) for f in kind.fields}
    row["search_text"] = search_text_for(kind, values)
    secrets = kind.secret_fields
    if secrets:
        row = _sealed(cipher, secrets, row, what=f"line {line_no} ({row['id']})")
    existing = conn.execute(f"SELECT * FROM {kind.table} WHERE id = ?", (row["id"],)).fetchone()
    if existing is not None:
        if all(
            existing[c] == row[c]
            or (c in secrets and _plain(cipher, existing[c]) == _plain(cipher, row[c]))
            for c in row
        ):
            return
        # A fixed row never edited (a new data directory's empty core block) is
        # the destination's default, not content: the export's version replaces it.
        pristine = kind.fixed and existing["version"] == 1
        if not (replace or pristine):
            raise InvalidInputError(
                f"line {line_no}: {row['id']} already exists with other content "
                "(import with --replace to overwrite)."
            )
        conn.execute(f"DELETE FROM {kind.table} WHERE id = ?", (row["id"],))
    names = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    conn.execute(f"INSERT INTO {kind.table} ({names}) VALUES ({marks})", row)


def _check_types(item: dict[str, Any], line_no: int, types: dict[str, type]) -> None:
    for key, expected in types.items():
        value = item.get(key)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise InvalidInputError(
                f"line {line_no}: {item.get('record')} field {key} must be "
                f"{'an integer' if expected is int else 'a string'}, got {value!r}."
            )


def _check_row(kind: Kind, row: dict[str, Any], line_no: int) -> None:
    """Validate one imported row in place (stored form), as an add would: a bad
    value must be refused here, not break every later read of the database."""
    try:
        item_id = row.get("id")
        if not isinstance(item_id, str) or kind_of_id(item_id) is not kind:
            raise InvalidInputError(f"{item_id!r} is not an id of a {kind.name}.")
        for column in ("created_at", "updated_at", "deleted_at"):
            if row.get(column) is not None or column != "deleted_at":
                row[column] = parse_time(row.get(column), what=column)
        version = row.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InvalidInputError(f"version must be a positive integer, got {version!r}.")
        if not isinstance(row.get("context") or "", str):
            raise InvalidInputError("context must be a string.")
        if not isinstance(row.get("changed_by") or "", str):
            raise InvalidInputError("changed_by must be a string or null.")
        for column in _BLOB_COLUMNS:
            if row.get(column) is not None:
                row[column] = _vector_blob(row[column], column, _BLOB_COLUMNS[column])
        public = {}
        for f in kind.fields:
            value = row.get(f.name)
            if f.kind == "list" and isinstance(value, str):
                value = parse_json(value)
            if value is not None or f.required:
                public[f.name] = value
        row.update({f.name: None for f in kind.fields} | validate_fields(kind, public))
    except (InvalidInputError, ValueError) as exc:
        raise InvalidInputError(f"line {line_no}: {exc}") from None


def _vector_blob(value: object, column: str, width: int) -> bytes:
    try:
        blob = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(f"{column} is not base64.") from None
    if not blob or len(blob) % width:
        raise InvalidInputError(f"{column} is not a float{8 * width} vector.")
    return blob


def _sealed(
    cipher: SecretCipher | None, names: tuple[str, ...], values: dict[str, Any], *, what: str
) -> dict[str, Any]:
    """Secrets encrypted for storage; an encrypted one must open with ``cipher``."""
    for name in names:
        if is_encrypted(values.get(name)) and cipher is not None:
            unseal(cipher, values[name], what=what)  # VaultKeyError for another key
    return seal_fields(cipher, names, values)


def _plain(cipher: SecretCipher | None, value: object) -> object:
    return unseal(cipher, value, what="an imported row")


def _import_history(
    conn: sqlite3.Connection, item: dict[str, Any], line_no: int, cipher: SecretCipher | None
) -> None:
    kind = BY_NAME.get(item["type"])
    if kind is not None and kind.secret_fields:
        try:
            data = parse_json(item["data"])
        except InvalidInputError:
            raise InvalidInputError(f"line {line_no}: history data is not JSON.") from None
        if not isinstance(data, dict):
            raise InvalidInputError(f"line {line_no}: history data is not a JSON object.")
        sealed = _sealed(cipher, kind.secret_fields, data, what=f"line {line_no}")
        if sealed != data:
            item = {**item, "data": json.dumps(sealed, ensure_ascii=False)}
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
