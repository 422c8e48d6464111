"""The PostgreSQL engine's repositories of rows: one per memory type, messages,
screenshots, provenance and history.

Each repository is bound either to the engine (every call its own transaction)
or to one transaction of :meth:`storage.postgres.engine.PostgresEngine.write`
(the caller's unit of work): the same methods either way. Values go in and come
out in the forms the SQLite engine uses (:mod:`storage.kinds` validates them;
times as text; secret fields sealed by the cipher before they are written), so
a :class:`~storage.records.Record` reads the same from either engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np
from psycopg import errors as pg_errors

from storage.core import BLOCK_LABELS, BlockEdits, block_id
from storage.errors import InvalidInputError, NotFoundError
from storage.kinds import (
    CORE,
    DEFAULT_CORE_LIMIT,
    Kind,
    index_text,
    now_iso,
    public_value,
    validate_fields,
)
from storage.postgres.db import Connection, PostgresDatabase
from storage.postgres.text import TSV_SQL, tsv_params
from storage.postgres.vectors import ensure_index
from storage.records import HistoryEntry, Record, SourceKind, SourceRef
from storage.rows import Vector, encode_vector, new_id
from storage.screens import Box, FrameImage, decode_boxes, encode_boxes
from storage.secrets import SecretCipher, seal_fields, unseal_fields
from storage.sources import NewSource

T = TypeVar("T")


class Bound:
    """Runs a repository's work in the caller's transaction, or its own."""

    def __init__(self, db: PostgresDatabase, conn: Connection | None) -> None:
        self._db = db
        self._conn = conn

    def _write(self, fn: Callable[[Connection], T]) -> T:
        return fn(self._conn) if self._conn is not None else self._db.write(fn)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        if self._conn is not None:
            return fn(self._conn)
        with self._db.reading() as conn:
            return fn(conn)


def as_vector(vector: Vector | Sequence[float] | None) -> Vector | None:
    """A normalised float32 vector (checked as SQLite checks it), or None."""
    blob = encode_vector(vector)
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)


class ProvenanceRepository(Bound):
    """Which raw sources each memory came from, in the order they were linked."""

    def link(self, memory_id: str, sources: Sequence[SourceRef]) -> None:
        def write(conn: Connection) -> None:
            row = conn.execute(
                "SELECT coalesce(max(position) + 1, 0) AS next FROM provenance "
                "WHERE memory_id = %s",
                (memory_id,),
            ).fetchone()
            start = int(row["next"]) if row else 0
            for offset, source in enumerate(sources):
                if source.kind not in ("message", "screenshot"):
                    raise InvalidInputError(f"Unknown source kind {source.kind!r}.")
                table = "messages" if source.kind == "message" else "screenshots"
                found = conn.execute(f"SELECT 1 FROM {table} WHERE id = %s", (source.id,))
                if found.fetchone() is None:
                    raise NotFoundError(
                        f"No {source.kind} with id {source.id} to link as a source."
                    )
                conn.execute(
                    "INSERT INTO provenance (memory_id, source_kind, source_id, position) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (memory_id, source.kind, source.id, start + offset),
                )

        if sources:
            self._write(write)

    def sources_of(self, memory_ids: Iterable[str]) -> dict[str, tuple[SourceRef, ...]]:
        ids = list(memory_ids)

        def read(conn: Connection) -> dict[str, tuple[SourceRef, ...]]:
            out: dict[str, list[SourceRef]] = {}
            for r in conn.execute(
                """SELECT p.memory_id, p.source_kind, p.source_id,
                          coalesce(m.external_id, s.external_id) AS external_id
                   FROM provenance p
                   LEFT JOIN messages m ON p.source_kind = 'message' AND m.id = p.source_id
                   LEFT JOIN screenshots s
                        ON p.source_kind = 'screenshot' AND s.id = p.source_id
                   WHERE p.memory_id = ANY(%s) ORDER BY p.memory_id, p.position""",
                (ids,),
            ):
                out.setdefault(r["memory_id"], []).append(
                    SourceRef(r["source_kind"], r["source_id"], r["external_id"])
                )
            return {k: tuple(v) for k, v in out.items()}

        return self._read(read) if ids else {}


class HistoryRepository(Bound):
    """Previous versions of memories, oldest first."""

    def save(self, kind: Kind, row: dict[str, Any], change: str) -> None:
        data = {n: row[n] for n in ("created_at", "updated_at", "deleted_at", "changed_by")}
        data |= {f.name: public_value(f, row[f.name]) for f in kind.fields}
        self._write(
            lambda conn: conn.execute(
                "INSERT INTO memory_history (memory_id, type, version, change, changed_at, data) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    row["id"],
                    kind.name,
                    row["version"],
                    change,
                    now_iso(),
                    json.dumps(data, ensure_ascii=False),
                ),
            )
        )

    def entries(self, memory_id: str) -> list[tuple[int, str, str, dict[str, Any]]]:
        """(version, change, changed_at, data) of each previous version."""
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT version, change, changed_at, data FROM memory_history "
                "WHERE memory_id = %s ORDER BY seq",
                (memory_id,),
            ).fetchall()
        )
        return [(r["version"], r["change"], r["changed_at"], json.loads(r["data"])) for r in rows]


class RowRepository(Bound):
    """The rows of one kind: insert, read, list, count."""

    def __init__(
        self,
        db: PostgresDatabase,
        conn: Connection | None,
        kind: Kind,
        cipher: SecretCipher | None = None,
    ) -> None:
        super().__init__(db, conn)
        self.kind = kind
        self.cipher = cipher
        self.provenance = ProvenanceRepository(db, conn)

    # -- writes ------------------------------------------------------------------------

    def insert(
        self,
        values: dict[str, Any],
        *,
        item_id: str | None = None,
        created_at: str | None = None,
        embedding: Vector | None = None,
        context: str = "",
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Insert one row whose ``values`` are validated (stored form); its id."""
        vector = as_vector(embedding)
        now = now_iso()
        item_id = item_id or new_id(self.kind)
        search_text = index_text(self.kind, values)
        row: dict[str, Any] = {
            "id": item_id,
            "created_at": created_at or now,
            "updated_at": created_at or now,
            "search_text": search_text,
            "context": context,
            "embedding": vector,
            **seal_fields(self.cipher, self.kind.secret_fields, values),
            **(extra or {}),
        }
        columns = ", ".join([*row, "search_tsv"])
        marks = ", ".join(["%s"] * len(row) + [TSV_SQL])

        def write(conn: Connection) -> str:
            if vector is not None:
                ensure_index(conn, self.kind, len(vector))
            try:
                with conn.transaction():  # a savepoint: the caller's work goes on
                    conn.execute(
                        f"INSERT INTO {self.kind.table} ({columns}) VALUES ({marks})",
                        (*row.values(), *tsv_params(search_text, context)),
                    )
            except (
                pg_errors.UniqueViolation,
                pg_errors.CheckViolation,
                pg_errors.NotNullViolation,
            ) as exc:
                raise InvalidInputError(
                    f"Cannot store {self.kind.name} {item_id}: {str(exc).splitlines()[0]}."
                ) from None
            return item_id

        return self._write(write)

    # -- reads -------------------------------------------------------------------------

    def row(self, item_id: str, *, lock: bool = False) -> dict[str, Any]:
        """The stored row (``lock``: held against other writers until commit, so
        only in a writing transaction)."""
        suffix = " FOR UPDATE" if lock else ""
        run = self._write if lock else self._read
        found = run(
            lambda conn: conn.execute(
                f"SELECT * FROM {self.kind.table} WHERE id = %s{suffix}", (item_id,)
            ).fetchone()
        )
        if found is None:
            raise NotFoundError(f"No {self.kind.name} with id {item_id}.")
        return found

    def get(self, item_id: str) -> Record:
        return self.to_record(self.row(item_id), self.sources_for([item_id]))

    def list(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        include_deleted: bool = False,
        since: str | None = None,
        until: str | None = None,
    ) -> list[Record]:
        """Newest first; ``since`` / ``until`` bound the kind's time."""
        time = self.kind.time_column
        clauses = [] if include_deleted else ["deleted_at IS NULL"]
        params: list[object] = []
        for bound, op in ((since, ">="), (until, "<=")):
            if bound is not None:
                clauses.append(f"{time} {op} %s")
                params.append(bound)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT * FROM {self.kind.table} {where} ORDER BY {time} DESC, rowid DESC "
                "LIMIT %s OFFSET %s",
                (*params, limit, offset),
            ).fetchall()
        )
        sources = self.sources_for([r["id"] for r in rows])
        return [self.to_record(r, sources) for r in rows]

    def count(self) -> tuple[int, int]:
        """(live, deleted) row counts."""
        row = self._read(
            lambda conn: conn.execute(
                f"SELECT count(*) - count(deleted_at) AS live, count(deleted_at) AS deleted "
                f"FROM {self.kind.table}"
            ).fetchone()
        )
        assert row is not None
        return int(row["live"]), int(row["deleted"])

    def sources_for(self, ids: Sequence[str]) -> dict[str, tuple[SourceRef, ...]]:
        """Raw sources by item id; a raw source is its own."""
        if self.kind.is_memory:
            return self.provenance.sources_of(ids)
        kind: SourceKind = "message" if self.kind.name == "message" else "screenshot"
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT id, external_id FROM {self.kind.table} WHERE id = ANY(%s)", (list(ids),)
            ).fetchall()
        )
        return {r["id"]: (SourceRef(kind, r["id"], r["external_id"]),) for r in rows}

    def to_record(
        self, row: dict[str, Any], sources: dict[str, tuple[SourceRef, ...]] | None = None
    ) -> Record:
        fields = {f.name: public_value(f, row[f.name]) for f in self.kind.fields}
        return Record(
            type=self.kind.name,
            id=row["id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            deleted_at=row["deleted_at"],
            version=row["version"],
            fields=unseal_fields(self.cipher, self.kind.secret_fields, fields, what=row["id"]),
            sources=(sources or {}).get(row["id"], ()),
            context=row["context"],
            changed_by=row.get("changed_by"),
        )

    def _assign(self, item_id: str, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = %s" for c in values)
        self._write(
            lambda conn: conn.execute(
                f"UPDATE {self.kind.table} SET {sets} WHERE id = %s", (*values.values(), item_id)
            )
        )


class MemoryRepository(RowRepository):
    """One memory type: add, update with history, soft delete, restore. Every
    write takes ``by``: who made the new version (None: mirix-app itself)."""

    def __init__(
        self,
        db: PostgresDatabase,
        conn: Connection | None,
        kind: Kind,
        cipher: SecretCipher | None = None,
    ) -> None:
        super().__init__(db, conn, kind, cipher)
        self.history_rows = HistoryRepository(db, conn)

    def _bound(self, conn: Connection) -> MemoryRepository:
        return MemoryRepository(self._db, conn, self.kind, self.cipher)

    def add(
        self,
        values: dict[str, Any],
        *,
        embedding: Vector | None = None,
        sources: Sequence[SourceRef] = (),
        context: str = "",
        by: str | None = None,
    ) -> Record:
        stored = validate_fields(self.kind, values)
        vector = as_vector(embedding)

        def write(conn: Connection) -> str:
            repo = self._bound(conn)
            item_id = repo.insert(
                stored, embedding=vector, context=context, extra={"changed_by": by}
            )
            repo.provenance.link(item_id, sources)
            return item_id

        return self.get(self._write(write))

    def update(
        self,
        item_id: str,
        changes: dict[str, Any],
        *,
        embedding: Vector | None = None,
        sources: Sequence[SourceRef] = (),
        by: str | None = None,
    ) -> Record:
        """Change some fields; the id stays, the old version goes to history."""
        if not changes:
            raise InvalidInputError("Nothing to change: give at least one field.")
        stored = validate_fields(self.kind, changes, partial=True)
        vector = as_vector(embedding)

        def write(conn: Connection) -> None:
            repo = self._bound(conn)
            row = repo.row(item_id, lock=True)
            if row["deleted_at"] is not None:
                raise InvalidInputError(f"{item_id} is deleted; restore it before editing.")
            for name in self.kind.fixed_fields:
                if name in stored and stored[name] != row[name]:
                    raise InvalidInputError(f"A {self.kind.name} row's {name} cannot change.")
            if self.kind is CORE:
                _check_core_limit(row, stored)
            repo.history_rows.save(self.kind, row, "update")
            merged = {f.name: row[f.name] for f in self.kind.fields} | stored
            search_text = index_text(self.kind, merged)
            assignments: dict[str, Any] = {
                **seal_fields(self.cipher, self.kind.secret_fields, stored),
                "search_text": search_text,
                "updated_at": now_iso(),
                "version": row["version"] + 1,
                "changed_by": by,
            }
            if vector is not None:
                ensure_index(conn, self.kind, len(vector))
                assignments["embedding"] = vector
            repo._assign(item_id, assignments)
            repo.set_text(item_id, search_text, row["context"])
            repo.provenance.link(item_id, sources)

        self._write(write)
        return self.get(item_id)

    def set_text(self, item_id: str, search_text: str, context: str) -> None:
        """The row's index entry from its own text and its context."""
        self._write(
            lambda conn: conn.execute(
                f"UPDATE {self.kind.table} SET search_text = %s, context = %s, "
                f"search_tsv = {TSV_SQL} WHERE id = %s",
                (search_text, context, *tsv_params(search_text, context), item_id),
            )
        )

    def delete(self, item_id: str, *, by: str | None = None) -> Record:
        """Soft delete: hidden from search and lists, kept with its history."""
        return self._set_deleted(item_id, deleted=True, by=by)

    def restore(self, item_id: str, *, by: str | None = None) -> Record:
        return self._set_deleted(item_id, deleted=False, by=by)

    def _set_deleted(self, item_id: str, *, deleted: bool, by: str | None) -> Record:
        if self.kind.fixed:
            raise InvalidInputError(f"{item_id} is fixed: it is edited, never deleted.")

        def write(conn: Connection) -> None:
            repo = self._bound(conn)
            row = repo.row(item_id, lock=True)
            if (row["deleted_at"] is not None) == deleted:
                state = "already deleted" if deleted else "not deleted"
                raise InvalidInputError(f"{item_id} is {state}.")
            repo.history_rows.save(self.kind, row, "delete" if deleted else "restore")
            now = now_iso()
            repo._assign(
                item_id,
                {
                    "deleted_at": now if deleted else None,
                    "updated_at": now,
                    "version": row["version"] + 1,
                    "changed_by": by,
                },
            )

        self._write(write)
        return self.get(item_id)

    def history(self, item_id: str) -> list[HistoryEntry]:
        """Every previous version, oldest first (secrets decrypted)."""
        self.row(item_id)  # NotFoundError for an unknown id
        return [
            HistoryEntry(
                version,
                change,
                changed_at,
                unseal_fields(
                    self.cipher,
                    self.kind.secret_fields,
                    data,
                    what=f"{item_id} (version {version})",
                ),
            )
            for version, change, changed_at, data in self.history_rows.entries(item_id)
        ]


def _check_core_limit(row: dict[str, Any], stored: dict[str, Any]) -> None:
    limit = stored.get("char_limit") or row["char_limit"]
    text = stored.get("text", row["text"]) or ""
    if len(text) > limit:
        raise InvalidInputError(
            f"Block {row['label']} would hold {len(text):,} characters; "
            f"its limit is {limit:,}. Rewrite it shorter."
        )


class SourceRepository(RowRepository):
    """Raw sources (messages, screenshots), stored as they came. A screenshot row
    names the device that took it (its image file stays there)."""

    def __init__(
        self,
        db: PostgresDatabase,
        conn: Connection | None,
        kind: Kind,
        *,
        device: str,
    ) -> None:
        super().__init__(db, conn, kind)
        self.device = device

    def prepare(
        self, values: dict[str, Any], *, embedding: Vector | None = None, context: str = ""
    ) -> NewSource:
        """Validate one source without writing it (raises InvalidInputError)."""
        return NewSource(validate_fields(self.kind, values), embedding, context)

    def add(
        self, values: dict[str, Any], *, embedding: Vector | None = None, context: str = ""
    ) -> Record:
        (item_id,) = self.insert_many([self.prepare(values, embedding=embedding, context=context)])
        return self.get(item_id)

    def insert_many(self, items: Sequence[NewSource]) -> list[str]:
        """Insert validated sources (:meth:`storage.sources.SourceStore.prepare`)."""
        extra = {"device": self.device} if self.kind.name == "screenshot" else None
        return [
            self.insert(item.values, embedding=item.embedding, context=item.context, extra=extra)
            for item in items
        ]

    def insert_frame(
        self,
        values: dict[str, Any],
        *,
        item_id: str,
        embedding: Vector,
        context: str,
        chunk_embeddings: bytes,
        image_embedding: Vector | None,
        sensitive_boxes: Sequence[Box],
    ) -> str:
        """A kept frame's row with its text, vectors and the boxes of its sensitive
        text, named as this device's."""
        return self.insert(
            values,
            item_id=item_id,
            embedding=embedding,
            context=context,
            extra={
                "device": self.device,
                "chunk_embeddings": chunk_embeddings,
                "image_embedding": encode_vector(image_embedding),
                "sensitive_boxes": encode_boxes(sensitive_boxes),
            },
        )

    def fill_chunk_embeddings(self, blobs: Sequence[tuple[int, bytes]]) -> None:
        """Set the chunk embeddings of the screenshots (by rowid) that have none."""
        self._write(
            lambda conn: conn.cursor().executemany(
                "UPDATE screenshots SET chunk_embeddings = %s "
                "WHERE rowid = %s AND chunk_embeddings IS NULL",
                [(blob, rowid) for rowid, blob in blobs],
            )
        )

    def device_of(self, item_id: str) -> str | None:
        """The device a screenshot was taken on (its image file is there)."""
        return self.row(item_id).get("device")

    def existing_external_ids(self, external_ids: Sequence[str]) -> set[str]:
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT external_id FROM {self.kind.table} WHERE external_id = ANY(%s)",
                (list(external_ids),),
            ).fetchall()
        )
        return {r["external_id"] for r in rows}

    def recent(
        self, *, session: str | None = None, external_prefix: str = "", limit: int = 200
    ) -> list[Record]:
        """The last ``limit`` rows (of ``session``, for messages; whose external id
        starts with ``external_prefix``), oldest first."""
        where = ["deleted_at IS NULL"]
        params: list[object] = []
        if session is not None:
            where.append("session = %s")
            params.append(session)
        if external_prefix:
            where.append("starts_with(external_id, %s)")
            params.append(external_prefix)
        time = self.kind.time_column
        rows = self._read(
            lambda conn: conn.execute(
                f"SELECT * FROM {self.kind.table} WHERE {' AND '.join(where)} "
                f"ORDER BY {time} DESC, rowid DESC LIMIT %s",
                (*params, limit),
            ).fetchall()
        )
        sources = self.sources_for([r["id"] for r in rows])
        return [self.to_record(r, sources) for r in reversed(rows)]


