"""Forgetting on the SQLite engine (what is forgotten: :mod:`storage.forget`).

Rows go by the tables' triggers with their full-text entries and vectors; the
touched full-text indexes are rewritten (FTS5 ``optimize``: a delete alone
leaves the old terms in older segments) and the free pages overwritten. The
connections run with ``secure_delete`` on, so deleted content is zeroed as it
goes. After the commit the image files go, and :func:`clear_wal` empties the
write-ahead log, which still holds the old pages until a checkpoint. The vector
search graphs saved on disk are dropped by the engine (see
:meth:`storage.sqlite.vectors.VectorIndexes.drop_saved`): a graph keeps a
removed vector's bytes.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

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
from storage.kinds import MESSAGE, SCREENSHOT, Kind
from storage.sources import context_line
from storage.sqlite.db import Database, in_chunks

SCRUB_CHUNK = 64 * 1024**2
"""Bytes of zeros written per row when overwriting the free pages."""


def plan_forget(db: Database, scope: ForgetScope) -> ForgetPlan:
    with db.reading() as conn:
        return _plan(conn, scope)


def forget(db: Database, scope: ForgetScope) -> ForgetReport:
    """Forget what ``scope`` names now (see the module docstring); the report lists
    the image files the caller removes once this returns."""

    def write(conn: sqlite3.Connection) -> ForgetReport:
        plan = _plan(conn, scope)  # again, under the write lock
        report = ForgetReport(plan)
        if not plan.items:
            return report
        report.contexts_rewritten = _scrub_contexts(conn, plan.messages)
        report.batches_changed = _scrub_batches(conn, {*plan.messages, *plan.screenshots})
        touched = _drop_memories(conn, plan)
        report.files = _image_files(conn, plan.screenshots)
        for kind, ids in ((MESSAGE, plan.messages), (SCREENSHOT, plan.screenshots)):
            for chunk, marks in in_chunks(list(ids)):
                conn.execute(f"DELETE FROM {kind.table} WHERE id IN ({marks})", chunk)
        # The full-text indexes that held deleted rows or old contexts (the floor's
        # episodic memories share their messages' contexts).
        tables = touched | ({"messages", "episodic"} if plan.messages else set())
        tables |= {"screenshots"} if plan.screenshots else set()
        for table in sorted(tables):
            conn.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('optimize')")
        _zero_free_pages(conn)
        return report

    report = db.write(write)
    # Also with nothing to forget: running a forget again empties a log that a
    # reader of another process kept busy the first time.
    report.wal_cleared = clear_wal(db.path)
    return report


def clear_wal(path: Path, *, tries: int = 5) -> bool:
    """Copy the write-ahead log into the database and truncate it to nothing (it
    keeps old pages, deleted text included, until then). False when a reader of
    another process held an old snapshot every time."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 2000")
        for attempt in range(tries):
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if busy == 0:
                return True
            time.sleep(0.1 * (attempt + 1))
        return False
    finally:
        conn.close()


# -- the plan ------------------------------------------------------------------------


def _plan(conn: sqlite3.Connection, scope: ForgetScope) -> ForgetPlan:
    if scope.ids:
        messages, screenshots = _by_id(conn, scope.ids)
    else:
        messages = [] if scope.app else _in_range(conn, "messages", scope)
        screenshots = _in_range(conn, "screenshots", scope)
    deleted, kept = _memories_of(conn, messages, screenshots)
    apps: dict[str, int] = {}
    for chunk, marks in in_chunks(screenshots):
        for app, count in conn.execute(
            f"SELECT coalesce(app, 'unknown'), count(*) FROM screenshots WHERE id IN ({marks}) "
            "GROUP BY 1",
            chunk,
        ):
            apps[str(app)] = apps.get(str(app), 0) + int(count)
    return ForgetPlan(tuple(messages), tuple(screenshots), deleted, kept, apps)


def _by_id(conn: sqlite3.Connection, ids: Sequence[str]) -> tuple[list[str], list[str]]:
    def stored(kind: Kind, item_id: str) -> bool:
        found = conn.execute(f"SELECT 1 FROM {kind.table} WHERE id = ?", (item_id,))
        return found.fetchone() is not None

    return sources_named(ids, stored)


def _in_range(conn: sqlite3.Connection, table: str, scope: ForgetScope) -> list[str]:
    clauses: list[str] = []
    params: list[object] = []
    if scope.since is not None:
        clauses.append("at >= ?")
        params.append(scope.since)
    if scope.until is not None:
        clauses.append("at <= ?")
        params.append(scope.until)
    if scope.app:
        clauses.append("instr(lower(coalesce(app, '')), ?) > 0")
        params.append(scope.app.lower())
    where = " AND ".join(clauses) or "1"
    return [str(r[0]) for r in conn.execute(f"SELECT id FROM {table} WHERE {where}", params)]


