"""A memory holding every kind of row, for the tests of export, import and
migration: the six memory types (a vault item among them), messages,
provenance, history, a deletion and a restore; screenshots with their vectors."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from storage import SourceRef, Storage
from storage.kinds import SCREENSHOT, validate_fields
from storage.rows import new_id
from storage.screens import encode_chunk_vectors
from tests.fakes import BODIES, CJK_TEXT, EMOJI_TEXT, FakeEmbedder

EMB = FakeEmbedder()


def fill(storage: Storage) -> dict[str, str]:
    """Every kind of row: six memory types, messages, provenance, history, a deletion."""
    m1 = storage.messages.add(
        {
            "role": "user",
            "speaker": "Ann",
            "text": CJK_TEXT,
            "at": "2023-04-01T10:00:00Z",
            "external_id": "D1:1",
            "session": "s1",
        },
        embedding=EMB.vector(CJK_TEXT),
    )
    m2 = storage.messages.add(
        {"role": "assistant", "text": EMOJI_TEXT, "at": "2023-04-01T10:01:00Z"},
        embedding=EMB.vector(EMOJI_TEXT),
    )
    ids = {"m1": m1.id, "m2": m2.id}
    for name, body in BODIES.items():
        sources = [SourceRef("message", m1.id), SourceRef("message", m2.id)]
        ids[name] = (
            storage.memories[name]
            .add(body, embedding=EMB.vector(json.dumps(body)), sources=sources)
            .id
        )
    storage.memories["semantic"].update(ids["semantic"], {"summary": "edited 🎉"}, by="mcp:a")
    storage.memories["resource"].delete(ids["resource"])
    storage.memories["procedural"].delete(ids["procedural"])
    storage.memories["procedural"].restore(ids["procedural"])
    storage.core.append("human", "Name: Zoë")
    storage.core.append("human", "Lives in 東京")
    storage.core.set_embedding("core_human", EMB.vector("Name Zoë Lives in 東京"))
    storage.core.rewrite("persona", "Helpful and brief")
    return ids


def add_frame(
    target: Any,
    text: str,
    *,
    at: str = "2024-06-01T10:00:00Z",
    app: str = "Browser",
    image: bool = True,
) -> str:
    """A kept frame's row (through ``target.transaction``: a Storage or an engine)
    with its screen, chunk and image vectors and a sensitive box; its image paths
    name files that need not exist. Its id."""
    item_id = new_id(SCREENSHOT)
    values = validate_fields(
        SCREENSHOT,
        {"at": at, "app": app, "window_title": f"{app} window", "ocr_text": text, "monitor": 0},
    )
    if image:
        day = values["at"][:10]
        values |= {
            "image_path": f"frames/{day}/{item_id}.webp",
            "thumb_path": f"frames/{day}/{item_id}.thumb.webp",
        }
    chunks = np.stack([EMB.vector(word) for word in text.split()[:3] or [text]])

    def write(work: Any) -> str:
        return str(
            work.screenshots.insert_frame(
                values,
                item_id=item_id,
                embedding=EMB.vector(text),
                context="June",
                chunk_embeddings=encode_chunk_vectors(chunks),
                image_embedding=EMB.vector(f"image of {text}"),
                sensitive_boxes=[(1, 2, 3, 4)],
            )
        )

    return str(target.transaction(write))


def fill_with_frames(storage: Storage) -> dict[str, str]:
    """:func:`fill`, two screenshots, and a memory made from one of them."""
    ids = fill(storage)
    ids["s1"] = add_frame(storage, "Quarterly report draft", app="Writer")
    ids["s2"] = add_frame(storage, "中文 screen text", at="2024-06-02T10:00:00Z", image=False)
    ids["from_screen"] = (
        storage.memories["resource"]
        .add(
            {"title": "Draft", "content": "from the screen"},
            sources=[SourceRef("screenshot", ids["s1"]), SourceRef("message", ids["m1"])],
        )
        .id
    )
    return ids
