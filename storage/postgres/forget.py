"""Forgetting on the PostgreSQL engine (what is forgotten: :mod:`storage.forget`).

The memory is shared, so a forget on one device forgets for all of them: one
transaction deletes the rows (their ``search_tsv`` and vectors are columns of
the rows, and GIN and HNSW entries go with them), the memories made only from
them with their history, the forgotten lines of the contexts around them (the
``search_tsv`` of those rows made again) and the batch items naming them. Rows
are locked as the plan is made again inside the transaction, so two devices
forgetting at once never plan on rows the other is deleting.

**Image files.** A screenshot's files are on the device that took it (its
``device`` column). The report names the files of this device's screenshots,
which the caller removes after the commit, as on SQLite. Another device's files
are out of reach here: their paths go to the ``forgotten_frames`` table under
that device's name, and that device removes them (and their entries) the next
time it forgets something or calls :func:`take_forgotten_files` (as a device
opening the shared memory does), so a frame forgotten on the laptop leaves no
file on the desktop. Until then the file stays there, named by no row: the
desktop cannot show it, search cannot find it, and only a look inside its data
folder would. A screenshot row with no device (none is written so) has no file
this can find.

**What PostgreSQL keeps.** A DELETE only marks a row version dead: its bytes
stay in the table's and its indexes' files (and in TOAST for long text) until
VACUUM frees the space and later rows overwrite it, and in the server's
write-ahead log until that segment is recycled. After the commit
:func:`vacuum` runs ``VACUUM (INDEX_CLEANUP ON)`` on the touched tables: the
dead versions leave the tables and every index (a plain VACUUM skips the
indexes when few rows died; pgvector's vacuum of an HNSW index overwrites a
deleted vector with zeros), so no query can read them and their space is
reused; in the tables the bytes are not overwritten at once. Its cost is
reading each touched index whole (see the README's figures). ``VACUUM FULL``
rewrites a table into new files (with an exclusive lock, the whole table's
time), which the file system may still hold blocks of; WAL archives, base
backups and replicas keep what they copied. Those are the server's
administrator's to manage, and mirix-app does not try (it may lack the rights
to).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from storage.forget import (
    ForgetPlan,
    ForgetReport,
    ForgetScope,
    by_table,
    forgotten,
    items_without,
    sources_named,
    split_memories,
    without_line,
)
from storage.interface import Where
from storage.kinds import MESSAGE, SCREENSHOT, Kind, now_iso
from storage.postgres.db import Connection, PostgresDatabase
from storage.postgres.search import where_sql
from storage.postgres.text import TSV_SQL, tsv_params
from storage.sources import context_line


def plan_forget(db: PostgresDatabase, scope: ForgetScope) -> ForgetPlan:
    with db.reading() as conn:
        return _plan(conn, scope)


def forget(db: PostgresDatabase, scope: ForgetScope, *, device: str) -> ForgetReport:
    """Forget what ``scope`` names now, for every device (see the module
    docstring); the report names the image files of ``device`` (this one) to
    remove once this returns, those other devices' forgets left for it included."""

    def write(conn: Connection) -> tuple[ForgetReport, set[str]]:
        plan = _plan(conn, scope, lock=True)  # again, inside the transaction
        report = ForgetReport(plan, wal_cleared=True)
        touched: set[str] = set()
        if plan.items:
            report.contexts_rewritten = _scrub_contexts(conn, plan.messages, touched)
            report.batches_changed = _scrub_batches(conn, {*plan.messages, *plan.screenshots})
            touched |= _drop_memories(conn, plan)
            report.files = _image_files(conn, plan.screenshots, device)
            for kind, ids in ((MESSAGE, plan.messages), (SCREENSHOT, plan.screenshots)):
                if ids:
                    conn.execute(f"DELETE FROM {kind.table} WHERE id = ANY(%s)", (list(ids),))
                    touched.add(kind.table)
            touched |= {"provenance"} | ({"batches"} if report.batches_changed else set())
        report.files += _take_left_for(conn, device)
        return report, touched

    report, touched = db.write(write)
    if touched:
        vacuum(db, touched)
    return report


