"""Batches of observations (chat turns, imported messages, screen text) waiting
for the memory agents.

A batch is written before it is acknowledged, so nothing accepted is lost: it
stays ``pending`` until the agents have absorbed it (``done``). A failed attempt
keeps it pending, counts the attempt and keeps the error for the next try.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Database
from storage.errors import InvalidInputError, NotFoundError
from storage.kinds import now_iso

OBSERVATION_KINDS = ("message", "screenshot")


@dataclass(frozen=True)
class Batch:
    id: str
    created_at: str
    updated_at: str
    status: str
    attempts: int
    last_error: str | None
    items: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "items": list(self.items),
        }


def check_items(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate observations: each a JSON object with kind, source_id, at and text."""
    if not items:
        raise InvalidInputError("A batch needs at least one observation.")
    checked: list[dict[str, Any]] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidInputError(f"Observation {n} is not an object.")
        if item.get("kind") not in OBSERVATION_KINDS:
            raise InvalidInputError(f"Observation {n}: kind must be message or screenshot.")
        for key in ("source_id", "at", "text"):
            if not isinstance(item.get(key), str):
                raise InvalidInputError(f"Observation {n}: {key} must be a string.")
        checked.append(dict(item))
    return checked


class BatchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue_in(self, conn: sqlite3.Connection, items: Sequence[dict[str, Any]]) -> str:
        """Insert a batch inside the caller's transaction (with the sources it names)."""
        data = json.dumps(check_items(items), ensure_ascii=False)
        batch_id = f"batch_{uuid.uuid4().hex}"
        now = now_iso()
        conn.execute(
            "INSERT INTO batches (id, created_at, updated_at, status, attempts, items) "
            "VALUES (?, ?, ?, 'pending', 0, ?)",
            (batch_id, now, now, data),
        )
        return batch_id

    def enqueue(self, items: Sequence[dict[str, Any]]) -> Batch:
        check_items(items)
        return self.get(self.db.write(lambda conn: self.enqueue_in(conn, items)))

    def get(self, batch_id: str) -> Batch:
        with self.db.reading() as conn:
            row = conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"No batch with id {batch_id}.")
        return _batch(row)

    def pending(self) -> list[Batch]:
        """Pending batches, oldest first."""
        with self.db.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM batches WHERE status = 'pending' ORDER BY created_at, rowid"
            ).fetchall()
        return [_batch(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self.db.reading() as conn:
            rows = conn.execute("SELECT status, count(*) FROM batches GROUP BY status").fetchall()
        return {"pending": 0, "done": 0, "failed": 0} | {r[0]: int(r[1]) for r in rows}

    def mark_done(self, batch_id: str) -> Batch:
        self._update(batch_id, "status = 'done', last_error = NULL, attempts = attempts + 1", ())
        return self.get(batch_id)

    def mark_failed(self, batch_id: str, error: str) -> Batch:
        """Count a failed attempt; the batch stays pending, to be retried."""
        self._update(batch_id, "attempts = attempts + 1, last_error = ?", (error,))
        return self.get(batch_id)

    def _update(self, batch_id: str, sets: str, params: tuple[object, ...]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                f"UPDATE batches SET {sets}, updated_at = ? WHERE id = ?",
                (*params, now_iso(), batch_id),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"No batch with id {batch_id}.")

        self.db.write(write)


def _batch(row: sqlite3.Row) -> Batch:
    return Batch(
        id=row["id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=row["status"],
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        items=tuple(json.loads(row["items"])),
    )
