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


def screens_between(conn: sqlite3.Connection, span: Span, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT id, at, app, window_title, ocr_text FROM screenshots "
        "WHERE at >= ? AND at <= ? AND deleted_at IS NULL ORDER BY at, rowid LIMIT ?",
        (span.since, span.until, limit),
    ).fetchall()


def messages_between(conn: sqlite3.Connection, span: Span, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT id, at, role, speaker, text, session FROM messages "
        "WHERE at >= ? AND at <= ? AND deleted_at IS NULL ORDER BY at, rowid LIMIT ?",
        (span.since, span.until, limit),
    ).fetchall()


def events_between(conn: sqlite3.Connection, span: Span, limit: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT id, occurred_at AS at, actor, event_type, summary FROM episodic "
        "WHERE occurred_at >= ? AND occurred_at <= ? AND deleted_at IS NULL "
        "ORDER BY occurred_at, rowid LIMIT ?",
        (span.since, span.until, limit),
    ).fetchall()


def counts_between(conn: sqlite3.Connection, span: Span) -> dict[str, int]:
    """How many of each are in the range (a timeline may show only the first ones)."""
    out: dict[str, int] = {}
    for name, table, column in (
        ("screenshots", "screenshots", "at"),
        ("messages", "messages", "at"),
        ("events", "episodic", "occurred_at"),
    ):
        row = conn.execute(
            f"SELECT count(*) FROM {table} WHERE {column} >= ? AND {column} <= ? "
            "AND deleted_at IS NULL",
            (span.since, span.until),
        ).fetchone()
        out[name] = int(row[0])
    return out