class CoreRepository(BlockEdits, MemoryRepository):
    """The two core blocks (made by :meth:`ensure_blocks`), edited by line."""

    def _bound(self, conn: Connection) -> CoreRepository:
        return CoreRepository(self._db, conn, self.kind, self.cipher)

    def ensure_blocks(self, limit: int = DEFAULT_CORE_LIMIT) -> None:
        """Make the blocks missing, whichever device comes first. A memory that has
        them is only read: opening it neither writes nor waits behind a device whose
        edit of a block is not committed yet."""
        ids = [block_id(label) for label in BLOCK_LABELS]
        found = self._read(
            lambda conn: conn.execute(
                "SELECT count(*) AS n FROM core WHERE id = ANY(%s)", (ids,)
            ).fetchone()
        )
        if found is not None and found["n"] == len(ids):
            return

        def write(conn: Connection) -> None:
            for label in BLOCK_LABELS:
                values = validate_fields(CORE, {"label": label, "text": "", "char_limit": limit})
                now = now_iso()
                conn.execute(
                    "INSERT INTO core (id, created_at, updated_at, label, text, char_limit) "
                    "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (block_id(label), now, now, label, values["text"], values["char_limit"]),
                )

        self._write(write)

    def set_embedding(self, item_id: str, vector: Any) -> None:
        """Store a block's vector without a new version (it is derived data)."""
        found = as_vector(vector)

        def write(conn: Connection) -> None:
            if found is not None:
                ensure_index(conn, self.kind, len(found))
            conn.execute("UPDATE core SET embedding = %s WHERE id = %s", (found, item_id))

        self._write(write)


