"""Core memory: two blocks, ``persona`` and ``human``, each a few lines of text
under a character limit, edited by line (append, replace, rewrite).

The blocks exist from the start with fixed ids (``core_persona``,
``core_human``); every edit goes through :class:`MemoryStore.update`, so it is
versioned like any other memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from storage.errors import InvalidInputError, NotFoundError
from storage.kinds import CORE, DEFAULT_CORE_LIMIT, validate_fields
from storage.memories import MemoryStore
from storage.records import Record, SourceRef
from storage.rows import Vector, encode_vector

BLOCK_LABELS = ("persona", "human")


def block_id(label: str) -> str:
    return f"core_{label}"


class BlockEdits:
    """Line edits of the two blocks, on any engine's core repository (each edit is
    one :meth:`update`, so one new version); no third block is ever added."""

    if TYPE_CHECKING:

        def get(self, item_id: str) -> Record: ...

        def update(
            self,
            item_id: str,
            changes: dict[str, Any],
            *,
            embedding: Vector | None = None,
            sources: Sequence[SourceRef] = (),
            by: str | None = None,
        ) -> Record: ...

    def add(self, values: dict[str, Any], **_: Any) -> Record:
        raise InvalidInputError(
            "Core memory has two fixed blocks (core_persona, core_human); edit them instead."
        )

    def block(self, label: str) -> Record:
        if label not in BLOCK_LABELS:
            raise NotFoundError(f"No core block {label!r}; blocks are persona and human.")
        return self.get(block_id(label))

    def lines(self, label: str) -> list[str]:
        text = str(self.block(label).fields["text"] or "")
        return text.split("\n") if text else []

    def append(self, label: str, line: str) -> Record:
        return self.rewrite(label, "\n".join([*self.lines(label), line]))

    def replace_line(self, label: str, number: int, line: str) -> Record:
        """Replace line ``number`` (1-based); an empty ``line`` removes it."""
        lines = self.lines(label)
        if not 1 <= number <= len(lines):
            raise InvalidInputError(
                f"Block {label} has {len(lines)} line(s); there is no line {number}."
            )
        if line:
            lines[number - 1] = line
        else:
            del lines[number - 1]
        return self.rewrite(label, "\n".join(lines))

    def rewrite(self, label: str, text: str) -> Record:
        return self.update(self.block(label).id, {"text": text})


class CoreStore(BlockEdits, MemoryStore):
    def ensure_blocks(self, limit: int = DEFAULT_CORE_LIMIT) -> None:
        def write(conn: sqlite3.Connection) -> None:
            for label in BLOCK_LABELS:
                exists = conn.execute("SELECT 1 FROM core WHERE label = ?", (label,)).fetchone()
                if exists is None:
                    values = validate_fields(
                        CORE, {"label": label, "text": "", "char_limit": limit}
                    )
                    self.insert(conn, values, item_id=block_id(label))

        # Only a new database needs the write lock: opening one for a read-only
        # command must not wait on (or fail behind) another process's write.
        with self.db.reading() as conn:
            found = conn.execute("SELECT count(*) FROM core WHERE label IN ('persona', 'human')")
            if found.fetchone()[0] == len(BLOCK_LABELS):
                return
        self.db.write(write)

    def set_embedding(self, item_id: str, vector: Any) -> None:
        """Store a block's vector without a new version (it is derived data)."""
        blob = encode_vector(vector)
        self.db.write(
            lambda conn: conn.execute("UPDATE core SET embedding = ? WHERE id = ?", (blob, item_id))
        )

    def _check_update(self, row: sqlite3.Row, stored: dict[str, Any]) -> None:
        if "label" in stored and stored["label"] != row["label"]:
            raise InvalidInputError("A core block's label cannot change.")
        limit = stored.get("char_limit") or row["char_limit"]
        text = stored.get("text", row["text"]) or ""
        if len(text) > limit:
            raise InvalidInputError(
                f"Block {row['label']} would hold {len(text):,} characters; "
                f"its limit is {limit:,}. Rewrite it shorter."
            )