def _memories_of(
    conn: sqlite3.Connection, messages: Sequence[str], screenshots: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(memories made only from these sources, memories that have others too)."""
    linked: set[str] = set()
    for kind, ids in (("message", messages), ("screenshot", screenshots)):
        linked |= _first_column(
            conn,
            "SELECT memory_id FROM provenance WHERE source_kind = ? AND source_id IN ({marks})",
            ids,
            kind,
        )
    deleted: list[str] = []
    kept: list[str] = []
    gone = forgotten(messages, screenshots)
    for chunk, marks in in_chunks(sorted(linked)):
        sources: dict[str, set[tuple[str, str]]] = {}
        for memory_id, kind, source_id in conn.execute(
            "SELECT memory_id, source_kind, source_id FROM provenance "
            f"WHERE memory_id IN ({marks})",
            chunk,
        ):
            sources.setdefault(str(memory_id), set()).add((str(kind), str(source_id)))
        chunk_deleted, chunk_kept = split_memories(chunk, sources, gone)
        deleted += chunk_deleted
        kept += chunk_kept
    return tuple(deleted), tuple(kept)


# -- the work ------------------------------------------------------------------------


def _drop_memories(conn: sqlite3.Connection, plan: ForgetPlan) -> set[str]:
    """Unlink the forgotten sources; delete the memories made only from them, with
    their history. Returns the tables rows were deleted from."""
    for kind, ids in (("message", plan.messages), ("screenshot", plan.screenshots)):
        for chunk, marks in in_chunks(list(ids)):
            conn.execute(
                f"DELETE FROM provenance WHERE source_kind = ? AND source_id IN ({marks})",
                (kind, *chunk),
            )
    tables = by_table(plan.memories_deleted)
    for table, memory_ids in tables.items():
        for chunk, marks in in_chunks(memory_ids):
            conn.execute(f"DELETE FROM provenance WHERE memory_id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM memory_history WHERE memory_id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM {table} WHERE id IN ({marks})", chunk)
    return set(tables)


def _scrub_contexts(conn: sqlite3.Connection, messages: Sequence[str]) -> int:
    """Take each forgotten message's line out of the contexts its neighbours (and
    the memories made from them) were indexed with. Returns rows rewritten."""
    gone = set(messages)
    rewritten = 0
    for chunk, marks in in_chunks(list(messages)):
        rows = conn.execute(
            f"SELECT speaker, text, session FROM messages WHERE id IN ({marks})", chunk
        ).fetchall()
        for speaker, text, session in rows:
            line = context_line(speaker, text)
            neighbours = [
                str(r[0])
                for r in conn.execute(
                    "SELECT id FROM messages WHERE session IS ? AND instr(context, ?) > 0",
                    (session, line),
                )
                if str(r[0]) not in gone
            ]
            rewritten += _without_line(conn, "messages", neighbours, line)
            made = _first_column(
                conn,
                "SELECT memory_id FROM provenance WHERE source_kind = 'message' "
                "AND source_id IN ({marks})",
                neighbours,
            )
            for table, ids in by_table(sorted(made)).items():
                rewritten += _without_line(conn, table, ids, line)
    return rewritten


def _without_line(conn: sqlite3.Connection, table: str, ids: Sequence[str], line: str) -> int:
    changed = 0
    for chunk, marks in in_chunks(list(ids)):
        for item_id, context in conn.execute(
            f"SELECT id, context FROM {table} WHERE id IN ({marks}) AND instr(context, ?) > 0",
            (*chunk, line),
        ).fetchall():
            tidy = without_line(str(context), line)
            conn.execute(f"UPDATE {table} SET context = ? WHERE id = ?", (tidy, item_id))
            changed += 1
    return changed


def _scrub_batches(conn: sqlite3.Connection, sources: set[str]) -> int:
    """Take the forgotten observations out of every batch (done ones too: their
    items hold the text); drop a batch left empty. Returns batches changed."""
    if not sources:
        return 0
    changed = 0
    marked = _first_column(
        conn,
        "SELECT DISTINCT b.id FROM batches b, json_each(b.items) j "
        "WHERE json_extract(j.value, '$.source_id') IN ({marks})",
        sorted(sources),
    )
    for batch_id in sorted(marked):
        (raw,) = conn.execute("SELECT items FROM batches WHERE id = ?", (batch_id,)).fetchone()
        items = items_without(raw, sources)
        if items:
            conn.execute(
                "UPDATE batches SET items = ? WHERE id = ?",
                (json.dumps(items, ensure_ascii=False), batch_id),
            )
        else:
            conn.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
        changed += 1
    return changed


def _first_column(
    conn: sqlite3.Connection, sql: str, values: Sequence[str], *before: object
) -> set[str]:
    """The first column of ``sql`` over ``values`` in chunks (``{marks}`` is their
    placeholders; ``before`` are the parameters that come first)."""
    out: set[str] = set()
    for chunk, marks in in_chunks(list(values)):
        out.update(str(r[0]) for r in conn.execute(sql.format(marks=marks), (*before, *chunk)))
    return out


def _image_files(conn: sqlite3.Connection, screenshots: Sequence[str]) -> list[str]:
    files: list[str] = []
    for chunk, marks in in_chunks(list(screenshots)):
        for image, thumb in conn.execute(
            f"SELECT image_path, thumb_path FROM screenshots WHERE id IN ({marks})", chunk
        ):
            files.extend(str(p) for p in (image, thumb) if p)
    return files


def _zero_free_pages(conn: sqlite3.Connection) -> None:
    """Overwrite the database's free pages with zeros: pages freed before
    ``secure_delete`` was on (a database made by an older version) may still hold
    deleted text. Zeros fill them as one scratch table, dropped again."""
    free = int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    if not free:
        return
    size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    conn.execute("CREATE TABLE forget_scrub (zeros BLOB)")
    remaining = free * size
    while remaining > 0:
        step = min(remaining, SCRUB_CHUNK)
        conn.execute("INSERT INTO forget_scrub VALUES (zeroblob(?))", (step,))
        remaining -= step
    conn.execute("DROP TABLE forget_scrub")