class ScreenshotRepository(SourceRepository):
    """Screenshot rows of every device sharing the memory. What needs the image
    file (showing a frame, the frames budget, the screen batches of this device's
    capture) reads only the rows of frames taken on this device."""

    def activity(self, since: str | None, until: str | None) -> list[tuple[str, str, int]]:
        """(hour "YYYY-MM-DDTHH", app, screenshots kept) in time order, every device."""
        clauses = ["deleted_at IS NULL"]
        params: list[object] = []
        for bound, op in ((since, ">="), (until, "<=")):
            if bound is not None:
                clauses.append(f"at {op} %s")
                params.append(bound)
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT substr(at, 1, 13) AS hour, coalesce(app, 'unknown') AS app, "
                f"count(*) AS n FROM screenshots WHERE {' AND '.join(clauses)} "
                "GROUP BY 1, 2 ORDER BY 1, 2",
                params,
            ).fetchall()
        )
        return [(str(r["hour"]), str(r["app"]), int(r["n"])) for r in rows]

    def frame_images(self, screenshot_ids: Sequence[str]) -> dict[str, FrameImage]:
        """The frames among ``screenshot_ids`` that may be shown here: taken on this
        device, not deleted, image kept and sensitive boxes known."""
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT id, image_path, width, height, sensitive_boxes FROM screenshots "
                "WHERE id = ANY(%s) AND device = %s AND deleted_at IS NULL "
                "AND image_path IS NOT NULL",
                (sorted(set(screenshot_ids)), self.device),
            ).fetchall()
        )
        found: dict[str, FrameImage] = {}
        for row in rows:
            boxes = decode_boxes(row["sensitive_boxes"])
            if boxes is not None:
                found[row["id"]] = FrameImage(
                    row["id"], row["image_path"], row["width"], row["height"], boxes
                )
        return found

    def last_kept_on(self, monitor: int) -> dict[str, Any] | None:
        """``at`` and ``image_path`` of this device's newest frame of ``monitor``
        whose image is kept."""
        return self._read(
            lambda conn: conn.execute(
                "SELECT at, image_path FROM screenshots WHERE monitor = %s AND device = %s "
                "AND deleted_at IS NULL AND image_path IS NOT NULL ORDER BY at DESC LIMIT 1",
                (monitor, self.device),
            ).fetchone()
        )

    def unbatched(self, after_rowid: int | None, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """This device's screenshots with their text read that no batch holds yet,
        oldest first: after ``after_rowid``, or (None) after the last of them a batch
        holds. Returns the rowid they follow and the rows."""

        def read(conn: Connection) -> tuple[int, list[dict[str, Any]]]:
            after = after_rowid
            if after is None:
                row = conn.execute(
                    """SELECT max(s.rowid) AS last FROM batches b,
                           jsonb_array_elements(b.items::jsonb) j
                       JOIN screenshots s ON s.id = j.value ->> 'source_id'
                       WHERE j.value ->> 'kind' = 'screenshot' AND s.device = %s""",
                    (self.device,),
                ).fetchone()
                after = int(row["last"] or 0) if row else 0
            rows = conn.execute(
                "SELECT * FROM screenshots WHERE rowid > %s AND device = %s "
                "AND embedding IS NOT NULL AND deleted_at IS NULL ORDER BY rowid LIMIT %s",
                (after, self.device, limit),
            ).fetchall()
            return after, rows

        return self._read(read)

    def count_without_chunk_vectors(self) -> int:
        row = self._read(
            lambda conn: conn.execute(
                "SELECT count(*) AS n FROM screenshots "
                "WHERE chunk_embeddings IS NULL AND deleted_at IS NULL"
            ).fetchone()
        )
        return int(row["n"]) if row else 0

    def without_chunk_vectors(self, after_rowid: int, limit: int) -> list[dict[str, Any]]:
        """Live screenshots without chunk embeddings, by rowid."""
        return self._read(
            lambda conn: conn.execute(
                "SELECT rowid, app, window_title, ocr_text FROM screenshots "
                "WHERE chunk_embeddings IS NULL AND deleted_at IS NULL AND rowid > %s "
                "ORDER BY rowid LIMIT %s",
                (after_rowid, limit),
            ).fetchall()
        )

    # -- the frame files' rows (storage.frames.FrameRows): this device's only --------

    def oldest_with_images(self, limit: int) -> list[dict[str, Any]]:
        return self._read(
            lambda conn: conn.execute(
                "SELECT id, image_path, thumb_path FROM screenshots WHERE device = %s "
                "AND (image_path IS NOT NULL OR thumb_path IS NOT NULL) "
                "ORDER BY at, rowid LIMIT %s",
                (self.device, limit),
            ).fetchall()
        )

    def forget_images(self, screenshot_id: str) -> None:
        self._write(
            lambda conn: conn.execute(
                "UPDATE screenshots SET image_path = NULL, thumb_path = NULL WHERE id = %s",
                (screenshot_id,),
            )
        )

    def image_counts(self) -> tuple[int, int]:
        row = self._read(
            lambda conn: conn.execute(
                "SELECT count(image_path) AS kept, count(*) - count(image_path) AS gone "
                "FROM screenshots WHERE device = %s",
                (self.device,),
            ).fetchone()
        )
        return (int(row["kept"]), int(row["gone"])) if row else (0, 0)
