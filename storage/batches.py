"""Batches of observations (chat turns, imported messages, screen text) waiting
for the memory agents.

A batch is written before it is acknowledged, so nothing accepted is lost: it
stays ``pending`` until the agents have absorbed it (``done``). A failed attempt
keeps it pending, counts the attempt and keeps the error for the next try.

A worker *claims* a batch before the memory agents run on it
(:meth:`BatchStore.claim_next`): the claim is a lease, an owner and an expiry
time, written in one write transaction, so two workers (processes or threads)
never hold one batch at once. The holder renews the lease while it works
(:meth:`BatchStore.renew`) and gives it up when it records the outcome; a batch
whose holder was killed is claimed again once the lease has run out (or at once
after :meth:`BatchStore.release` by someone who knows the holder is gone). Every
outcome a holder records (:meth:`~BatchStore.mark_done`,
:meth:`~BatchStore.mark_failed`, :meth:`~BatchStore.save_plan`,
:meth:`~BatchStore.split`) checks that it still holds the lease
(:class:`LeaseLostError` otherwise).

The claim maps one to one onto a server database: in PostgreSQL, ``UPDATE
batches SET lease_owner = $1, lease_until = now() + $2 WHERE id = (SELECT id
FROM batches WHERE <claimable> ORDER BY created_at LIMIT 1 FOR UPDATE SKIP
LOCKED) RETURNING *``; SQLite has no row locks, and the claim's transaction
(``BEGIN IMMEDIATE``, the database's write lock) serialises it instead.

A batch is *open* while it still takes observations (``sealed_at`` is NULL): chat
turns join the open batch an exchange at a time, and it is sealed when it holds
``max_items`` observations or when it is older than the caller's time limit
(:meth:`BatchStore.seal_older_than`). Only sealed batches are pending work.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.errors import InvalidInputError, LeaseLostError, NotFoundError
from storage.kinds import format_time, now_iso
from storage.sqlite.db import Database, in_chunks

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
    sealed_at: str | None = None
    """None while the batch is open (still taking observations)."""
    plan: dict[str, str] | None = None
    """What the memory agents still have to do (memory type -> instruction) once the
    meta-agent's call succeeded; None before that."""
    lease_owner: str | None = None
    """The worker holding the batch now (see :meth:`BatchStore.claim_next`)."""
    lease_until: str | None = None
    """When that lease runs out, unless renewed."""
    retry_at: str | None = None
    """After a failed attempt: when the background run may try it again."""

    def held(self, now: str | None = None) -> bool:
        """Whether a worker holds the batch (a lease that has not run out)."""
        return self.lease_until is not None and self.lease_until > (now or now_iso())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "status": self.status,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "items": list(self.items),
            "sealed_at": self.sealed_at,
            "plan": self.plan,
            "lease_owner": self.lease_owner,
            "lease_until": self.lease_until,
            "retry_at": self.retry_at,
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


def waiting(batch: Batch) -> Batch:
    """``batch``, if it is sealed and not done (what giving up and requeueing take)."""
    if batch.status == "done":
        raise InvalidInputError(f"Batch {batch.id} is done: the memory agents took it.")
    if batch.sealed_at is None:
        raise InvalidInputError(
            f"Batch {batch.id} is still filling with chat turns; it is sealed when full or old."
        )
    return batch


class BatchStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue_in(self, conn: sqlite3.Connection, items: Sequence[dict[str, Any]]) -> str:
        """Insert a batch inside the caller's transaction (with the sources it names)."""
        data = json.dumps(check_items(items), ensure_ascii=False)
        batch_id = f"batch_{uuid.uuid4().hex}"
        now = now_iso()
        conn.execute(
            "INSERT INTO batches (id, created_at, updated_at, status, attempts, items, "
            "sealed_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)",
            (batch_id, now, now, data, now),
        )
        return batch_id

    def append_in(
        self, conn: sqlite3.Connection, items: Sequence[dict[str, Any]], *, max_items: int
    ) -> str:
        """Add ``items`` to the open batch (opening one if there is none), inside the
        caller's transaction; seal it once it holds ``max_items`` or more. The items
        stay together even if that passes ``max_items``. Returns the batch id."""
        checked = check_items(items)
        if max_items < 1:
            raise InvalidInputError("max_items must be at least 1.")
        row = conn.execute(
            "SELECT id, items FROM batches WHERE sealed_at IS NULL ORDER BY created_at, rowid "
            "LIMIT 1"
        ).fetchone()
        now = now_iso()
        if row is None:
            batch_id = f"batch_{uuid.uuid4().hex}"
            merged = checked
            conn.execute(
                "INSERT INTO batches (id, created_at, updated_at, status, attempts, items) "
                "VALUES (?, ?, ?, 'pending', 0, '[]')",
                (batch_id, now, now),
            )
        else:
            batch_id, merged = row[0], [*json.loads(row[1]), *checked]
        sealed = now if len(merged) >= max_items else None
        conn.execute(
            "UPDATE batches SET items = ?, updated_at = ?, sealed_at = ? WHERE id = ?",
            (json.dumps(merged, ensure_ascii=False), now, sealed, batch_id),
        )
        return batch_id

    def append(self, items: Sequence[dict[str, Any]], *, max_items: int) -> Batch:
        batch_id = self.db.write(lambda conn: self.append_in(conn, items, max_items=max_items))
        return self.get(batch_id)

    def seal_older_than(self, cutoff: str) -> int:
        """Seal the open batches created at or before ``cutoff`` (an ISO time), so the
        memory agents take them even though they are not full. Returns how many."""

        def write(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "UPDATE batches SET sealed_at = ?, updated_at = ? "
                "WHERE sealed_at IS NULL AND created_at <= ?",
                (now_iso(), now_iso(), cutoff),
            )
            return int(cursor.rowcount)

        return self.db.write(write)

    def open_batch(self) -> Batch | None:
        with self.db.reading() as conn:
            row = conn.execute(
                "SELECT * FROM batches WHERE sealed_at IS NULL ORDER BY created_at, rowid LIMIT 1"
            ).fetchone()
        return _batch(row) if row is not None else None

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
        """Sealed batches waiting for the memory agents, oldest first."""
        with self.db.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM batches WHERE status = 'pending' AND sealed_at IS NOT NULL "
                "ORDER BY created_at, rowid"
            ).fetchall()
        return [_batch(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Batches by state: pending (sealed, waiting), open (still filling), done,
        failed, and retrying (pending after at least one failed attempt)."""
        with self.db.reading() as conn:
            rows = conn.execute(
                "SELECT CASE WHEN status = 'pending' AND sealed_at IS NULL THEN 'open' "
                "ELSE status END, count(*) FROM batches GROUP BY 1"
            ).fetchall()
            retrying = conn.execute(
                "SELECT count(*) FROM batches WHERE status = 'pending' AND attempts > 0"
            ).fetchone()[0]
        counts = {"pending": 0, "open": 0, "done": 0, "failed": 0}
        return counts | {r[0]: int(r[1]) for r in rows} | {"retrying": int(retrying)}

    def retrying(self) -> list[Batch]:
        """Pending batches that have failed at least once, most attempts first."""
        with self.db.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM batches WHERE status = 'pending' AND attempts > 0 "
                "ORDER BY attempts DESC, created_at"
            ).fetchall()
        return [_batch(r) for r in rows]

    def split(self, batch_id: str, *, owner: str | None = None) -> tuple[Batch, Batch]:
        """Replace a pending sealed batch by two, each with half of its observations
        (in order), in one transaction: nothing is lost and nothing is taken twice.
        The halves keep the batch's creation time, so they come next in line, and
        its plan (when the meta-agent already ran), and start with no failed
        attempts and unclaimed. With ``owner``, only while that worker holds it."""

        def write(conn: sqlite3.Connection) -> tuple[str, str]:
            if owner is not None:
                _check_holder(conn, batch_id, owner)
            row = conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"No batch with id {batch_id}.")
            batch = _batch(row)
            if batch.status != "pending" or batch.sealed_at is None:
                raise InvalidInputError(f"Batch {batch_id} is not waiting for the agents.")
            if len(batch.items) < 2:
                raise InvalidInputError(f"Batch {batch_id} has one observation: no halves.")
            middle = len(batch.items) // 2
            ids = []
            now = now_iso()
            for half in (batch.items[:middle], batch.items[middle:]):
                ids.append(f"batch_{uuid.uuid4().hex}")
                conn.execute(
                    "INSERT INTO batches (id, created_at, updated_at, status, attempts, items, "
                    "sealed_at, plan) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)",
                    (
                        ids[-1],
                        batch.created_at,
                        now,
                        json.dumps(list(half), ensure_ascii=False),
                        now,
                        row["plan"],
                    ),
                )
            conn.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
            return ids[0], ids[1]

        first, second = self.db.write(write)
        return self.get(first), self.get(second)

    def listed(self, statuses: Sequence[str] = ("pending", "failed")) -> list[Batch]:
        """Batches in ``statuses`` (pending includes the open one), oldest first."""
        unknown = set(statuses) - {"pending", "done", "failed"}
        if unknown:
            raise InvalidInputError(f"Unknown batch status {sorted(unknown)[0]!r}.")
        marks = ", ".join("?" for _ in statuses)
        with self.db.reading() as conn:
            rows = conn.execute(
                f"SELECT * FROM batches WHERE status IN ({marks}) ORDER BY created_at, rowid",
                tuple(statuses),
            ).fetchall()
        return [_batch(r) for r in rows]

    def give_up(self, batch_id: str) -> Batch:
        """Take a sealed pending batch out of the memory agents' queue for good
        (status ``failed``): its observations stay stored and searchable, only no
        memories are made from them. ``requeue`` undoes it."""

        def write(conn: sqlite3.Connection) -> None:
            batch = self._waiting(conn, batch_id)
            if batch.status == "failed":
                raise InvalidInputError(f"Batch {batch_id} was already given up.")
            if batch.held():
                raise InvalidInputError(
                    f"Batch {batch_id} is being absorbed right now; try again when that "
                    "run is over."
                )
            conn.execute(
                "UPDATE batches SET status = 'failed', updated_at = ? WHERE id = ?",
                (now_iso(), batch_id),
            )

        self.db.write(write)
        return self.get(batch_id)

    def requeue(self, batch_id: str) -> Batch:
        """Put a given-up batch back in the queue as if new (no failed attempts, so
        the next run takes it at once); its plan, if the meta-agent ran, is kept."""

        def write(conn: sqlite3.Connection) -> None:
            batch = self._waiting(conn, batch_id)
            if batch.status != "failed":
                raise InvalidInputError(f"Batch {batch_id} is not given up: it is queued.")
            conn.execute(
                "UPDATE batches SET status = 'pending', attempts = 0, retry_at = NULL, "
                "updated_at = ? WHERE id = ?",
                (now_iso(), batch_id),
            )

        self.db.write(write)
        return self.get(batch_id)

    @staticmethod
    def _waiting(conn: sqlite3.Connection, batch_id: str) -> Batch:
        row = conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"No batch with id {batch_id}.")
        return waiting(_batch(row))

    # -- claims ------------------------------------------------------------------------

    def claim_next(
        self,
        owner: str,
        *,
        lease_s: float,
        due_only: bool = False,
        skip: Sequence[str] = (),
    ) -> Batch | None:
        """Claim the oldest sealed pending batch nobody holds, for ``lease_s``
        seconds, as ``owner``; None when there is none. ``due_only`` leaves the
        failed batches whose ``retry_at`` has not come; ``skip`` the ids given (the
        batches this worker tried already in this run)."""
        if lease_s <= 0:
            raise InvalidInputError("A lease must last more than 0 seconds.")

        def write(conn: sqlite3.Connection) -> str | None:
            now = datetime.now(UTC)
            sql, params = _claimable(format_time(now), due_only=due_only, skip=skip)
            row = conn.execute(
                f"SELECT id FROM batches WHERE {sql} ORDER BY created_at, rowid LIMIT 1", params
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE batches SET lease_owner = ?, lease_until = ? WHERE id = ?",
                (owner, _later(now, lease_s), row[0]),
            )
            return str(row[0])

        batch_id = self.db.write(write)
        return self.get(batch_id) if batch_id is not None else None

    def claimable(self, *, due_only: bool = False, skip: Sequence[str] = ()) -> int:
        """How many batches :meth:`claim_next` could claim now (same filters)."""
        sql, params = _claimable(now_iso(), due_only=due_only, skip=skip)
        with self.db.reading() as conn:
            return int(
                conn.execute(f"SELECT count(*) FROM batches WHERE {sql}", params).fetchone()[0]
            )

    def held(self) -> list[Batch]:
        """Sealed pending batches some worker holds now (an unexpired lease)."""
        with self.db.reading() as conn:
            rows = conn.execute(
                "SELECT * FROM batches WHERE status = 'pending' AND lease_until > ? "
                "ORDER BY created_at, rowid",
                (now_iso(),),
            ).fetchall()
        return [_batch(r) for r in rows]

    def renew(self, batch_id: str, owner: str, *, lease_s: float) -> bool:
        """Extend ``owner``'s lease by ``lease_s`` from now; False when it no longer
        holds the batch (taken over after its lease ran out, or finished)."""

        def write(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE batches SET lease_until = ? WHERE id = ? AND lease_owner = ? "
                "AND status = 'pending'",
                (_later(datetime.now(UTC), lease_s), batch_id, owner),
            )
            return cursor.rowcount == 1

        return self.db.write(write)

    def release(self, batch_id: str, owner: str) -> bool:
        """End ``owner``'s lease without an outcome (the holder stopped, or is known
        to be gone): the batch can be claimed at once. False when ``owner`` did not
        hold it."""

        def write(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE batches SET lease_owner = NULL, lease_until = NULL "
                "WHERE id = ? AND lease_owner = ?",
                (batch_id, owner),
            )
            return cursor.rowcount == 1

        return self.db.write(write)

    # -- outcomes -----------------------------------------------------------------------

    def save_plan(self, batch_id: str, plan: dict[str, str], *, owner: str | None = None) -> None:
        """Record what the memory agents still have to do for this batch."""
        self._update(batch_id, "plan = ?", (json.dumps(plan, ensure_ascii=False),), owner)

    def mark_done(self, batch_id: str, *, owner: str | None = None) -> Batch:
        """The memory agents absorbed the batch; its lease ends."""
        self._update(
            batch_id,
            "status = 'done', last_error = NULL, attempts = attempts + 1, retry_at = NULL, "
            "lease_owner = NULL, lease_until = NULL",
            (),
            owner,
        )
        return self.get(batch_id)

    def mark_failed(
        self,
        batch_id: str,
        error: str,
        *,
        owner: str | None = None,
        retry_after_s: float = 0.0,
    ) -> Batch:
        """Count a failed attempt; the batch stays pending, to be retried (by the
        background run no sooner than ``retry_after_s`` from now); its lease ends."""
        now = datetime.now(UTC)
        self._update(
            batch_id,
            "attempts = attempts + 1, last_error = ?, retry_at = ?, "
            "lease_owner = NULL, lease_until = NULL",
            (error, _later(now, retry_after_s)),
            owner,
            now=format_time(now),
        )
        return self.get(batch_id)

    def _update(
        self,
        batch_id: str,
        sets: str,
        params: tuple[object, ...],
        owner: str | None,
        *,
        now: str | None = None,
    ) -> None:
        """Update a batch; with ``owner``, only while that worker holds its lease."""

        def write(conn: sqlite3.Connection) -> None:
            if owner is not None:
                _check_holder(conn, batch_id, owner)
            cursor = conn.execute(
                f"UPDATE batches SET {sets}, updated_at = ? WHERE id = ?",
                (*params, now or now_iso(), batch_id),
            )
            if cursor.rowcount == 0:
                raise NotFoundError(f"No batch with id {batch_id}.")

        self.db.write(write)


def _claimable(now: str, *, due_only: bool, skip: Sequence[str]) -> tuple[str, list[object]]:
    """The WHERE clause (and its parameters) of a batch a worker may claim now."""
    sql = (
        "status = 'pending' AND sealed_at IS NOT NULL AND (lease_until IS NULL OR lease_until <= ?)"
    )
    params: list[object] = [now]
    if due_only:
        sql += " AND (retry_at IS NULL OR retry_at <= ?)"
        params.append(now)
    for chunk, marks in in_chunks(list(skip)):
        sql += f" AND id NOT IN ({marks})"
        params.extend(chunk)
    return sql, params


def _check_holder(conn: sqlite3.Connection, batch_id: str, owner: str) -> None:
    row = conn.execute("SELECT lease_owner FROM batches WHERE id = ?", (batch_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"No batch with id {batch_id}.")
    if row[0] != owner:
        raise LeaseLostError(
            f"Batch {batch_id} was taken over by another run of the memory agents "
            "(this run held it past its lease)."
        )


def _later(moment: datetime, seconds: float) -> str:
    return format_time(moment + timedelta(seconds=seconds))


def _batch(row: sqlite3.Row) -> Batch:
    return Batch(
        id=row["id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=row["status"],
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        items=tuple(json.loads(row["items"])),
        sealed_at=row["sealed_at"],
        plan=json.loads(row["plan"]) if row["plan"] is not None else None,
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        retry_at=row["retry_at"],
    )
