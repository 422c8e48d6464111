"""Export and import of everything: the six memory types (core and vault
included), raw messages and screenshots, provenance and history.

The file is JSON Lines: a header, then one object per row, each with its keys
sorted. Importing an export into an empty memory and exporting again gives the
same rows; the same memory exports to the same lines from either engine
(:mod:`storage.sqlite.transfer`, :mod:`storage.postgres.transfer`), only the
header differs (``engine``, its ``schema`` version, ``exported_at``). This
module is what the engines share: the header, how a row becomes a line and a
line a row (with the checks an add would make), vectors as base64.

Screenshots: a PostgreSQL memory is shared by devices, and a screenshot's image
file stays on the device that took it. Its export names the exporting device in
the header (``device``) and a screenshot row carries ``device`` only when
another device took it, so a memory that one device holds exports the same
lines from either engine. An import gives the rows without one the header's
device (a SQLite export has none: the importing device's); the SQLite engine,
which holds one device's files, ignores the field.

Vault secrets: by default the export holds them decrypted (the file is a
portable backup, readable in any data directory); with ``reveal_secrets=False``
it keeps the encrypted tokens, which import only into a memory using the same
vault key. Import encrypts plaintext secrets with the destination's cipher.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Protocol

from storage.errors import InvalidInputError
from storage.inputs import json_lines, parse_json
from storage.kinds import BY_NAME, Kind, kind_of_id, now_iso, parse_time, validate_fields
from storage.rows import search_text_for
from storage.secrets import SecretCipher, is_encrypted, seal_fields, unseal, unseal_fields

FORMAT = "mirix-app-export"
FORMAT_VERSION = 1
BLOB_COLUMNS = {"embedding": 4, "image_embedding": 4, "chunk_embeddings": 2}
"""Vector columns, exported as base64, and the bytes per value (float32, float16)."""
SKIPPED_COLUMNS = ("rowid", "search_text")
"""Stored columns that are not exported (derived, or the engine's own order)."""
DEVICE = "device"
"""A screenshot row's device (see the module docstring)."""

PROVENANCE_FIELDS = {"memory_id": str, "source_kind": str, "source_id": str, "position": int}
HISTORY_FIELDS = {
    "memory_id": str,
    "type": str,
    "version": int,
    "change": str,
    "changed_at": str,
    "data": str,
}

Item = dict[str, Any]


class Row(Protocol):
    """A stored row read by column name (a dict, a ``sqlite3.Row``)."""

    def __getitem__(self, key: str, /) -> Any: ...


Numbered = tuple[int, Item]
"""A line of an export file with its line number."""


# -- export --------------------------------------------------------------------------


def header(engine: str, schema: int, **extra: Any) -> Item:
    """The first line: the format, and the engine and schema it was exported from."""
    return {
        "record": "header",
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "engine": engine,
        "schema": schema,
        "exported_at": now_iso(),
        **extra,
    }


def row_item(
    kind: Kind,
    row: Row,
    columns: Iterable[str],
    *,
    cipher: SecretCipher | None,
    reveal_secrets: bool,
) -> Item:
    """One stored row as an export line (vectors as base64 of their bytes)."""
    item: Item = {"record": "row", "type": kind.name}
    for column in columns:
        value = row[column]
        if column in BLOB_COLUMNS and value is not None:
            value = base64.b64encode(bytes(value)).decode("ascii")
        item[column] = value
    if reveal_secrets and kind.secret_fields:
        item = unseal_fields(cipher, kind.secret_fields, item, what=item["id"])
    return item


def provenance_item(row: Row) -> Item:
    return {"record": "provenance", **{name: row[name] for name in PROVENANCE_FIELDS}}


def history_item(row: Row, *, cipher: SecretCipher | None, reveal_secrets: bool) -> Item:
    """One previous version as an export line (its secrets revealed if asked)."""
    history = {name: row[name] for name in HISTORY_FIELDS}
    owner = BY_NAME.get(history["type"])
    if reveal_secrets and owner is not None and owner.secret_fields:
        data = json.loads(history["data"])
        what = f"{history['memory_id']} (version {history['version']})"
        revealed = unseal_fields(cipher, owner.secret_fields, data, what=what)
        if revealed != data:
            history["data"] = json.dumps(revealed, ensure_ascii=False)
    return {"record": "history", **history}


def line(item: Item) -> str:
    """An item as the line the file holds (keys sorted, so engines agree)."""
    return json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n"


def write_items(items: Iterable[Item], out: IO[str]) -> int:
    """Write the header and the records; returns the records written."""
    count = 0
    for item in items:
        out.write(line(item))
        count += 1
    return count - 1


# -- import --------------------------------------------------------------------------


def read_file(path: Path) -> tuple[Item, list[Numbered]]:
    """The header and the records of an export file (InvalidInputError for a file
    that is not one)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"Cannot read {path}: {exc}.") from None
    items = parse_lines(json_lines(text), str(path))
    first = next(items, None)
    if first is None:
        raise InvalidInputError(f"{path} is empty.")
    return first[1], list(items)


def parse_lines(lines: Iterable[tuple[int, str]], where: str) -> Iterator[Numbered]:
    """The numbered lines as objects, the header first (checked: the format and its
    version); blank lines skipped."""
    first = True
    for line_no, text in lines:
        if not text.strip():
            continue
        try:
            item = parse_json(text)
        except InvalidInputError as exc:
            raise InvalidInputError(f"{where}:{line_no}: {exc}") from None
        if not isinstance(item, dict):
            raise InvalidInputError(f"{where}:{line_no}: expected a JSON object.")
        if first:
            check_header(item, where)
            first = False
        yield line_no, item


def check_header(item: Item, where: str) -> None:
    if item.get("format") != FORMAT:
        raise InvalidInputError(f"{where} is not a mirix-app export file.")
    if item.get("version") != FORMAT_VERSION:
        raise InvalidInputError(
            f"{where} is export format {item.get('version')}; "
            f"this mirix-app reads {FORMAT_VERSION}."
        )


def import_items(
    items: Iterable[Numbered],
    where: str,
    *,
    row: Callable[[Kind, Item, int], None],
    provenance: Callable[[Item], None],
    history: Callable[[Item, int], None],
) -> dict[str, int]:
    """Hand each record to the engine's writer for its kind (rows by their kind,
    provenance and history checked first); counts by record type."""
    counts: dict[str, int] = {}
    for line_no, item in items:
        record = item.get("record")
        if record == "row":
            kind = BY_NAME.get(str(item.get("type")))
            if kind is None:
                raise InvalidInputError(f"line {line_no}: unknown type {item.get('type')!r}.")
            row(kind, item, line_no)
            key = kind.name
        elif record == "provenance":
            check_types(item, line_no, PROVENANCE_FIELDS)
            provenance(item)
            key = "provenance"
        elif record == "history":
            check_types(item, line_no, HISTORY_FIELDS)
            history(item, line_no)
            key = "history"
        else:
            raise InvalidInputError(f"{where}:{line_no}: unknown record {record!r}.")
        counts[key] = counts.get(key, 0) + 1
    return counts


def stored_row(
    kind: Kind,
    item: Item,
    columns: Iterable[str],
    line_no: int,
    *,
    cipher: SecretCipher | None,
    extra: Iterable[str] = (),
) -> Item:
    """An imported row in stored form, checked as an add checks it: only the
    table's ``columns`` (``extra``: fields accepted and left to the caller), vectors
    as bytes, ``search_text`` made, secrets sealed with ``cipher``."""
    known = set(columns) - set(SKIPPED_COLUMNS)
    unknown = set(item) - known - set(extra) - {"record", "type"}
    if unknown:
        raise InvalidInputError(f"line {line_no}: unknown field(s) {', '.join(sorted(unknown))}.")
    row = {c: item.get(c) for c in sorted(known)}
    _check_row(kind, row, line_no)
    values = {f.name: row.get(f.name) for f in kind.fields}
    row["search_text"] = search_text_for(kind, values)
    if kind.secret_fields:
        row = _sealed(cipher, kind.secret_fields, row, what=f"line {line_no} ({row['id']})")
    return row


def keep_existing(
    kind: Kind,
    existing: Row,
    row: Item,
    line_no: int,
    *,
    replace: bool,
    cipher: SecretCipher | None,
) -> bool:
    """For an imported row whose id is stored already: True to keep the stored
    row (it is the same), False to replace it (``replace``, or a fixed row never
    edited: a new memory's empty core block is a default, not content); an error
    otherwise."""
    secrets = kind.secret_fields
    if all(
        existing[c] == row[c]
        or (c in secrets and _plain(cipher, existing[c]) == _plain(cipher, row[c]))
        for c in row
    ):
        return True
    if replace or (kind.fixed and existing["version"] == 1):
        return False
    raise InvalidInputError(
        f"line {line_no}: {row['id']} already exists with other content "
        "(import with --replace to overwrite)."
    )


def stored_history(item: Item, line_no: int, cipher: SecretCipher | None) -> Item:
    """A history record with its secrets sealed for storage."""
    kind = BY_NAME.get(item["type"])
    if kind is None or not kind.secret_fields:
        return item
    try:
        data = parse_json(item["data"])
    except InvalidInputError:
        raise InvalidInputError(f"line {line_no}: history data is not JSON.") from None
    if not isinstance(data, dict):
        raise InvalidInputError(f"line {line_no}: history data is not a JSON object.")
    sealed = _sealed(cipher, kind.secret_fields, data, what=f"line {line_no}")
    if sealed == data:
        return item
    return {**item, "data": json.dumps(sealed, ensure_ascii=False)}


def check_types(item: Item, line_no: int, types: Mapping[str, type]) -> None:
    for key, expected in types.items():
        value = item.get(key)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise InvalidInputError(
                f"line {line_no}: {item.get('record')} field {key} must be "
                f"{'an integer' if expected is int else 'a string'}, got {value!r}."
            )


def _check_row(kind: Kind, row: Item, line_no: int) -> None:
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
        row["context"] = row.get("context") or ""
        if not isinstance(row.get("changed_by") or "", str):
            raise InvalidInputError("changed_by must be a string or null.")
        for column in BLOB_COLUMNS:
            if row.get(column) is not None:
                row[column] = _vector_blob(row[column], column, BLOB_COLUMNS[column])
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
    cipher: SecretCipher | None, names: tuple[str, ...], values: Item, *, what: str
) -> Item:
    """Secrets encrypted for storage; an encrypted one must open with ``cipher``."""
    for name in names:
        if is_encrypted(values.get(name)) and cipher is not None:
            unseal(cipher, values[name], what=what)  # VaultKeyError for another key
    return seal_fields(cipher, names, values)


def _plain(cipher: SecretCipher | None, value: object) -> object:
    return unseal(cipher, value, what="an imported row")
