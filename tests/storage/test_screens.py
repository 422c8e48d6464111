"""storage/screens.py: the sensitive boxes of a frame and which frames may be shown."""

from __future__ import annotations

import sqlite3

import pytest

from storage import Storage
from storage.screens import decode_boxes, encode_boxes, frame_images, set_sensitive_boxes


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

    storage.db.write(mark)
    with storage.db.reading() as conn:
        found = frame_images(conn, [ok, unknown, evicted, deleted, "scr_missing", ok])
    assert list(found) == [ok]
    assert found[ok].image_path == "frames/2024-05-01/ok.webp"
    assert found[ok].sensitive_boxes == [(1, 2, 3, 4)]
