"""Importing chat messages, and the rule-based episodic floor.

Without an LLM, every imported message becomes a raw ``messages`` row and one
episodic memory (who said what, when), linked to the message by provenance.
Both are indexed with a little context — the session's date and the turn
before — because a turn alone ("Yes, last Friday!") rarely says what it is
about. The LLM agents of issue 3 write richer memories on top of this floor.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from agents.embeddings import TextEmbedder
from agents.embeddings.bulk import embed_many, for_bulk
from agents.errors import IngestError
from storage import InvalidInputError, SourceRef, Storage
from storage.inputs import json_lines, parse_json
from storage.interface import UnitOfWork
from storage.kinds import EPISODIC, MESSAGE, embedding_text, validate_fields
from storage.sources import NewSource, context_line

Progress = Callable[[int, int], None]
"""Called with (done, total) as work advances."""

MAX_PROBLEMS_SHOWN = 20
SUMMARY_CHARS = 400


@dataclass
class ImportReport:
    imported: int = 0
    memories: int = 0
    skipped_existing: int = 0
    skipped_invalid: list[tuple[int, str]] = field(default_factory=list)
    batches: int = 0
    """Batches queued for the memory agents (only with an LLM configured)."""
    seconds: float = 0.0
    """Time spent importing, not counting loading the embedding model."""
    model_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "memories": self.memories,
            "skipped_existing": self.skipped_existing,
            "skipped_invalid": [{"line": n, "error": e} for n, e in self.skipped_invalid],
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "model_seconds": round(self.model_seconds, 3),
        }


@dataclass(frozen=True)
class ParsedMessage:
    line: int
    values: dict[str, Any]


def parse_messages_file(path: Path) -> tuple[list[ParsedMessage], list[tuple[int, str]]]:
    """Parse and validate a messages JSONL file: (good messages, problems)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path} is not UTF-8 text (byte {exc.start}).") from exc
    good: list[ParsedMessage] = []
    problems: list[tuple[int, str]] = []
    seen_ids: dict[str, int] = {}
    for number, line in json_lines(text):
        if not line.strip():
            continue
        try:
            values = _message_values(line)
        except InvalidInputError as exc:
            problems.append((number, str(exc)))
            continue
        ext = values.get("external_id")
        if ext is not None:
            if ext in seen_ids:
                problems.append((number, f"external_id {ext!r} repeats line {seen_ids[ext]}."))
                continue
            seen_ids[ext] = number
        good.append(ParsedMessage(number, values))
    if not good and not problems:
        raise IngestError(f"{path} has no messages.")
    return good, problems


