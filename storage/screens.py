"""Screenshot queries the screen pipeline needs: hourly activity, which
screenshots still wait for a batch, the boxes of sensitive text on a frame, and
the embeddings of the chunks of a screen's text."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from storage.sqlite.db import in_chunks


def encode_chunk_vectors(matrix: npt.NDArray[np.float32]) -> bytes:
    """A screen's chunk embeddings (rows, normalised by the embedder) as float16
    bytes: half the room, and search compares at far coarser steps than that."""
    rows = np.asarray(matrix, dtype=np.float32)
    if rows.ndim != 2 or rows.shape[0] == 0 or not np.all(np.isfinite(rows)):
        raise ValueError("chunk embeddings must be a non-empty finite matrix")
    return rows.astype("<f2").tobytes()


def without_chunk_vectors(
    conn: sqlite3.Connection, after_rowid: int, limit: int
) -> list[sqlite3.Row]:
    """Live screenshots kept before schema v6 (no chunk embeddings), by rowid:
    ``rowid, app, window_title, ocr_text``."""
    return conn.execute(
        "SELECT rowid, app, window_title, ocr_text FROM screenshots "
        "WHERE chunk_embeddings IS NULL AND deleted_at IS NULL AND rowid > ? "
        "ORDER BY rowid LIMIT ?",
        (after_rowid, limit),
    ).fetchall()


def count_without_chunk_vectors(conn: sqlite3.Connection) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM screenshots WHERE chunk_embeddings IS NULL AND deleted_at IS NULL"
        ).fetchone()[0]
    )


def hourly_activity(
    conn: sqlite3.Connection, since: str | None, until: str | None
) -> list[tuple[str, str, int]]:
    """(hour "YYYY-MM-DDTHH", app, screenshots kept) in time order."""
    clauses = ["t.deleted_at IS NULL"]
    params: list[object] = []
    for bound, op in ((since, ">="), (until, "<=")):
        if bound is not None:
            clauses.append(f"t.at {op} ?")
            params.append(bound)
    clause = " AND ".join(clauses)
    rows = conn.execute(
        f"""SELECT substr(t.at, 1, 13) AS hour, coalesce(t.app, 'unknown') AS app, count(*)
            FROM screenshots t WHERE {clause} GROUP BY hour, app ORDER BY hour, app""",
        params,
    ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def last_batched_rowid(conn: sqlite3.Connection) -> int:
    """The highest screenshot rowid that some batch already holds (0 if none)."""
    row = conn.execute(
        """SELECT max(s.rowid) FROM batches b, json_each(b.items) j
           JOIN screenshots s ON s.id = json_extract(j.value, '$.source_id')
           WHERE json_extract(j.value, '$.kind') = 'screenshot'"""
    ).fetchone()
    return int(row[0] or 0)


def unbatched(conn: sqlite3.Connection, after_rowid: int, limit: int) -> list[sqlite3.Row]:
    """Screenshots with their text read (embedding set) after ``after_rowid``, oldest first."""
    return conn.execute(
        "SELECT * FROM screenshots WHERE rowid > ? AND embedding IS NOT NULL "
        "AND deleted_at IS NULL ORDER BY rowid LIMIT ?",
        (after_rowid, limit),
    ).fetchall()


Box = tuple[int, int, int, int]
"""(left, top, right, bottom) in the frame's pixels."""


def encode_boxes(boxes: Sequence[Box]) -> str:
    """The ``sensitive_boxes`` column's form: a JSON list of [left, top, right, bottom]."""
    return json.dumps([[int(v) for v in box] for box in boxes])


def decode_boxes(stored: object) -> list[Box] | None:
    """The boxes of a ``sensitive_boxes`` value; None when it is NULL (not known) or
    not a list of four-integer boxes (an imported or damaged value): a caller must
    then treat the whole frame as unsafe to show."""
    if not isinstance(stored, str):
        return None
    try:
        raw = json.loads(stored)
    except ValueError:
        return None
    if not isinstance(raw, list):
        return None
    boxes: list[Box] = []
    for box in raw:
        if not (
            isinstance(box, list)
            and len(box) == 4
            and all(isinstance(v, int) and not isinstance(v, bool) for v in box)
        ):
            return None
        boxes.append((box[0], box[1], box[2], box[3]))
    return boxes


@dataclass(frozen=True)
class FrameImage:
    """What it takes to show a kept frame to someone else: its image file and the
    boxes to black out first."""

    id: str
    image_path: str
    width: int | None
    height: int | None
    sensitive_boxes: list[Box]


def frame_images(conn: sqlite3.Connection, screenshot_ids: Sequence[str]) -> dict[str, FrameImage]:
    """The frames among ``screenshot_ids`` that may be shown: not deleted, image file
    still kept (not removed for the storage budget) and sensitive boxes known."""
    found: dict[str, FrameImage] = {}
    unique = sorted(set(screenshot_ids))
    for chunk, marks in in_chunks(unique):
        for row in conn.execute(
            f"SELECT id, image_path, width, height, sensitive_boxes FROM screenshots "
            f"WHERE id IN ({marks}) AND deleted_at IS NULL AND image_path IS NOT NULL",
            chunk,
        ):
            boxes = decode_boxes(row["sensitive_boxes"])
            if boxes is not None:
                found[str(row["id"])] = FrameImage(
                    str(row["id"]), str(row["image_path"]), row["width"], row["height"], boxes
                )
    return found
