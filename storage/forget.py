"""Forgetting raw sources for good, with everything made from them.

A user may take back what was recorded: messages and screenshots, chosen by id
or by time (and, for screenshots, application). In one transaction an engine

- deletes their rows, and with them their full-text entries and vectors, OCR
  text, chunk and image embeddings included;
- deletes every memory whose sources are all forgotten, with its history (a
  hard delete: no soft mark, no earlier version stays), and unlinks the
  forgotten sources from memories that have others (those stay, with their
  other sources; core blocks always stay);
- takes the forgotten observations out of the memory agents' batches (a batch
  left empty goes);
- removes a forgotten message's text from the context its neighbours were
  indexed with (see :func:`storage.sources.context_line`);

and names the image files to remove once it has committed
(:attr:`ForgetReport.files`). What each engine does about the bytes the
database files still hold is in :mod:`storage.sqlite.forget` (secure delete,
the write-ahead log, free pages) and :mod:`storage.postgres.forget` (VACUUM,
and the image files of screenshots other devices took). This module holds what
they share: the scope, the plan, the report and the rules.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from storage.errors import InvalidInputError, NotFoundError
from storage.kinds import Kind, kind_of_id


@dataclass(frozen=True, kw_only=True)
class ForgetScope:
    """Which raw sources to forget: by id, or by time (inclusive, stored form)
    and, for screenshots, part of the application name (case-insensitive; with
    an application, no messages)."""

    ids: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    app: str | None = None

    def __post_init__(self) -> None:
        by_time = self.since is not None or self.until is not None or bool(self.app)
        if not self.ids and not by_time:
            raise InvalidInputError("Say what to forget: ids, or a time range and application.")
        if self.ids and by_time:
            raise InvalidInputError("Forget either by id or by time and application, not both.")
        if self.since and self.until and self.since > self.until:
            raise InvalidInputError("--since is after --until.")


@dataclass(frozen=True)
class ForgetPlan:
    """What forgetting a scope touches."""

    messages: tuple[str, ...]
    screenshots: tuple[str, ...]
    memories_deleted: tuple[str, ...]
    """Memories whose every source is forgotten: deleted with their history."""
    memories_kept: tuple[str, ...]
    """Memories that also have other sources: they stay and keep those."""
    apps: dict[str, int] = field(default_factory=dict)
    """Screenshots to forget per application."""

    @property
    def items(self) -> int:
        return len(self.messages) + len(self.screenshots)

    def kinds_touched(self) -> set[Kind]:
        """The kinds that lose rows (their saved search graphs are stale)."""
        return {kind_of_id(i) for i in (*self.messages, *self.screenshots, *self.memories_deleted)}

    def describe(self) -> str:
        """What forgetting takes away, in a sentence part ("2 screenshots (Firefox 2)
        and 1 message, with the 2 memories made only from them")."""
        parts = []
        if self.screenshots:
            apps = ", ".join(f"{app} {n}" for app, n in sorted(self.apps.items()))
            parts.append(f"{_count(len(self.screenshots), 'screenshot')} ({apps})")
        if self.messages:
            parts.append(_count(len(self.messages), "message"))
        text = " and ".join(parts) or "nothing"
        if self.memories_deleted:
            made = _count(len(self.memories_deleted), "memory", "memories")
            text += f", with the {made} made only from them"
        if self.memories_kept:
            kept = _count(len(self.memories_kept), "memory", "memories")
            text += f" ({kept} with other sources stay)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages": len(self.messages),
            "screenshots": len(self.screenshots),
            "memories_deleted": len(self.memories_deleted),
            "memories_kept": len(self.memories_kept),
            "apps": dict(self.apps),
            "ids": [*self.messages, *self.screenshots],
        }


@dataclass
class ForgetReport:
    plan: ForgetPlan
    files: list[str] = field(default_factory=list)
    """Image and thumbnail files (relative to the data directory) to remove."""
    batches_changed: int = 0
    contexts_rewritten: int = 0
    wal_cleared: bool = False
    """SQLite: the write-ahead log was emptied (False: a reader of another process
    kept it busy; forgetting again empties it). PostgreSQL: always True, the
    server's own log is not this device's to empty (see storage.postgres.forget)."""
    frames_waiting: int = 0
    """Captured frames dropped before they were stored (set by the caller)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.plan.to_dict(),
            "batches_changed": self.batches_changed,
            "contexts_rewritten": self.contexts_rewritten,
            "wal_cleared": self.wal_cleared,
            "frames_waiting": self.frames_waiting,
        }


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


# -- the rules both engines follow ----------------------------------------------------

Source = tuple[str, str]
"""(source kind, source id) of a provenance link."""


def forgotten(messages: Iterable[str], screenshots: Iterable[str]) -> set[Source]:
    return {("message", m) for m in messages} | {("screenshot", s) for s in screenshots}


def split_memories(
    linked: Iterable[str], sources: Mapping[str, set[Source]], gone: set[Source]
) -> tuple[list[str], list[str]]:
    """(memories to delete: every source forgotten, memories that stay) among the
    ``linked`` ones, given each one's ``sources``. Core blocks always stay."""
    deleted: list[str] = []
    kept: list[str] = []
    for memory_id in linked:
        only_forgotten = sources.get(memory_id, set()) <= gone
        fixed = kind_of_id(memory_id).fixed
        (deleted if only_forgotten and not fixed else kept).append(memory_id)
    return deleted, kept


def sources_named(
    ids: Iterable[str], stored: Callable[[Kind, str], bool]
) -> tuple[list[str], list[str]]:
    """(messages, screenshots) among ``ids``, each of which must be ``stored``; a
    memory id is refused (it is deleted, softly, not forgotten)."""
    messages: list[str] = []
    screenshots: list[str] = []
    for item_id in dict.fromkeys(ids):
        kind = kind_of_id(item_id)
        if kind.is_memory:
            raise InvalidInputError(
                f"{item_id} is a memory, not a recorded message or screenshot: delete it "
                "with 'mirix-app delete' (it can be restored), or forget its sources."
            )
        if not stored(kind, item_id):
            raise NotFoundError(f"No {kind.name} with id {item_id}.")
        (messages if kind.name == "message" else screenshots).append(item_id)
    return messages, screenshots


def by_table(ids: Iterable[str]) -> dict[str, list[str]]:
    """Item ids grouped by the table of their kind."""
    out: dict[str, list[str]] = {}
    for item_id in ids:
        out.setdefault(kind_of_id(item_id).table, []).append(item_id)
    return out


def without_line(context: str, line: str) -> str:
    """An index context with a forgotten message's line taken out."""
    rest = context.replace(line, "")
    return "\n".join(part for part in rest.split("\n") if part.strip())


def items_without(raw: str, sources: set[str]) -> list[dict[str, Any]]:
    """A batch's items (JSON text) without the observations of ``sources``."""
    return [i for i in json.loads(raw) if i.get("source_id") not in sources]
