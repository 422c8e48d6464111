"""Shared fakes and small test data.

``FakeEmbedder`` implements :class:`agents.embeddings.TextEmbedder` without a model:
a hashed bag of words, so texts sharing words are near and the same text always gives
the same vector. It is handed to ``open_assistant(..., embedder=...)``; nothing is
patched.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from keyring.backend import KeyringBackend

_WORD = re.compile(r"\w+", re.UNICODE)


def _bucket(token: str, dim: int) -> tuple[int, float]:
    h = zlib.crc32(token.encode("utf-8"))
    return h % dim, 1.0 if (h >> 16) & 1 else -1.0


class FakeEmbedder:
    """Deterministic hashed bag-of-words embedder (L2-normalised float32 rows)."""

    name = "fake-bag-of-words"
    relevance_floor = 0.15
    """Its cosine is shared words over lengths: a question and a text that share a
    couple of content words score about 0.15-0.4, unrelated ones near 0."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []
        self.loads = 0

    def vector(self, text: str) -> npt.NDArray[np.float32]:
        vec = np.zeros(self.dim, dtype=np.float32)
        tokens = [t.lower() for t in _WORD.findall(text)] or [text]
        for token in tokens:
            index, sign = _bucket(token, self.dim)
            vec[index] += sign
        if not np.any(vec):  # words that cancel out: still a valid unit vector
            vec[_bucket(text, self.dim)[0]] = 1.0
        return (vec / np.linalg.norm(vec)).astype(np.float32)

    def load(self) -> None:
        self.loads += 1

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.calls.append(list(texts))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vector(t) for t in texts])


# -- test data ---------------------------------------------------------------------

CJK_TEXT = "我喜欢在周末去公园散步"
EMOJI_TEXT = "Weekend plans 🎉🌳 with the family 👨‍👩‍👧"

SAMPLE_MESSAGES: tuple[dict[str, Any], ...] = (
    {
        "external_id": "D1:1",
        "speaker": "Caroline",
        "role": "user",
        "text": "I went to the LGBTQ support group yesterday and it was powerful.",
        "at": "2023-05-08T13:56:00Z",
        "session": "s1",
    },
    {
        "external_id": "D1:2",
        "speaker": "Melanie",
        "role": "assistant",
        "text": "That sounds amazing! I painted a sunrise over the lake last week.",
        "at": "2023-05-08T13:57:00Z",
        "session": "s1",
    },
    {
        "external_id": "D2:1",
        "speaker": "Caroline",
        "role": "user",
        "text": "My guitar lessons start next Tuesday at the music school.",
        "at": "2023-06-20T09:00:00Z",
        "session": "s2",
    },
    {
        "external_id": "D2:2",
        "speaker": "Melanie",
        "text": "Pottery class with the kids was messy but fun.",
        "at": "2023-06-20T09:01:00Z",
        "session": "s2",
    },
    {
        "external_id": "D3:1",
        "speaker": "Caroline",
        "role": "user",
        "text": CJK_TEXT,
        "at": "2023-07-01T18:00:00+02:00",
        "session": "s3",
    },
    {
        "external_id": "D3:2",
        "speaker": "Melanie",
        "role": "other",
        "text": EMOJI_TEXT,
        "at": "2023-07-01T18:05:00+02:00",
    },
)


def message(**overrides: Any) -> dict[str, Any]:
    """One valid message line, with fields replaced or (value None) removed."""
    base: dict[str, Any] = {
        "external_id": "m-1",
        "speaker": "Ann",
        "role": "user",
        "text": "A perfectly good message.",
        "at": "2023-01-02T03:04:05Z",
        "session": "s",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def write_jsonl(path: Path, rows: Iterable[dict[str, Any] | str]) -> Path:
    """Write rows as JSON Lines; a str row is written as it is (for broken lines)."""
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n")
    return path


def db_dump(db_path: Path) -> str:
    """The whole database as SQL text: equal dumps mean nothing was written."""
    conn = sqlite3.connect(db_path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def table_counts(db_path: Path) -> dict[str, int]:
    """Row counts read by a fresh connection (as another process would)."""
    tables = (
        "core",
        "episodic",
        "semantic",
        "procedural",
        "resource",
        "knowledge_vault",
        "messages",
        "screenshots",
        "memory_history",
        "provenance",
    )
    conn = sqlite3.connect(db_path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


# One valid body per memory type (core is fixed: its blocks are edited, not added).
BODIES: dict[str, dict[str, Any]] = {
    "episodic": {
        "occurred_at": "2023-05-08T10:00:00Z",
        "actor": "user",
        "event_type": "trip",
        "summary": "Hiked up Mount Tam with Jordan",
        "details": "Foggy at the top.",
        "tree_path": ["outdoors", "hiking"],
    },
    "semantic": {
        "name": "Jordan",
        "summary": "Jordan is the user's climbing partner",
        "details": "Met in 2019.",
        "source": "chat",
        "tree_path": ["people"],
    },
    "procedural": {
        "entry_type": "workflow",
        "summary": "How to release the app",
        "steps": ["bump the version", "tag", "upload the wheel"],
        "tree_path": ["work"],
    },
    "resource": {
        "title": "Quarterly report",
        "summary": "Q2 numbers",
        "resource_type": "document",
        "content": "Revenue grew 12 percent.",
        "tree_path": ["work", "reports"],
    },
    "knowledge_vault": {
        "entry_type": "api_key",
        "source": "github",
        "sensitivity": "high",
        "secret_value": "ghp_s3cr3t-VALUE",
        "caption": "GitHub token for CI",
    },
}


class MemoryKeyring(KeyringBackend):
    """A keyring backend held in a dict: the tests' own, never the user's (installed
    by the ``memory_keyring`` fixture)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)
