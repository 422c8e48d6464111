"""One store per memory type: add, update with history, soft delete, restore.

An update keeps the id, bumps the version and first copies the previous
version into ``memory_history``; a delete only sets ``deleted_at``. Nothing an
agent or a user does through this store destroys a memory.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from storage.errors import InvalidInputError, NotFoundError
from storage.kinds import now_iso, public_value, validate_fields
from storage.records import HistoryEntry, Record, SourceRef
from storage.rows import RowStore, Vector, encode_vector
from storage.secrets import ENCRYPTED_PREFIX, is_encrypted


class MemoryStore(RowStore):
    """The table of one memory type.

    Every write takes ``by``: who makes the new version (``mcp:<client>`` for
    another AI tool), kept as the row's ``changed_by`` and, once the version is
    replaced, in its history entry; None is mirix-app itself.
    """

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
        blob = encode_vector(embedding)

        def write(conn: sqlite3.Connection) -> str:
            item_id = self.insert(conn, stored, embedding=blob, context=context)
            if by is not None:
                self._assign(conn, item_id, {"changed_by": by})
            link_sources(conn, item_id, sources)
            return item_id

        return self.get(self.db.write(write))

    def update(
        self,
        item_id: str,
        changes: dict[str, Any],
        *,
        embedding: Vector | None = None,
        sources: Sequence[SourceRef] = (),
        by: str | None = None,
    ) -> Record:
        """Change some fields; the id stays, the old version goes to history.

        ``embedding`` replaces the stored vector (pass the new text's vector when an
        indexed field changes); ``sources`` are linked in addition to the old ones.
        """
        if not changes:
            raise InvalidInputError("Nothing to change: give at least one field.")
        stored = validate_fields(self.kind, changes, partial=True)
        blob = encode_vector(embedding)

        def write(conn: sqlite3.Connection) -> None:
            row = self.row(conn, item_id)
            if row["deleted_at"] is not None:
                raise InvalidInputError(f"{item_id} is deleted; restore it before editing.")
            self._check_update(row, stored)
            self._save_history(conn, row, "update")
            merged = {f.name: row[f.name] for f in self.kind.fields} | stored
            assignments = {
                **self.seal(stored),
                "search_text": self.search_text(merged),
                "updated_at": now_iso(),
                "version": row["version"] + 1,
                "changed_by": by,
            }
            if blob is not None:
                assignments["embedding"] = blob
            self._assign(conn, item_id, assignments)
            link_sources(conn, item_id, sources)

        self.db.write(write)
        return self.get(item_id)

    def _check_update(self, row: sqlite3.Row, stored: dict[str, Any]) -> None:
        """Hook for types with extra rules (core block limits)."""

    def delete(self, item_id: str, *, by: str | None = None) -> Record:
        """Soft delete: hidden from search and lists, kept with its history."""
        return self._set_deleted(item_id, deleted=True, by=by)

    def restore(self, item_id: str, *, by: str | None = None) -> Record:
        return self._set_deleted(item_id, deleted=False, by=by)

    def _set_deleted(self, item_id: str, *, deleted: bool, by: str | None) -> Record:
        def write(conn: sqlite3.Connection) -> None:
            row = self.row(conn, item_id)
            if (row["deleted_at"] is not None) == deleted:
                state = "already deleted" if deleted else "not deleted"
                raise InvalidInputError(f"{item_id} is {state}.")
            self._save_history(conn, row, "delete" if deleted else "restore")
            now = now_iso()
            self._assign(
                conn,
                item_id,
                {
                    "deleted_at": now if deleted else None,
                    "updated_at": now,
                    "version": row["version"] + 1,
                    "changed_by": by,
                },
            )

        self.db.write(write)
        return self.get(item_id)

    def to_record(
        self, row: sqlite3.Row, sources: dict[str, tuple[SourceRef, ...]] | None = None
    ) -> Record:
        return replace(super().to_record(row, sources), changed_by=row["changed_by"])

    def history(self, item_id: str) -> list[HistoryEntry]:
        """Every previous version, oldest first (the current one is not included)."""
        with self.db.reading() as conn:
            self.row(conn, item_id)  # NotFoundError for an unknown id
            rows = conn.execute(
                "SELECT version, change, changed_at, data FROM memory_history "
                "WHERE memory_id = ? ORDER BY seq",
                (item_id,),
            ).fetchall()
        return [
            HistoryEntry(
                r["version"],
                r["change"],
                r["changed_at"],
                self.unseal(json.loads(r["data"]), f"{item_id} (version {r['version']})"),
            )
            for r in rows
        ]

    def seal_plaintext_secrets(self) -> int:
        """Encrypt secrets stored before a cipher was in use (rows and history).

        Returns how many rows were rewritten; without a cipher, or with nothing
        to do, the database is not written to.
        """
        if self.cipher is None or not self.kind.secret_fields:
            return 0
        with self.db.reading() as conn:
            if not any(self._plaintext_secrets(conn)):
                return 0

        def write(conn: sqlite3.Connection) -> int:
            names = self.kind.secret_fields
            rows, history = self._plaintext_secrets(conn)  # again, under the write lock
            for r in rows:
                self._assign(conn, r["id"], self.seal({n: r[n] for n in names}))
            for seq, data in history:
                conn.execute(
                    "UPDATE memory_history SET data = ? WHERE seq = ?",
                    (json.dumps(self.seal(data), ensure_ascii=False), seq),
                )
            return len(rows) + len(history)

        return self.db.write(write)

    def _plaintext_secrets(
        self, conn: sqlite3.Connection
    ) -> tuple[list[sqlite3.Row], list[tuple[int, dict[str, Any]]]]:
        names = self.kind.secret_fields
        plain = " OR ".join(f"({n} IS NOT NULL AND substr({n}, 1, ?) != ?)" for n in names)
        args = (len(ENCRYPTED_PREFIX), ENCRYPTED_PREFIX) * len(names)
        rows = conn.execute(
            f"SELECT id, {', '.join(names)} FROM {self.kind.table} WHERE {plain}", args
        ).fetchall()
        history = []
        for r in conn.execute(
            "SELECT seq, data FROM memory_history WHERE type = ?", (self.kind.name,)
        ):
            data = json.loads(r["data"])
            if any(data.get(n) is not None and not is_encrypted(data[n]) for n in names):
                history.append((int(r["seq"]), data))
        return rows, history

    # -- helpers -----------------------------------------------------------------------

    def _save_history(self, conn: sqlite3.Connection, row: sqlite3.Row, change: str) -> None:
        data = {
            name: row[name] for name in ("created_at", "updated_at", "deleted_at", "changed_by")
        }
        data |= {f.name: public_value(f, row[f.name]) for f in self.kind.fields}
        conn.execute(
            "INSERT INTO memory_history (memory_id, type, version, change, changed_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                row["id"],
                self.kind.name,
                row["version"],
                change,
                now_iso(),
                json.dumps(data, ensure_ascii=False),
            ),
        )

    def _assign(self, conn: sqlite3.Connection, item_id: str, values: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = :{c}" for c in values)
        conn.execute(
            f"UPDATE {self.kind.table} SET {sets} WHERE id = :_id", {**values, "_id": item_id}
        )


def link_sources(conn: sqlite3.Connection, memory_id: str, sources: Sequence[SourceRef]) -> None:
    """Record where a memory came from; each source must exist."""
    start = conn.execute(
        "SELECT coalesce(max(position) + 1, 0) FROM provenance WHERE memory_id = ?", (memory_id,)
    ).fetchone()[0]
    for offset, source in enumerate(sources):
        table = "messages" if source.kind == "message" else "screenshots"
        if source.kind not in ("message", "screenshot"):
            raise InvalidInputError(f"Unknown source kind {source.kind!r}.")
        if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (source.id,)).fetchone() is None:
            raise NotFoundError(f"No {source.kind} with id {source.id} to link as a source.")
        conn.execute(
            "INSERT OR IGNORE INTO provenance (memory_id, source_kind, source_id, position) "
            "VALUES (?, ?, ?, ?)",
            (memory_id, source.kind, source.id, start + offset),
        )
