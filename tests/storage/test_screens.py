"""storage/screens.py: the sensitive boxes of a frame, which frames may be shown, and
the chunk embeddings of a screen's text."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from storage import Storage
from storage.interface import UnitOfWork, Where
from storage.kinds import SCREENSHOT, validate_fields
from storage.rows import new_id
from storage.screens import decode_boxes, encode_boxes, encode_chunk_vectors
from storage.sqlite.search import rowids_within
from tests.fakes import FakeEmbedder
from tests.storage.conftest import rowids, searching, write_sql

EMB = FakeEmbedder()


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
    """A frame stored as the screen pipeline stores it (no sensitive boxes known:
    a row from before they were recorded)."""
    values = {"at": "2024-05-01T09:00:00Z", "app": "editor", "ocr_text": name}
    if image:
        values["image_path"] = f"frames/2024-05-01/{name}.webp"
    return storage.screenshots.add(values).id


def kept_frame(storage: Storage, name: str, *, image: bool = True) -> str:
    """A frame kept by the screen pipeline: its row, vectors and sensitive boxes in
    one unit of work; ``image`` False: its image file was removed for the budget."""
    values = {"at": "2024-05-01T09:00:00Z", "app": "editor", "ocr_text": name}
    if image:
        values["image_path"] = f"frames/2024-05-01/{name}.webp"
    vector = EMB.vector(name)

    def keep(work: UnitOfWork) -> str:
        return work.screenshots.insert_frame(
            validate_fields(SCREENSHOT, values),
            item_id=new_id(SCREENSHOT),
            embedding=vector,
            context="",
            chunk_embeddings=encode_chunk_vectors(vector[np.newaxis, :]),
            image_embedding=None,
            sensitive_boxes=[(1, 2, 3, 4)],
        )

    return storage.transaction(keep)


def test_only_frames_with_an_image_known_boxes_and_not_deleted_may_be_shown(
    storage: Storage,
) -> None:
    ok, unknown, evicted, deleted = (
        kept_frame(storage, "ok"),
        shot(storage, "unknown"),
        kept_frame(storage, "evicted", image=False),
        kept_frame(storage, "deleted"),
    )
    # No call deletes a screenshot softly, but an imported export may hold one.
    write_sql(storage, f"UPDATE screenshots SET deleted_at = at WHERE id = '{deleted}'")
    found = storage.screenshots.frame_images([ok, unknown, evicted, deleted, "scr_missing", ok])
    assert list(found) == [ok]
    assert found[ok].image_path == "frames/2024-05-01/ok.webp"
    assert found[ok].sensitive_boxes == [(1, 2, 3, 4)]


def test_chunk_vectors_come_back_as_float32_rows_and_others_are_left_out(
    storage: Storage,
) -> None:
    rng = np.random.default_rng(7)
    rows = rng.standard_normal((3, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    for name in ("ok", "narrow", "none"):
        shot(storage, name)
    rowids = {r["ocr_text"]: r["rowid"] for r in storage.screenshots.without_chunk_vectors(0, 9)}
    assert storage.screenshots.count_without_chunk_vectors() == 3
    blobs = [(rowids["ok"], encode_chunk_vectors(rows))]
    blobs.append((rowids["narrow"], encode_chunk_vectors(rows[:, :3])))
    storage.transaction(lambda work: work.screenshots.fill_chunk_embeddings(blobs))
    # A row that has them keeps them.
    storage.transaction(
        lambda work: work.screenshots.fill_chunk_embeddings(
            [(rowids["ok"], encode_chunk_vectors(rows[:1]))]
        )
    )
    assert storage.screenshots.count_without_chunk_vectors() == 1
    with searching(storage) as s:
        found = s.chunk_vectors(
            SCREENSHOT, [rowids["ok"], rowids["narrow"], rowids["none"], 999], dim=8
        )
    assert list(found) == [rowids["ok"]]  # 3 x 3 values do not make rows of 8; NULL: none
    assert found[rowids["ok"]].dtype == np.float32
    assert found[rowids["ok"]].shape == (3, 8)
    np.testing.assert_allclose(found[rowids["ok"]], rows, atol=1e-3)  # stored as float16


def test_a_frame_kept_in_one_unit_of_work_is_ranked_by_chunks_and_image(
    storage: Storage,
) -> None:
    chunks = np.arange(6, dtype=np.float16).reshape(2, 3)
    image = np.array([0.6, 0.8], dtype=np.float32)
    values = {"at": "2026-05-01T10:00:00Z", "app": "Firefox", "ocr_text": "Invoice 42"}

    def keep_frame(work: UnitOfWork) -> str:
        return work.screenshots.insert_frame(
            validate_fields(SCREENSHOT, values),
            item_id="scr_frame1",
            embedding=EMB.vector("Invoice 42"),
            context="",
            chunk_embeddings=chunks.astype("<f2").tobytes(),
            image_embedding=image * 3,  # stored normalised
            sensitive_boxes=[(1, 2, 3, 4)],
        )

    assert storage.transaction(keep_frame) == "scr_frame1"
    (row,) = rowids(storage, ["scr_frame1"])
    with searching(storage) as s:
        np.testing.assert_array_equal(s.chunk_vectors(SCREENSHOT, [row], 3)[row], chunks)
        assert s.image_ranking(SCREENSHOT, image, where=Where(app="fire"), depth=3) == [
            (row, pytest.approx(1.0))
        ]
        assert s.image_ranking(SCREENSHOT, image, where=Where(app="chrome"), depth=3) == []
        ranked = s.keyword_ranking(
            SCREENSHOT, ["invoice"], where=Where(), depth=5, weights=(1.0, 0.3)
        )
        assert [rowid for rowid, _ in ranked] == [row]


@pytest.mark.parametrize(
    "matrix",
    [np.zeros((0, 8)), np.zeros(8), np.full((2, 8), np.nan)],
    ids=["no rows", "not a matrix", "not finite"],
)
def test_a_bad_chunk_matrix_is_refused(matrix: np.ndarray) -> None:
    with pytest.raises(ValueError, match="chunk embeddings"):
        encode_chunk_vectors(matrix)


@pytest.mark.sqlite_only  # the list of rows the SQLite engine's vector matrix compares
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
