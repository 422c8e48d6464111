"""Observation batches in PostgreSQL, claimed by several devices at once.

The same batches as :mod:`storage.batches` (the :class:`~storage.batches.Batch`
it returns, the same states, leases and outcomes), with the claim SQLite cannot
make: ``SELECT ... FOR UPDATE SKIP LOCKED`` picks the oldest claimable batch no
other transaction is claiming, and the ``UPDATE`` that writes the lease runs in
the same statement, so two devices running ``absorb`` together never take one
batch, and neither waits for the other. Lease times come from the server's
clock, not the device's: devices whose clocks disagree still agree on when a
lease has run out.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.batches import Batch, _batch, check_items, waiting
from storage.errors import InvalidInputError, LeaseLostError, NotFoundError
from storage.kinds import format_time
from storage.postgres.db import Connection
from storage.postgres.rows import Bound

OPEN_BATCH_LOCK = 0x6D69_7269_7862  # serialises the devices adding to the open batch

SERVER_NOW = "SELECT clock_timestamp() AS now"


def _server_now(conn: Connection) -> datetime:
    row = conn.execute(SERVER_NOW).fetchone()
    assert row is not None
    moment: datetime = row["now"]
    return moment


def _to_batch(row: dict[str, Any]) -> Batch:
    # storage.batches reads a row by column name only; a dict row reads the same.
    return _batch(row)  # type: ignore[arg-type]


def _later(moment: datetime, seconds: float) -> str:
    return format_time(moment + timedelta(seconds=seconds))


def _claimable(now: str, *, due_only: bool, skip: Sequence[str]) -> tuple[str, list[object]]:
    """The WHERE clause (and its parameters) of a batch a worker may claim now."""
    sql = (
        "status = 'pending' AND sealed_at IS NOT NULL "
        "AND (lease_until IS NULL OR lease_until <= %s) AND NOT (id = ANY(%s))"
    )
    params: list[object] = [now, list(skip)]
    if due_only:
        sql += " AND (retry_at IS NULL OR retry_at <= %s)"
        params.append(now)
    return sql, params


def _waiting(conn: Connection, batch_id: str) -> Batch:
    """A sealed batch not yet done, locked against other devices until commit."""
    return waiting(_locked(conn, batch_id, None))


def _locked(conn: Connection, batch_id: str, owner: str | None) -> Batch:
    """The batch, its row locked until commit (so a takeover cannot slip in); with
    ``owner``, only while that worker holds its lease."""
    row = conn.execute("SELECT * FROM batches WHERE id = %s FOR UPDATE", (batch_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"No batch with id {batch_id}.")
    if owner is not None and row["lease_owner"] != owner:
        raise LeaseLostError(
            f"Batch {batch_id} was taken over by another run of the memory agents "
            "(this run held it past its lease)."
        )
    return _to_batch(row)


class BatchRepository(Bound):
    """Batches waiting for the memory agents, shared by every device."""

    # -- adding ------------------------------------------------------------------------

    def enqueue(self, items: Sequence[dict[str, Any]]) -> Batch:
        """A new sealed batch of ``items``."""
        return self.get(self.enqueue_id(items))

    def append(self, items: Sequence[dict[str, Any]], *, max_items: int) -> Batch:
        """Add ``items`` to the open batch (see :meth:`append_id`)."""
        return self.get(self.append_id(items, max_items=max_items))

    def enqueue_id(self, items: Sequence[dict[str, Any]]) -> str:
        """A new sealed batch of ``items``; its id."""
        data = json.dumps(check_items(items), ensure_ascii=False)
        batch_id = f"batch_{uuid.uuid4().hex}"

        def write(conn: Connection) -> None:
            now = format_time(_server_now(conn))
            conn.execute(
                "INSERT INTO batches (id, created_at, updated_at, items, sealed_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                (batch_id, now, now, data, now),
            )

        self._write(write)
        return batch_id

    def append_id(self, items: Sequence[dict[str, Any]], *, max_items: int) -> str:
        """Add ``items`` to the open batch (opening one if none), sealing it once it
        holds ``max_items``; one open batch for all devices. Its id."""
        checked = check_items(items)
        if max_items < 1:
            raise InvalidInputError("max_items must be at least 1.")

        def write(conn: Connection) -> str:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (OPEN_BATCH_LOCK,))
            now = format_time(_server_now(conn))
            row = conn.execute(
                "SELECT id, items FROM batches WHERE sealed_at IS NULL "
                "ORDER BY created_at, rowid LIMIT 1 FOR UPDATE"
            ).fetchone()
            merged = checked if row is None else [*json.loads(row["items"]), *checked]
            sealed = now if len(merged) >= max_items else None
            data = json.dumps(merged, ensure_ascii=False)
            if row is None:
                batch_id = f"batch_{uuid.uuid4().hex}"
                conn.execute(
                    "INSERT INTO batches (id, created_at, updated_at, items, sealed_at) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    (batch_id, now, now, data, sealed),
                )
                return batch_id
            conn.execute(
                "UPDATE batches SET items = %s, updated_at = %s, sealed_at = %s WHERE id = %s",
                (data, now, sealed, row["id"]),
            )
            return str(row["id"])

        return self._write(write)

    def seal_older_than(self, cutoff: str) -> int:
        """Seal the open batches opened at or before ``cutoff`` (as SQLite does: a
        caller passing a batch's own ``created_at`` seals it); how many were."""

        def write(conn: Connection) -> int:
            now = format_time(_server_now(conn))
            cursor = conn.execute(
                "UPDATE batches SET sealed_at = %s, updated_at = %s "
                "WHERE sealed_at IS NULL AND created_at <= %s",
                (now, now, cutoff),
            )
            return cursor.rowcount

        return self._write(write)

    # -- reading -----------------------------------------------------------------------

    def get(self, batch_id: str) -> Batch:
        row = self._read(
            lambda conn: conn.execute("SELECT * FROM batches WHERE id = %s", (batch_id,)).fetchone()
        )
        if row is None:
            raise NotFoundError(f"No batch with id {batch_id}.")
        return _to_batch(row)

    def pending(self) -> list[Batch]:
        """Sealed batches not yet absorbed, oldest first."""
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT * FROM batches WHERE status = 'pending' AND sealed_at IS NOT NULL "
                "ORDER BY created_at, rowid"
            ).fetchall()
        )
        return [_to_batch(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Batches by state: pending (sealed, waiting), open (still filling), done,
        failed, and retrying (pending after at least one failed attempt)."""
        rows = self._read(
            lambda conn: conn.execute(
                "SELECT CASE WHEN status = 'pending' AND sealed_at IS NULL THEN 'open' "
                "ELSE status END AS state, count(*) AS n FROM batches GROUP BY 1 "
                "UNION ALL SELECT 'retrying', count(*) FROM batches "
                "WHERE status = 'pending' AND attempts > 0"
            ).fetchall()
        )
        return {"pending": 0, "open": 0, "done": 0, "failed": 0} | {
            r["state"]: int(r["n"]) for r in rows
        }

    def open_batch(self) -> Batch | None:
        return self._first("sealed_at IS NULL ORDER BY created_at, rowid LIMIT 1")

    def retrying(self) -> list[Batch]:
        """Pending batches that have failed at least once, most attempts first."""
        return self._select(
            "status = 'pending' AND attempts > 0 ORDER BY attempts DESC, created_at"
        )

    def listed(self, statuses: Sequence[str] = ("pending", "failed")) -> list[Batch]:
        """Batches in ``statuses`` (pending includes the open one), oldest first."""
        unknown = set(statuses) - {"pending", "done", "failed"}
        if unknown:
            raise InvalidInputError(f"Unknown batch status {sorted(unknown)[0]!r}.")
        return self._select("status = ANY(%s) ORDER BY created_at, rowid", (list(statuses),))

    def held(self) -> list[Batch]:
        """Sealed pending batches some worker (of any device) holds now."""
        return self._select(
            "status = 'pending' AND lease_until > %s ORDER BY created_at, rowid",
            (format_time(self._read(_server_now)),),
        )

    def _select(self, where: str, params: tuple[object, ...] = ()) -> list[Batch]:
        rows = self._read(
            lambda conn: conn.execute(f"SELECT * FROM batches WHERE {where}", params).fetchall()
        )
        return [_to_batch(r) for r in rows]

    def _first(self, where: str) -> Batch | None:
        found = self._select(where)
        return found[0] if found else None

    # -- the queue by hand ---------------------------------------------------------------

    def give_up(self, batch_id: str) -> Batch:
        """Take a sealed pending batch out of the queue for good (status failed);
        ``requeue`` undoes it."""

        def write(conn: Connection) -> None:
            batch = _waiting(conn, batch_id)
            if batch.status == "failed":
                raise InvalidInputError(f"Batch {batch_id} was already given up.")
            if batch.held(format_time(_server_now(conn))):
                raise InvalidInputError(
                    f"Batch {batch_id} is being absorbed right now; try again when that "
                    "run is over."
                )
            conn.execute(
                "UPDATE batches SET status = 'failed', updated_at = %s WHERE id = %s",
                (format_time(_server_now(conn)), batch_id),
            )

        self._write(write)
        return self.get(batch_id)

    def requeue(self, batch_id: str) -> Batch:
        """Put a given-up batch back in the queue as if new."""

        def write(conn: Connection) -> None:
            if _waiting(conn, batch_id).status != "failed":
                raise InvalidInputError(f"Batch {batch_id} is not given up: it is queued.")
            conn.execute(
                "UPDATE batches SET status = 'pending', attempts = 0, retry_at = NULL, "
                "updated_at = %s WHERE id = %s",
                (format_time(_server_now(conn)), batch_id),
            )

        self._write(write)
        return self.get(batch_id)

    def split(self, batch_id: str, *, owner: str | None = None) -> tuple[Batch, Batch]:
        """Replace a pending sealed batch by its two halves in one transaction (they
        keep its creation time and plan, unclaimed, no failed attempts); with
        ``owner``, only while that worker holds it."""

        def write(conn: Connection) -> tuple[str, str]:
            batch = _locked(conn, batch_id, owner)
            if batch.status != "pending" or batch.sealed_at is None:
                raise InvalidInputError(f"Batch {batch_id} is not waiting for the agents.")
            if len(batch.items) < 2:
                raise InvalidInputError(f"Batch {batch_id} has one observation: no halves.")
            middle = len(batch.items) // 2
            now = format_time(_server_now(conn))
            plan = json.dumps(batch.plan, ensure_ascii=False) if batch.plan is not None else None
            ids = (f"batch_{uuid.uuid4().hex}", f"batch_{uuid.uuid4().hex}")
            for new_id, half in zip(ids, (batch.items[:middle], batch.items[middle:]), strict=True):
                conn.execute(
                    "INSERT INTO batches (id, created_at, updated_at, items, sealed_at, plan) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    (
                        new_id,
                        batch.created_at,
                        now,
                        json.dumps(list(half), ensure_ascii=False),
                        now,
                        plan,
                    ),
                )
            conn.execute("DELETE FROM batches WHERE id = %s", (batch_id,))
            return ids

        first, second = self._write(write)
        return self.get(first), self.get(second)

    # -- claims ------------------------------------------------------------------------

    def claim_next(
        self,
        owner: str,
        *,
        lease_s: float,
        due_only: bool = False,
        skip: Sequence[str] = (),
    ) -> Batch | None:
        """Claim the oldest sealed pending batch nobody holds (nor is claiming now),
        for ``lease_s`` seconds, as ``owner``; None when there is none."""
        if lease_s <= 0:
            raise InvalidInputError("A lease must last more than 0 seconds.")

        def write(conn: Connection) -> dict[str, Any] | None:
            moment = _server_now(conn)
            sql, params = _claimable(format_time(moment), due_only=due_only, skip=skip)
            return conn.execute(
                f"""UPDATE batches SET lease_owner = %s, lease_until = %s
                    WHERE id = (SELECT id FROM batches WHERE {sql}
                                ORDER BY created_at, rowid LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING *""",
                (owner, _later(moment, lease_s), *params),
            ).fetchone()

        row = self._write(write)
        return _to_batch(row) if row is not None else None

    def claimable(self, *, due_only: bool = False, skip: Sequence[str] = ()) -> int:
        """How many batches :meth:`claim_next` could claim now (same filters)."""

        def read(conn: Connection) -> int:
            sql, params = _claimable(format_time(_server_now(conn)), due_only=due_only, skip=skip)
            row = conn.execute(f"SELECT count(*) AS n FROM batches WHERE {sql}", params).fetchone()
            return int(row["n"]) if row else 0

        return self._read(read)

    def renew(self, batch_id: str, owner: str, *, lease_s: float) -> bool:
        """Extend ``owner``'s lease; False when it no longer holds the batch."""

        def write(conn: Connection) -> bool:
            cursor = conn.execute(
                "UPDATE batches SET lease_until = %s WHERE id = %s AND lease_owner = %s "
                "AND status = 'pending'",
                (_later(_server_now(conn), lease_s), batch_id, owner),
            )
            return cursor.rowcount == 1

        return self._write(write)

    def release(self, batch_id: str, owner: str) -> bool:
        """End ``owner``'s lease without an outcome; False when it did not hold it."""
        return self._write(
            lambda conn: (
                conn.execute(
                    "UPDATE batches SET lease_owner = NULL, lease_until = NULL "
                    "WHERE id = %s AND lease_owner = %s",
                    (batch_id, owner),
                ).rowcount
                == 1
            )
        )

    # -- outcomes ----------------------------------------------------------------------

    def save_plan(self, batch_id: str, plan: dict[str, str], *, owner: str | None = None) -> None:
        self._update(batch_id, "plan = %s", (json.dumps(plan, ensure_ascii=False),), owner)

    def mark_done(self, batch_id: str, *, owner: str | None = None) -> Batch:
        self._update(
            batch_id,
            "status = 'done', last_error = NULL, attempts = attempts + 1, retry_at = NULL, "
            "lease_owner = NULL, lease_until = NULL",
            (),
            owner,
        )
        return self.get(batch_id)

    def mark_failed(
        self, batch_id: str, error: str, *, owner: str | None = None, retry_after_s: float = 0.0
    ) -> Batch:
        self._update(
            batch_id,
            "attempts = attempts + 1, last_error = %s, retry_at = %s, "
            "lease_owner = NULL, lease_until = NULL",
            (error, None),
            owner,
            retry_after_s=retry_after_s,
        )
        return self.get(batch_id)

    def _update(
        self,
        batch_id: str,
        sets: str,
        params: tuple[object, ...],
        owner: str | None,
        *,
        retry_after_s: float | None = None,
    ) -> None:
        """Update a batch; with ``owner``, only while that worker holds its lease
        (the row is locked first, so a takeover cannot slip in between)."""

        def write(conn: Connection) -> None:
            _locked(conn, batch_id, owner)
            moment = _server_now(conn)
            values = params
            if retry_after_s is not None:  # the retry time: the last parameter
                values = (*params[:-1], _later(moment, retry_after_s))
            conn.execute(
                f"UPDATE batches SET {sets}, updated_at = %s WHERE id = %s",
                (*values, format_time(moment), batch_id),
            )

        self._write(write)


class BatchWrites:
    """The batches of a unit of work (:class:`storage.interface.BatchWrites`)."""

    def __init__(self, repo: BatchRepository) -> None:
        self._repo = repo

    def enqueue(self, items: Sequence[dict[str, Any]]) -> str:
        return self._repo.enqueue_id(items)

    def append(self, items: Sequence[dict[str, Any]], *, max_items: int) -> str:
        return self._repo.append_id(items, max_items=max_items)