def take_forgotten_files(db: PostgresDatabase, device: str) -> list[str]:
    """The files of screenshots taken on ``device`` that another device forgot,
    taken off the list: the caller removes them now."""
    return db.write(lambda conn: _take_left_for(conn, device))


def vacuum(db: PostgresDatabase, tables: Iterable[str]) -> None:
    """VACUUM ``tables`` and all their indexes (outside any transaction, as it must
    run): the dead row versions a forget left become unreadable, their space reusable.
    A user who does not own the tables gets the server's warning, not an error."""
    db.outside_transaction(f"VACUUM (INDEX_CLEANUP ON) {', '.join(sorted(tables))}")


# -- the plan ------------------------------------------------------------------------


def _plan(conn: Connection, scope: ForgetScope, *, lock: bool = False) -> ForgetPlan:
    suffix = " FOR UPDATE" if lock else ""
    if scope.ids:
        messages, screenshots = _by_id(conn, scope.ids, suffix)
    else:
        messages = [] if scope.app else _in_range(conn, MESSAGE, scope, suffix)
        screenshots = _in_range(conn, SCREENSHOT, scope, suffix)
    deleted, kept = _memories_of(conn, messages, screenshots)
    apps: dict[str, int] = {}
    if screenshots:
        for row in conn.execute(
            "SELECT coalesce(app, 'unknown') AS app, count(*) AS n FROM screenshots "
            "WHERE id = ANY(%s) GROUP BY 1",
            (screenshots,),
        ):
            apps[str(row["app"])] = int(row["n"])
    return ForgetPlan(tuple(messages), tuple(screenshots), tuple(deleted), tuple(kept), apps)


def _by_id(conn: Connection, ids: Sequence[str], suffix: str) -> tuple[list[str], list[str]]:
    def stored(kind: Kind, item_id: str) -> bool:
        found = conn.execute(f"SELECT 1 FROM {kind.table} WHERE id = %s{suffix}", (item_id,))
        return found.fetchone() is not None

    return sources_named(ids, stored)


def _in_range(conn: Connection, kind: Kind, scope: ForgetScope, suffix: str) -> list[str]:
    where, params = where_sql(kind, Where(since=scope.since, until=scope.until, app=scope.app))
    rows = conn.execute(
        f"SELECT t.id FROM {kind.table} t WHERE {where or 'true'} ORDER BY t.rowid{suffix}", params
    )
    return [str(r["id"]) for r in rows]