def _message_values(line: str) -> dict[str, Any]:
    obj = parse_json(line)
    if not isinstance(obj, dict):
        raise InvalidInputError("expected a JSON object.")
    speaker = obj.get("speaker")
    if not isinstance(speaker, str) or not speaker.strip():
        raise InvalidInputError("speaker is required (a non-empty string).")
    obj.setdefault("role", "other")
    for key in ("external_id", "session", "speaker"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InvalidInputError(f"{key} must be a string.")
    return validate_fields(MESSAGE, obj)


def _date_words(stored_time: str) -> str:
    moment = datetime.fromisoformat(stored_time.replace("Z", "+00:00"))
    return moment.strftime("%A %d %B %Y").replace(" 0", " ")


def _contexts(messages: Sequence[ParsedMessage]) -> list[str]:
    """Index context of each message: its date and the turns before and after it
    in its session. BM25 ranks this below the message's own text."""
    lines = [context_line(m.values.get("speaker"), m.values["text"]) for m in messages]
    sessions = [m.values.get("session") for m in messages]
    out: list[str] = []
    for i, m in enumerate(messages):
        parts = [_date_words(m.values["at"])]
        if i > 0 and sessions[i - 1] == sessions[i]:
            parts.append(lines[i - 1])
        if i + 1 < len(messages) and sessions[i + 1] == sessions[i]:
            parts.append(lines[i + 1])
        out.append("\n".join(parts))
    return out


def _episodic_values(m: ParsedMessage) -> dict[str, Any]:
    v = m.values
    speaker = v.get("speaker") or v["role"]
    text = v["text"]
    summary = f"{speaker}: {text}"
    if len(summary) > SUMMARY_CHARS:
        summary = summary[: SUMMARY_CHARS - 1].rstrip() + "…"
    path = ["conversation", v["session"]] if v.get("session") else ["conversation"]
    return validate_fields(
        EPISODIC,
        {
            "occurred_at": v["at"],
            "actor": speaker,
            "event_type": "conversation",
            "summary": summary,
            "details": text if len(f"{speaker}: {text}") > SUMMARY_CHARS else None,
            "tree_path": path,
        },
    )


def import_messages(
    storage: Storage,
    embedder: TextEmbedder,
    path: Path,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    batch_items: int | None = None,
) -> ImportReport:
    """Import a messages JSONL file in one transaction: all of it or nothing.

    ``batch_items`` (set when an LLM is configured) also queues the new messages
    for the memory agents, in batches of that many, in the same transaction.
    """
    started = time.perf_counter()
    messages, problems = parse_messages_file(path)
    if problems and not skip_invalid:
        shown = "; ".join(f"line {n}: {e}" for n, e in problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        suffix = f" (and {more} more)" if more > 0 else ""
        raise IngestError(
            f"{path}: {len(problems)} invalid line(s), nothing imported: {shown}{suffix}",
            problems,
        )
    report = ImportReport(skipped_invalid=problems)
    ext_ids = [m.values["external_id"] for m in messages if m.values.get("external_id")]
    existing = storage.messages.existing_external_ids(ext_ids)
    fresh = [m for m in messages if m.values.get("external_id") not in existing]
    # The models the embedding below runs (for many texts, MiniLM in bfloat16
    # through torch), loaded here so their one-time cost is told apart.
    loading = time.perf_counter()
    embedder = for_bulk(embedder, len(fresh))
    embedder.load()
    report.model_seconds = time.perf_counter() - loading
    report.skipped_existing = len(messages) - len(fresh)
    contexts = _contexts(messages)  # over all messages, so context crosses re-imports
    context_of = {id(m): c for m, c in zip(messages, contexts, strict=True)}
    vectors = embed_many(embedder, [embedding_text(MESSAGE, m.values) for m in fresh], progress)
    new_sources = [NewSource(m.values, vectors[i], context_of[id(m)]) for i, m in enumerate(fresh)]

    def write(work: UnitOfWork) -> int:
        # Another import of the same file may have stored some of them since they
        # were looked up: what it stored is skipped, not a UNIQUE error.
        stored = work.messages.existing_external_ids(
            [m.values["external_id"] for m in fresh if m.values.get("external_id")]
        )
        todo = [
            (m, src)
            for m, src in zip(fresh, new_sources, strict=True)
            if m.values.get("external_id") not in stored
        ]
        report.skipped_existing += len(fresh) - len(todo)
        ids = work.messages.insert_many([src for _, src in todo])
        if batch_items is not None:
            observations = [_observation(i, m) for i, (m, _) in zip(ids, todo, strict=True)]
            for start in range(0, len(observations), batch_items):
                work.batches.enqueue(observations[start : start + batch_items])
                report.batches += 1
        episodic = work.memories["episodic"]
        for msg_id, (m, src) in zip(ids, todo, strict=True):
            memory_id = episodic.insert(
                _episodic_values(m), embedding=src.embedding, context=src.context
            )
            work.provenance.link(memory_id, [SourceRef("message", msg_id)])
        return len(ids)

    report.imported = storage.transaction(write) if fresh else 0
    report.memories = report.imported
    report.seconds = time.perf_counter() - started - report.model_seconds
    return report


def _observation(msg_id: str, m: ParsedMessage) -> dict[str, Any]:
    """A message as the memory agents see it in a batch."""
    v = m.values
    item = {"kind": "message", "source_id": msg_id, "at": v["at"], "text": v["text"]}
    item |= {k: v[k] for k in ("speaker", "role", "session") if v.get(k)}
    return item
