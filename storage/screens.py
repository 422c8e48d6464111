"""Screenshot queries the screen search and the screen pipeline need: keyword
ranking with time and app filters, CLIP image vectors, hourly activity, which
screenshots still wait for a batch, the boxes of sensitive text on a frame, and
the embeddings of the chunks of a screen's text."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from storage.fts import TermBudget, query_terms
from storage.sqlite.db import in_chunks


@dataclass(frozen=True, kw_only=True)
class ScreenFilter:
    since: str | None = None
    until: str | None = None
    app: str | None = None
    """Case-insensitive part of the application name."""

    def where(self, alias: str = "t") -> tuple[str, list[object]]:
        clauses = [f"{alias}.deleted_at IS NULL"]
        params: list[object] = []
        if self.since is not None:
            clauses.append(f"{alias}.at >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append(f"{alias}.at <= ?")
            params.append(self.until)
        if self.app:
            clauses.append(f"instr(lower(coalesce({alias}.app, '')), ?) > 0")
            params.append(self.app.lower())
        return " AND ".join(clauses), params


_budget = TermBudget()


def text_ranking(
    conn: sqlite3.Connection, text: str, where: ScreenFilter, depth: int
) -> list[tuple[int, float]]:
    """(rowid, BM25 score, higher is better) of the best screenshots by their app,
    window title and OCR text, best first."""
    expression = _budget.plan(conn, "screenshots", query_terms(text)).expression()
    if expression is None:
        return []
    clause, params = where.where()
    rows = conn.execute(
        f"""SELECT f.rowid, bm25(screenshots_fts, 1.0, 0.5) AS rank
            FROM screenshots_fts f CROSS JOIN screenshots t ON t.rowid = f.rowid
            WHERE screenshots_fts MATCH ? AND {clause}
            ORDER BY rank LIMIT ?""",
        (expression, *params, depth),
    ).fetchall()
    return [(int(r[0]), -float(r[1])) for r in rows]


def filtered_rowids(
    conn: sqlite3.Connection, where: ScreenFilter, rowids: Sequence[int]
) -> set[int]:
    """Those of ``rowids`` that pass the filter (looked up by rowid: no scan of
    the whole table for an app filter)."""
    clause, params = where.where()
    out: set[int] = set()
    for chunk, marks in in_chunks(sorted(set(rowids))):
        out.update(
            int(r[0])
            for r in conn.execute(
                f"SELECT rowid FROM screenshots t WHERE rowid IN ({marks}) AND {clause}",
                (*chunk, *params),
            )
        )
    return out


def rowids_within(conn: sqlite3.Connection, where: ScreenFilter, limit: int) -> list[int] | None:
    """The rowids of every screenshot that passes the filter, or None when more
    than ``limit`` do. An app filter first finds the app names it matches, then
    seeks them in the ``screenshots_app`` index: no scan of the table (about 5 ms
    at 100,000 screenshots)."""
    clause, params = where.where()
    if where.app:
        needle = where.app.lower()
        apps = [
            str(r[0])
            for r in conn.execute("SELECT DISTINCT app FROM screenshots WHERE app IS NOT NULL")
            if needle in str(r[0]).lower()
        ]
        if not apps:
            return []
        clause += f" AND t.app IN ({','.join('?' * len(apps))})"
        params = [*params, *apps]
    rows = conn.execute(
        f"SELECT rowid FROM screenshots t WHERE {clause} LIMIT ?", (*params, limit + 1)
    ).fetchall()
    if len(rows) > limit:
        return None
    return [int(r[0]) for r in rows]


def image_vectors(
    conn: sqlite3.Connection, where: ScreenFilter
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(rowids, matrix) of the CLIP image embeddings that pass the filter."""
    clause, params = where.where()
    rows = conn.execute(
        f"SELECT rowid, image_embedding FROM screenshots t "
        f"WHERE image_embedding IS NOT NULL AND {clause} ORDER BY rowid",
        params,
    ).fetchall()
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    dim = len(rows[0][1]) // 4
    keep = [r for r in rows if len(r[1]) == dim * 4]
    matrix = np.frombuffer(b"".join(r[1] for r in keep), dtype=np.float32).reshape(len(keep), dim)
    return np.array([r[0] for r in keep], dtype=np.int64), matrix


