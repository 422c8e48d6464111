"""What was stored between two times, oldest first: the screenshots (time, app,
window title, text), the chat messages and the episodic memories, for a
timeline built without a model. Only the columns a timeline shows are read (no
embeddings), through the time indexes each table has."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A time range in stored form (see :func:`storage.kinds.parse_time`)."""

    since: str
    until: str


# what -> (table, time column, the columns read; each row's time comes as "at")
READ = {
    "screenshots": ("screenshots", "at", "id, at, app, window_title, ocr_text"),
    "messages": ("messages", "at", "id, at, role, speaker, text, session"),
    "events": ("episodic", "occurred_at", "id, occurred_at AS at, actor, event_type, summary"),
}


def rows_between(conn: sqlite3.Connection, what: str, span: Span, limit: int) -> list[sqlite3.Row]:
    """The first ``limit`` live rows of ``what`` (screenshots, messages or events) in the span."""
    table, at, columns = READ[what]
    return conn.execute(
        f"SELECT {columns} FROM {table} WHERE {at} >= ? AND {at} <= ? AND deleted_at IS NULL "
        f"ORDER BY {at}, rowid LIMIT ?",
        (span.since, span.until, limit),
    ).fetchall()


def counts_between(conn: sqlite3.Connection, span: Span) -> dict[str, int]:
    """How many live rows of each are in the span (a timeline may show the first only)."""
    out: dict[str, int] = {}
    for what, (table, at, _columns) in READ.items():
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE {at} >= ? AND {at} <= ? AND deleted_at IS NULL",
            (span.since, span.until),
        ).fetchone()
        out[what] = int(row[0])
    return out
