"""storage/screens.py: the sensitive boxes of a frame, which frames may be shown, and
the chunk embeddings of a screen's text."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from storage import Storage
from storage.interface import Where
from storage.kinds import SCREENSHOT
from storage.screens import (
    decode_boxes,
    encode_boxes,
    encode_chunk_vectors,
    frame_images,
    set_sensitive_boxes,
)
from storage.sqlite.search import SqliteSearchSession, rowids_within


def test_boxes_round_trip_and_anything_else_reads_as_unknown() -> None:
    boxes = [(1, 2, 30, 40), (0, 0, 5, 5)]
    assert decode_boxes(encode_boxes(boxes)) == boxes
    assert decode_boxes(encode_boxes([])) == []


@pytest.mark.parametrize(
    "stored",
    [None, 7, "", "not json", "{}", "[[1, 2, 3]]", '[[1, 2, 3, "4"]]', "[[1, 2, 3, true]]"],
)
def test_a_missing_or_malformed_value_is_unknown(stored: object) -> None:
    assert decode_boxes(stored) is None


def shot(storage: Storage, name: str, *, image: bool = True) -> str:
    values = {"at": "2024-05-01T09:00:00Z", "app": "editor", "ocr_text": name}
    if image:
        values["image_path"] = f"frames/2024-05-01/{name}.webp"
    return storage.screenshots.add(values).id


def test_only_frames_with_an_image_known_boxes_and_not_deleted_may_be_shown(
    storage: Storage,
) -> None:
    ok, unknown, evicted, deleted = (
        shot(storage, "ok"),
        shot(storage, "unknown"),
        shot(storage, "evicted", image=False),
        shot(storage, "deleted"),
    )

    def mark(conn: sqlite3.Connection) -> None:
        for item in (ok, evicted, deleted):
            set_sensitive_boxes(conn, item, [(1, 2, 3, 4)])
        conn.execute(
            "UPDATE screenshots SET deleted_at = '2024-05-02T00:00:00Z' WHERE id = ?", (deleted,)
        )

    storage._db.write(mark)
    with storage._db.reading() as conn:
        found = frame_images(conn, [ok, unknown, evicted, deleted, "scr_missing", ok])
    assert list(found) == [ok]
    assert found[ok].image_path == "frames/2024-05-01/ok.webp"
    assert found[ok].sensitive_boxes == [(1, 2, 3, 4)]


def test_chunk_vectors_come_back_as_float32_rows_and_others_are_left_out(
    storage: Storage,
) -> None:
    rng = np.random.default_rng(7)
    rows = rng.standard_normal((3, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    ok, narrow, none = shot(storage, "ok"), shot(storage, "narrow"), shot(storage, "none")

    def store(conn: sqlite3.Connection) -> None:
        for item, matrix in ((ok, rows), (narrow, rows[:, :3])):
            conn.execute(
                "UPDATE screenshots SET chunk_embeddings = ? WHERE id = ?",
                (encode_chunk_vectors(matrix), item),
            )

    storage._db.write(store)
    with storage._db.reading() as conn:
        rowids = dict(conn.execute("SELECT id, rowid FROM screenshots"))
        session = SqliteSearchSession(storage.search._backend, conn)  # type: ignore[arg-type]
        found = session.chunk_vectors(
            SCREENSHOT, [rowids[ok], rowids[narrow], rowids[none], 999], dim=8
        )
    assert list(found) == [rowids[ok]]  # 3 x 3 values do not make rows of 8; NULL: none
    assert found[rowids[ok]].dtype == np.float32
    assert found[rowids[ok]].shape == (3, 8)
    np.testing.assert_allclose(found[rowids[ok]], rows, atol=1e-3)  # stored as float16


@pytest.mark.parametrize(
    "matrix",
    [np.zeros((0, 8)), np.zeros(8), np.full((2, 8), np.nan)],
    ids=["no rows", "not a matrix", "not finite"],
)
def test_a_bad_chunk_matrix_is_refused(matrix: np.ndarray) -> None:
    with pytest.raises(ValueError, match="chunk embeddings"):
        encode_chunk_vectors(matrix)


def test_the_frames_of_an_app_are_listed_up_to_a_limit(storage: Storage) -> None:
    def add(app: str | None, at: str) -> int:
        item = storage.screenshots.add({"at": at, "app": app, "ocr_text": "x"}).id
        with storage._db.reading() as conn:
            return int(
                conn.execute("SELECT rowid FROM screenshots WHERE id = ?", (item,)).fetchone()[0]
            )

    code = [add("Code", f"2024-05-0{d}T09:00:00Z") for d in (1, 2, 3)]
    vscode = add("VSCode - Insiders", "2024-05-04T09:00:00Z")
    add("Firefox", "2024-05-02T09:00:00Z")
    add(None, "2024-05-02T09:00:00Z")
    gone = add("Code", "2024-05-05T09:00:00Z")

    def forget(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE screenshots SET deleted_at = at WHERE rowid = ?", (gone,))

    storage._db.write(forget)
    conn = storage._db.read()

    def within(limit: int = 100, **where: str) -> list[int] | None:
        found = rowids_within(conn, SCREENSHOT, Where(**where), limit)
        return None if found is None else sorted(found)

    assert within(app="code") == [*code, vscode]  # a part of the name, any case; not deleted
    assert within(app="code", since="2024-05-02T00:00:00Z", until="2024-05-04T00:00:00Z") == [
        code[1],
        code[2],
    ]
    assert within(app="nothing such") == []
    assert within(app="code", limit=3) is None  # more than the limit: not listed
    assert within(app="code", limit=4) == [*code, vscode]