def encode_chunk_vectors(matrix: npt.NDArray[np.float32]) -> bytes:
    """A screen's chunk embeddings (rows, normalised by the embedder) as float16
    bytes: half the room, and search compares at far coarser steps than that."""
    rows = np.asarray(matrix, dtype=np.float32)
    if rows.ndim != 2 or rows.shape[0] == 0 or not np.all(np.isfinite(rows)):
        raise ValueError("chunk embeddings must be a non-empty finite matrix")
    return rows.astype("<f2").tobytes()


def chunk_vectors(
    conn: sqlite3.Connection, rowids: Sequence[int], dim: int
) -> dict[int, npt.NDArray[np.float32]]:
    """rowid -> (chunks, dim) float32 matrix, for the screenshots among ``rowids``
    that have chunk embeddings of width ``dim`` (others, e.g. kept before
    schema v6 or by another embedder, are left out)."""
    out: dict[int, npt.NDArray[np.float32]] = {}
    for chunk, marks in in_chunks(sorted(set(rowids))):
        for rowid, blob in conn.execute(
            f"SELECT rowid, chunk_embeddings FROM screenshots "
            f"WHERE chunk_embeddings IS NOT NULL AND rowid IN ({marks})",
            chunk,
        ):
            if dim > 0 and len(blob) % (2 * dim) == 0 and blob:
                rows = np.frombuffer(blob, dtype="<f2").reshape(-1, dim)
                out[int(rowid)] = rows.astype(np.float32)
    return out


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


def rows_by_rowid(conn: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, sqlite3.Row]:
    out: dict[int, sqlite3.Row] = {}
    unique = sorted(set(rowids))
    for chunk, marks in in_chunks(unique):
        for r in conn.execute(f"SELECT * FROM screenshots WHERE rowid IN ({marks})", chunk):
            out[int(r["rowid"])] = r
    return out


def hourly_activity(
    conn: sqlite3.Connection, since: str | None, until: str | None
) -> list[tuple[str, str, int]]:
    """(hour "YYYY-MM-DDTHH", app, screenshots kept) in time order."""
    clause, params = ScreenFilter(since=since, until=until).where()
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


def term_coverage(conn: sqlite3.Connection, text: str, rowids: Sequence[int]) -> dict[int, float]:
    """For each screenshot in ``rowids``: the share of the query's weight (the IDF
    of each of its words, words no screenshot holds counting the most) that the
    screenshot matches. A page matching one side word of a question scores low."""
    terms = query_terms(text)
    if not terms or not rowids:
        return {}
    total = int(conn.execute("SELECT count(*) FROM screenshots").fetchone()[0])
    marks = ",".join("?" * len(rowids))
    weights: dict[str, float] = {}
    holders: dict[str, set[int]] = {}
    for term in terms:
        quoted = '"' + term.replace('"', '""') + '"'
        count = int(
            conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM screenshots_fts WHERE screenshots_fts "
                "MATCH ? LIMIT 10000)",
                (quoted,),
            ).fetchone()[0]
        )
        weights[term] = float(np.log(1.0 + (total - count + 0.5) / (count + 0.5)))
        holders[term] = {
            int(r[0])
            for r in conn.execute(
                f"SELECT rowid FROM screenshots_fts WHERE screenshots_fts MATCH ? "
                f"AND rowid IN ({marks})",
                (quoted, *rowids),
            )
        }
    mass = sum(weights.values()) or 1.0
    return {
        rowid: sum(w for t, w in weights.items() if rowid in holders[t]) / mass for rowid in rowids
    }


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


def set_sensitive_boxes(conn: sqlite3.Connection, screenshot_id: str, boxes: Sequence[Box]) -> None:
    conn.execute(
        "UPDATE screenshots SET sensitive_boxes = ? WHERE id = ?",
        (encode_boxes(boxes), screenshot_id),
    )


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
