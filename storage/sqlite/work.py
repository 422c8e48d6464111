"""The SQLite engine's unit of work (:class:`storage.interface.UnitOfWork`): the
repositories' writes bound to one transaction of the database's writer, so what
a caller writes together is stored together or not at all."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from storage.batches import BatchStore
from storage.interface import Vector
from storage.memories import MemoryStore, link_sources
from storage.records import SourceRef
from storage.rows import encode_vector
from storage.screens import Box, encode_boxes
from storage.sources import NewSource, SourceStore


class SqliteUnitOfWork:
    """Repositories bound to the connection of one write transaction."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        memories: Mapping[str, MemoryStore],
        messages: SourceStore,
        screenshots: SourceStore,
        batches: BatchStore,
    ) -> None:
        self.messages = BoundSources(conn, messages)
        self.screenshots = BoundScreenshots(conn, screenshots)
        self.batches = BoundBatches(conn, batches)
        self.memories = {name: BoundMemories(conn, store) for name, store in memories.items()}
        self.provenance = BoundProvenance(conn)


class BoundSources:
    def __init__(self, conn: sqlite3.Connection, store: SourceStore) -> None:
        self._conn = conn
        self._store = store

    def existing_external_ids(self, external_ids: Sequence[str]) -> set[str]:
        return self._store.existing_external_ids_in(self._conn, external_ids)

    def insert_many(self, items: Sequence[NewSource]) -> list[str]:
        return self._store.insert_many(self._conn, items)


class BoundScreenshots(BoundSources):
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
        self._store.insert(
            self._conn,
            values,
            item_id=item_id,
            embedding=encode_vector(embedding),
            context=context,
        )
        self._conn.execute(
            "UPDATE screenshots SET chunk_embeddings = ?, image_embedding = ?, "
            "sensitive_boxes = ? WHERE id = ?",
            (
                chunk_embeddings,
                encode_vector(image_embedding),
                encode_boxes(sensitive_boxes),
                item_id,
            ),
        )
        return item_id

    def fill_chunk_embeddings(self, blobs: Sequence[tuple[int, bytes]]) -> None:
        """Set the chunk embeddings of the screenshots (by rowid) that have none."""
        self._conn.executemany(
            "UPDATE screenshots SET chunk_embeddings = ? "
            "WHERE rowid = ? AND chunk_embeddings IS NULL",
            [(blob, rowid) for rowid, blob in blobs],
        )


class BoundBatches:
    def __init__(self, conn: sqlite3.Connection, store: BatchStore) -> None:
        self._conn = conn
        self._store = store

    def enqueue(self, items: Sequence[dict[str, Any]]) -> str:
        return self._store.enqueue_in(self._conn, items)

    def append(self, items: Sequence[dict[str, Any]], *, max_items: int) -> str:
        return self._store.append_in(self._conn, items, max_items=max_items)


class BoundMemories:
    def __init__(self, conn: sqlite3.Connection, store: MemoryStore) -> None:
        self._conn = conn
        self._store = store

    def insert(self, values: dict[str, Any], *, embedding: Vector | None, context: str = "") -> str:
        """Insert a memory whose ``values`` are validated (its first version)."""
        return self._store.insert(
            self._conn, values, embedding=encode_vector(embedding), context=context
        )


class BoundProvenance:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def link(self, memory_id: str, sources: Sequence[SourceRef]) -> None:
        link_sources(self._conn, memory_id, sources)