def _memories_of(
    conn: Connection, messages: Sequence[str], screenshots: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(memories made only from these sources, memories that have others too)."""
    linked: set[str] = set()
    for kind, ids in (("message", messages), ("screenshot", screenshots)):
        if ids:
            linked |= _ids(
                conn,
                "SELECT memory_id AS id FROM provenance "
                "WHERE source_kind = %s AND source_id = ANY(%s)",
                (kind, list(ids)),
            )
    if not linked:
        return [], []
    sources: dict[str, set[tuple[str, str]]] = {}
    for row in conn.execute(
        "SELECT memory_id, source_kind, source_id FROM provenance WHERE memory_id = ANY(%s)",
        (sorted(linked),),
    ):
        sources.setdefault(row["memory_id"], set()).add((row["source_kind"], row["source_id"]))
    return split_memories(sorted(linked), sources, forgotten(messages, screenshots))


def _ids(conn: Connection, sql: str, params: Sequence[object]) -> set[str]:
    return {str(r["id"]) for r in conn.execute(sql, params)}


# -- the work ------------------------------------------------------------------------


def _drop_memories(conn: Connection, plan: ForgetPlan) -> set[str]:
    """Unlink the forgotten sources; delete the memories made only from them, with
    their history. Returns the tables rows were deleted from."""
    for kind, ids in (("message", plan.messages), ("screenshot", plan.screenshots)):
        if ids:
            conn.execute(
                "DELETE FROM provenance WHERE source_kind = %s AND source_id = ANY(%s)",
                (kind, list(ids)),
            )
    tables = by_table(plan.memories_deleted)
    for table, memory_ids in tables.items():
        conn.execute("DELETE FROM provenance WHERE memory_id = ANY(%s)", (memory_ids,))
        conn.execute("DELETE FROM memory_history WHERE memory_id = ANY(%s)", (memory_ids,))
        conn.execute(f"DELETE FROM {table} WHERE id = ANY(%s)", (memory_ids,))
    return {*tables, "memory_history"} if tables else set()


def _scrub_contexts(conn: Connection, messages: Sequence[str], touched: set[str]) -> int:
    """Take each forgotten message's line out of the contexts its neighbours (and
    the memories made from them) were indexed with, their ``search_tsv`` made
    again. Returns rows rewritten; adds the tables changed to ``touched``."""
    if not messages:
        return 0
    gone = set(messages)
    rewritten = 0
    for row in conn.execute(
        "SELECT speaker, text, session FROM messages WHERE id = ANY(%s)", (list(messages),)
    ).fetchall():
        line = context_line(row["speaker"], row["text"])
        same_session = "session IS NULL" if row["session"] is None else "session = %s"
        params = () if row["session"] is None else (row["session"],)
        neighbours = sorted(
            _ids(
                conn,
                f"SELECT id FROM messages WHERE {same_session} AND strpos(context, %s) > 0",
                (*params, line),
            )
            - gone
        )
        if not neighbours:
            continue
        made = _ids(
            conn,
            "SELECT memory_id AS id FROM provenance WHERE source_kind = 'message' "
            "AND source_id = ANY(%s)",
            (neighbours,),
        )
        for table, ids in {"messages": neighbours, **by_table(sorted(made))}.items():
            changed = _without_line(conn, table, ids, line)
            rewritten += changed
            if changed:
                touched.add(table)
    return rewritten


def _without_line(conn: Connection, table: str, ids: Sequence[str], line: str) -> int:
    rows = conn.execute(
        f"SELECT id, search_text, context FROM {table} "
        "WHERE id = ANY(%s) AND strpos(context, %s) > 0",
        (list(ids), line),
    ).fetchall()
    for row in rows:
        tidy = without_line(row["context"], line)
        conn.execute(
            f"UPDATE {table} SET context = %s, search_tsv = {TSV_SQL} WHERE id = %s",
            (tidy, *tsv_params(row["search_text"], tidy), row["id"]),
        )
    return len(rows)


def _scrub_batches(conn: Connection, sources: set[str]) -> int:
    """Take the forgotten observations out of every batch (done ones too: their
    items hold the text); drop a batch left empty. Returns batches changed."""
    marked = _ids(
        conn,
        "SELECT DISTINCT b.id FROM batches b, jsonb_array_elements(b.items::jsonb) j "
        "WHERE j.value ->> 'source_id' = ANY(%s)",
        (sorted(sources),),
    )
    for batch_id in sorted(marked):
        row = conn.execute(
            "SELECT items FROM batches WHERE id = %s FOR UPDATE", (batch_id,)
        ).fetchone()
        assert row is not None
        items = items_without(row["items"], sources)
        if items:
            conn.execute(
                "UPDATE batches SET items = %s WHERE id = %s",
                (json.dumps(items, ensure_ascii=False), batch_id),
            )
        else:
            conn.execute("DELETE FROM batches WHERE id = %s", (batch_id,))
    return len(marked)


def _image_files(conn: Connection, screenshots: Sequence[str], device: str) -> list[str]:
    """This device's files of ``screenshots``; another device's go on its list."""
    files: list[str] = []
    if not screenshots:
        return files
    now = now_iso()
    for row in conn.execute(
        "SELECT device, image_path, thumb_path FROM screenshots WHERE id = ANY(%s) ORDER BY rowid",
        (list(screenshots),),
    ).fetchall():
        paths = [str(p) for p in (row["image_path"], row["thumb_path"]) if p]
        if row["device"] == device:
            files += paths
        elif row["device"] is not None:
            for path in paths:
                conn.execute(
                    "INSERT INTO forgotten_frames (device, path, forgotten_at) "
                    "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    (row["device"], path, now),
                )
    return files


def _take_left_for(conn: Connection, device: str) -> list[str]:
    rows = conn.execute(
        "DELETE FROM forgotten_frames WHERE device = %s RETURNING path", (device,)
    ).fetchall()
    return sorted(str(r["path"]) for r in rows)
