"""Raw sources: chat messages and screenshots, stored as they came."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.errors import InvalidInputError
from storage.kinds import MESSAGE, SCREENSHOT, validate_fields
from storage.records import Record
from storage.rows import RowStore, Vector, encode_vector
from storage.screens import (
    FrameImage,
    count_without_chunk_vectors,
    frame_images,
    hourly_activity,
    last_batched_rowid,
    unbatched,
    without_chunk_vectors,
)
from storage.sqlite.db import in_chunks
from storage.sqlite.tables import insert_rows


def context_line(speaker: str | None, text: str) -> str:
    """How a message stands in the index context of the messages around it (and of
    the memories made from them): forgetting it takes this line out of theirs."""
    return f"{speaker}: {text}"


CHAT_PREFIX = "chat:"
"""External id prefix of chat turns: the questions asked of the assistant and its
answers (imported messages have their own ids). Search ranks them below the
observations they ask about (see :class:`storage.search.SearchParams`)."""


@dataclass(frozen=True)
class NewSource:
    """A source to insert: validated field values plus index extras."""

    values: dict[str, Any]
    embedding: Vector | None = None
    context: str = ""


class SourceStore(RowStore):
    def prepare(
        self, values: dict[str, Any], *, embedding: Vector | None = None, context: str = ""
    ) -> NewSource:
        """Validate one source without writing it (raises InvalidInputError)."""
        return NewSource(validate_fields(self.kind, values), embedding, context)

    def insert_many(self, conn: sqlite3.Connection, items: Sequence[NewSource]) -> list[str]:
        """Insert validated sources in bulk (a thousand messages of an import at once)."""
        rows = [
            self.new_row(item.values, embedding=encode_vector(item.embedding), context=item.context)
            for item in items
        ]
        try:
            insert_rows(conn, self.kind.table, rows)
        except sqlite3.IntegrityError as exc:
            raise InvalidInputError(f"Cannot store the {self.kind.name} rows: {exc}.") from exc
        return [row["id"] for row in rows]

    def add(
        self, values: dict[str, Any], *, embedding: Vector | None = None, context: str = ""
    ) -> Record:
        item = self.prepare(values, embedding=embedding, context=context)
        (item_id,) = self.db.write(lambda conn: self.insert_many(conn, [item]))
        return self.get(item_id)

    def existing_external_ids(self, external_ids: Sequence[str]) -> set[str]:
        with self.db.reading() as conn:
            return self.existing_external_ids_in(conn, external_ids)

    def existing_external_ids_in(
        self, conn: sqlite3.Connection, external_ids: Sequence[str]
    ) -> set[str]:
        """The ``external_ids`` stored, read on ``conn``: inside a write, what another
        process stored since the caller last looked is seen too."""
        found: set[str] = set()
        for chunk, marks in in_chunks(external_ids):
            found.update(
                r[0]
                for r in conn.execute(
                    f"SELECT external_id FROM {self.kind.table} WHERE external_id IN ({marks})",
                    chunk,
                )
            )
        return found


class MessageStore(SourceStore):
    def recent(
        self, *, session: str | None = None, external_prefix: str = "", limit: int = 200
    ) -> list[Record]:
        """The last ``limit`` messages (of ``session``, whose external id starts with
        ``external_prefix``), oldest first."""
        where: list[str] = ["deleted_at IS NULL"]
        params: list[object] = []
        if session is not None:
            where.append("session = ?")
            params.append(session)
        if external_prefix:
            where.append("substr(external_id, 1, ?) = ?")
            params.extend([len(external_prefix), external_prefix])
        with self.db.reading() as conn:
            rows = conn.execute(
                f"SELECT * FROM messages WHERE {' AND '.join(where)} "
                "ORDER BY at DESC, rowid DESC LIMIT ?",
                (*params, limit),
            ).fetchall()
            sources = self.sources_for(conn, [r["id"] for r in rows])
        return [self.to_record(r, sources) for r in reversed(rows)]


class ScreenshotStore(SourceStore):
    """Screenshot rows, and the reads the screen pipeline, its batches and the
    screen search need (rows come back as plain dicts)."""

    def activity(self, since: str | None, until: str | None) -> list[tuple[str, str, int]]:
        """(hour "YYYY-MM-DDTHH", app, screenshots kept) in time order."""
        with self.db.reading() as conn:
            return hourly_activity(conn, since, until)

    def frame_images(self, screenshot_ids: Sequence[str]) -> dict[str, FrameImage]:
        """The frames among ``screenshot_ids`` that may be shown (see
        :func:`storage.screens.frame_images`)."""
        with self.db.reading() as conn:
            return frame_images(conn, screenshot_ids)

    def last_kept_on(self, monitor: int) -> dict[str, Any] | None:
        """``at`` and ``image_path`` of the monitor's newest frame whose image is kept."""
        with self.db.reading() as conn:
            row = conn.execute(
                "SELECT at, image_path FROM screenshots WHERE monitor = ? AND deleted_at IS NULL "
                "AND image_path IS NOT NULL ORDER BY at DESC LIMIT 1",
                (monitor,),
            ).fetchone()
        return dict(row) if row is not None else None

    def unbatched(self, after_rowid: int | None, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """Screenshots with their text read that no batch holds yet, oldest first:
        after ``after_rowid``, or (None) after the last one a batch holds. Returns
        the rowid they follow and the rows (each with its ``rowid``)."""
        with self.db.reading() as conn:
            after = last_batched_rowid(conn) if after_rowid is None else after_rowid
            return after, [dict(r) for r in unbatched(conn, after, limit)]

    def count_without_chunk_vectors(self) -> int:
        with self.db.reading() as conn:
            return count_without_chunk_vectors(conn)

    def without_chunk_vectors(self, after_rowid: int, limit: int) -> list[dict[str, Any]]:
        """Live screenshots kept before schema v6 (no chunk embeddings), by rowid."""
        with self.db.reading() as conn:
            return [dict(r) for r in without_chunk_vectors(conn, after_rowid, limit)]

    # -- the frame files' rows (storage.frames.FrameRows) ------------------------------

    def oldest_with_images(self, limit: int) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT id, image_path, thumb_path FROM screenshots "
            "WHERE image_path IS NOT NULL OR thumb_path IS NOT NULL "
            "ORDER BY at, rowid LIMIT ?",
            (limit,),
        )
        return [dict(r) for r in rows]

    def forget_images(self, screenshot_id: str) -> None:
        self.db.write(
            lambda conn: conn.execute(
                "UPDATE screenshots SET image_path = NULL, thumb_path = NULL WHERE id = ?",
                (screenshot_id,),
            )
        )

    def image_counts(self) -> tuple[int, int]:
        with self.db.reading() as conn:
            images, without = conn.execute(
                "SELECT count(image_path), count(*) - count(image_path) FROM screenshots"
            ).fetchone()
        return int(images), int(without)


def message_store(db: Any) -> MessageStore:
    return MessageStore(db, MESSAGE)


def screenshot_store(db: Any) -> ScreenshotStore:
    return ScreenshotStore(db, SCREENSHOT)
