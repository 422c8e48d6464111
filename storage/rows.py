"""Rows of one kind (a memory type or a raw source): insert, read, list.

Memory-only behaviour (history, provenance, soft delete) is in
:mod:`storage.memories`; this module is what memories and sources share.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, TypedDict, Unpack

import numpy as np
import numpy.typing as npt

from storage.errors import InvalidInputError, NotFoundError
from storage.kinds import Kind, display_text, index_text, now_iso, public_value
from storage.records import Record, SourceKind, SourceRef
from storage.secrets import SecretCipher, seal_fields, unseal_fields
from storage.sqlite.db import Database, in_chunks

Vector = npt.NDArray[np.float32]

META_COLUMNS = ("id", "created_at", "updated_at", "deleted_at", "version")


class RowMeta(TypedDict, total=False):
    """What a new row may be given besides its fields (defaults: a new id, now,
    version 1, no embedding, no context)."""

    item_id: str | None
    created_at: str | None
    updated_at: str | None
    deleted_at: str | None
    version: int
    embedding: bytes | None
    context: str


def new_id(kind: Kind) -> str:
    return f"{kind.prefix}_{uuid.uuid4().hex[:20]}"


def encode_vector(vector: Sequence[float] | Vector | None) -> bytes | None:
    """Normalised float32 bytes, or None. A zero or non-finite vector is refused."""
    if vector is None:
        return None
    arr = np.asarray(vector, dtype=np.float32).reshape(-1)
    norm = float(np.linalg.norm(arr))
    if arr.size == 0 or not np.isfinite(norm) or norm == 0.0:
        raise InvalidInputError("An embedding must be a non-empty, finite, non-zero vector.")
    return (arr / norm).astype(np.float32).tobytes()


def decode_vector(blob: bytes | None) -> Vector | None:
    if blob is None:
        return None
    return np.frombuffer(blob, dtype=np.float32)


class RowStore:
    """Generic access to the table of one kind."""

    def __init__(self, db: Database, kind: Kind, cipher: SecretCipher | None = None) -> None:
        self.db = db
        self.kind = kind
        self.cipher = cipher
        """Encrypts the kind's secret fields at rest; None stores them as given."""

    # -- writes (call inside Database.write) -------------------------------------------

    def insert(
        self, conn: sqlite3.Connection, values: dict[str, Any], **meta: Unpack[RowMeta]
    ) -> str:
        """Insert one row whose ``values`` are already validated (stored form)."""
        row = self.new_row(values, **meta)
        item_id = str(row["id"])
        columns = ", ".join(row)
        marks = ", ".join(f":{c}" for c in row)
        try:
            conn.execute(f"INSERT INTO {self.kind.table} ({columns}) VALUES ({marks})", row)
        except sqlite3.IntegrityError as exc:
            raise InvalidInputError(f"Cannot store {self.kind.name} {item_id}: {exc}.") from exc
        return item_id

    def new_row(self, values: dict[str, Any], **meta: Unpack[RowMeta]) -> dict[str, Any]:
        """The stored row of validated ``values``: its id, times and index text added,
        secret fields sealed."""
        now = now_iso()
        created_at = meta.get("created_at")
        return {
            "id": meta.get("item_id") or new_id(self.kind),
            "created_at": created_at or now,
            "updated_at": meta.get("updated_at") or created_at or now,
            "deleted_at": meta.get("deleted_at"),
            "version": meta.get("version", 1),
            "search_text": self.search_text(values),
            "context": meta.get("context", ""),
            "embedding": meta.get("embedding"),
            **self.seal(values),
        }

    def search_text(self, values: dict[str, Any]) -> str:
        return search_text_for(self.kind, values)

    def seal(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with the kind's secret fields encrypted for storage."""
        if not self.kind.secret_fields:
            return values
        return seal_fields(self.cipher, self.kind.secret_fields, values)

    def unseal(self, values: dict[str, Any], item_id: str) -> dict[str, Any]:
        """``values`` with the kind's secret fields decrypted for a caller."""
        if not self.kind.secret_fields:
            return values
        return unseal_fields(self.cipher, self.kind.secret_fields, values, what=item_id)

    # -- reads -------------------------------------------------------------------------

    def row(self, conn: sqlite3.Connection, item_id: str) -> sqlite3.Row:
        found: sqlite3.Row | None = conn.execute(
            f"SELECT * FROM {self.kind.table} WHERE id = ?", (item_id,)
        ).fetchone()
        if found is None:
            raise NotFoundError(f"No {self.kind.name} with id {item_id}.")
        return found

    def get(self, item_id: str) -> Record:
        with self.db.reading() as conn:
            return self.to_record(self.row(conn, item_id), self.sources_for(conn, [item_id]))

    def list(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        include_deleted: bool = False,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Record]:
        """Newest first; ``since`` / ``until`` (stored-form times) bound the kind's time."""
        clauses: list[str] = [] if include_deleted else ["deleted_at IS NULL"]
        params: list[object] = []
        for bound, op in ((since, ">="), (until, "<=")):
            if bound is not None:
                clauses.append(f"{self.kind.time_column} {op} ?")
                params.append(bound)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.reading() as conn:
            rows = conn.execute(
                f"SELECT * FROM {self.kind.table} {where} ORDER BY {self.kind.time_column} DESC, "
                "rowid DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
            sources = self.sources_for(conn, [r["id"] for r in rows])
        return [self.to_record(r, sources) for r in rows]

    def count(self, conn: sqlite3.Connection) -> tuple[int, int]:
        """(live, deleted) row counts."""
        live, deleted = conn.execute(
            f"SELECT count(*) - count(deleted_at), count(deleted_at) FROM {self.kind.table}"
        ).fetchone()
        return int(live), int(deleted)

    def sources_for(
        self, conn: sqlite3.Connection, ids: Iterable[str]
    ) -> dict[str, tuple[SourceRef, ...]]:
        """Raw sources by item id. A raw source is its own source."""
        if self.kind.name not in ("message", "screenshot"):
            return sources_of_memories(conn, ids)
        kind_name: SourceKind = "message" if self.kind.name == "message" else "screenshot"
        out: dict[str, tuple[SourceRef, ...]] = {}
        for chunk, marks in in_chunks(list(ids)):
            for r in conn.execute(
                f"SELECT id, external_id FROM {self.kind.table} WHERE id IN ({marks})", chunk
            ):
                out[r["id"]] = (SourceRef(kind_name, r["id"], r["external_id"]),)
        return out

    def to_record(
        self, row: sqlite3.Row, sources: dict[str, tuple[SourceRef, ...]] | None = None
    ) -> Record:
        fields = {f.name: public_value(f, row[f.name]) for f in self.kind.fields}
        fields = self.unseal(fields, row["id"])
        return Record(
            type=self.kind.name,
            id=row["id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            deleted_at=row["deleted_at"],
            version=row["version"],
            fields=fields,
            sources=(sources or {}).get(row["id"], ()),
            context=row["context"],
        )

    def display(self, row: sqlite3.Row) -> str:
        return display_text(self.kind, {n: row[n] for n in self.kind.display_fields})


def search_text_for(kind: Kind, values: dict[str, Any]) -> str:
    """The row's own text in the full-text index (its context is a second column)."""
    return index_text(kind, values)


def sources_of_memories(
    conn: sqlite3.Connection, ids: Iterable[str]
) -> dict[str, tuple[SourceRef, ...]]:
    out: dict[str, list[SourceRef]] = {}
    for chunk, marks in in_chunks(list(ids)):
        rows = conn.execute(
            f"""SELECT p.memory_id, p.source_kind, p.source_id,
                       coalesce(m.external_id, s.external_id) AS external_id
                FROM provenance p
                LEFT JOIN messages m ON p.source_kind = 'message' AND m.id = p.source_id
                LEFT JOIN screenshots s ON p.source_kind = 'screenshot' AND s.id = p.source_id
                WHERE p.memory_id IN ({marks})
                ORDER BY p.memory_id, p.position""",
            chunk,
        )
        for r in rows:
            out.setdefault(r["memory_id"], []).append(
                SourceRef(r["source_kind"], r["source_id"], r["external_id"])
            )
    return {k: tuple(v) for k, v in out.items()}
