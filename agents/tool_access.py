"""The memory as another AI tool sees it: what the MCP server's tools return
(mirix_app/mcp_server.py), as JSON-ready dicts, each a thin call of the
Assistant facade with these rules on top:

- Knowledge-vault items show their caption, entry type, source and sensitivity,
  never the secret; high-sensitivity items are never shown at all (left out of
  search, refused by id).
- Text leaves redacted as it would for an LLM provider (agents.privacy.redact:
  keys, tokens, passwords, cards, e-mail addresses, phone numbers become
  placeholders): screen text and window titles, messages, and memory text too,
  since a memory may quote the screen it was made from.
- Screenshot images only on request, prepared as key frames are (sensitive text
  blacked out, scaled, JPEG), and only where that is possible.
- Every write is recorded with the tool's name (``mcp:<client>``) as who made
  the new version, so ``mirix-app history`` shows which tool changed what; the
  old version stays in history and a delete can be undone.
- ``read_only`` refuses every write.
- A time without an offset is this computer's local time (the CLI's naive times
  are UTC; a model asked about "yesterday afternoon" means the user's).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agents.assistant import Assistant
from agents.errors import AgentError
from agents.privacy import redact
from agents.screens.search import snippet
from storage import MEMORY_TYPE_NAMES, Hit, Kind, NotFoundError, Record, SourceRef, kind_named
from storage.core import BLOCK_LABELS, block_id
from storage.fts import query_terms

CLIENT_PREFIX = "mcp:"
SEARCH_TYPES: tuple[str, ...] = (*MEMORY_TYPE_NAMES, "message")
"""What the memory search covers (screenshots have their own tool)."""
WRITABLE_TYPES: tuple[str, ...] = tuple(t for t in MEMORY_TYPE_NAMES if not kind_named(t).fixed)
"""The types another tool may add to (not the fixed core blocks, which are only edited)."""
SOURCES_SHOWN = 5
SOURCE_CHARS = 200
SCREEN_TEXT_CHARS = 4000
HIT_CHARS = 1000
TOKEN_FILE = "mcp-token"


class NotSharedError(AgentError):
    """An item other AI tools may not see or change (a high-sensitivity vault item)."""


class ReadOnlyError(AgentError):
    """A write asked of a read-only server."""


def author_label(client: str) -> str:
    """How a client is recorded as the author of a version: ``mcp:<its name>``,
    one line, at most 100 characters."""
    name = " ".join(client.split())[:90] or "unknown client"
    return CLIENT_PREFIX + name


def local_time(value: str | None) -> str | None:
    """``value`` with this computer's offset when it has none (else unchanged, and a
    malformed value too: the facade's message names it)."""
    if not value:
        return value
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return moment.astimezone().isoformat()  # a naive datetime is taken as local
    return text


def local_offset() -> str:
    """This computer's UTC offset now, like ``+02:00``."""
    return datetime.now().astimezone().isoformat(timespec="seconds")[-6:]


def bearer_token(data_dir: Path, *, renew: bool = False) -> str:
    """The token an HTTP client of the MCP server must send (``Authorization: Bearer
    TOKEN``): made on first use (or with ``renew``, replacing the old one) and kept
    in ``DATA_DIR/mcp-token``, readable by the user only."""
    path = data_dir / TOKEN_FILE
    if not renew:
        existing = _read_token(path)
        if existing:
            return existing
    tmp = path.with_name(f"{TOKEN_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    try:
        if renew:
            tmp.replace(path)
        else:
            # Fails if another process made one meanwhile: that one is used.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    token = _read_token(path)
    if not token:
        raise AgentError(f"{path} holds no token; delete it and try again.")
    return token


def _read_token(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentError(f"Cannot read the MCP token file {path}: {exc}.") from exc


def clean(text: str) -> str:
    return redact(text).text


@dataclass
class ToolAccess:
    assistant: Assistant
    client: str = "unknown client"
    read_only: bool = False

    @property
    def author(self) -> str:
        return author_label(self.client)

    # -- reading -----------------------------------------------------------------------

    def search_memories(
        self,
        query: str,
        *,
        types: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        limit: int = 10,
    ) -> dict[str, Any]:
        wanted = tuple(types) or SEARCH_TYPES
        for name in wanted:
            if name not in SEARCH_TYPES:
                raise AgentError(f"Unknown type {name!r}; types are: {', '.join(SEARCH_TYPES)}.")
        # What a kind withholds (high-sensitivity vault items) is dropped after ranking:
        # ask for a few more.
        extra = limit if any(kind_named(t).withheld for t in wanted) else 0
        hits = self.assistant.search(
            query,
            types=wanted,
            since=local_time(since),
            until=local_time(until),
            limit=limit + extra,
        )
        shown = [view for view in (self._hit(h) for h in hits) if view is not None]
        return {"hits": shown[:limit]}

    def get(self, item_id: str) -> dict[str, Any]:
        record = self.assistant.show(item_id.strip())
        self._check_shared(record)
        if record.deleted and not kind_named(record.type).is_memory:
            # A deleted memory can be read (and restored); a forgotten source cannot.
            raise NotFoundError(f"No {record.type} with id {record.id}.")
        out: dict[str, Any] = {
            "id": record.id,
            "type": record.type,
            "time": _time_of(record),
            **self._fields(record),
            "sources": self._sources(record.sources, limit=None),
        }
        if kind_named(record.type).is_memory:
            out |= {
                "version": record.version,
                "created_at": record.created_at,
                "updated_at": record.updated_at,
                "deleted_at": record.deleted_at,
                "changed_by": record.changed_by or "mirix-app",
                "history": self._history(record),
            }
        return out

    def search_screens(
        self,
        query: str,
        *,
        since: str | None = None,
        until: str | None = None,
        app: str | None = None,
        limit: int = 5,
    ) -> list[dict[str, Any]]:
        hits = self.assistant.screens_search(
            query, since=local_time(since), until=local_time(until), app=app, limit=limit
        )
        terms = query_terms(query)
        return [
            {
                "id": h.screenshot_id,
                "time": h.at,
                "app": h.app,
                "title": clean(h.title),
                "snippet": _snippet(h.text, terms),
                "image_available": not h.image_deleted,
            }
            for h in hits
        ]

    def screen_image(self, screenshot_id: str) -> bytes | None:
        """The frame's shareable JPEG (see Assistant.screen_image)."""
        return self.assistant.screen_image(screenshot_id)

    def timeline(self, since: str, until: str, *, limit: int = 100) -> dict[str, Any]:
        line = self.assistant.timeline(
            str(local_time(since)), str(local_time(until)), limit=limit, redacted=True
        )
        return line.to_dict()

    def core_blocks(self) -> dict[str, str]:
        return {
            label: clean(str(self.assistant.show(block_id(label)).fields.get("text") or ""))
            for label in BLOCK_LABELS
        }

    # -- writing -----------------------------------------------------------------------

    def add(self, type_name: str, fields: dict[str, Any]) -> dict[str, Any]:
        self._check_writable("add_memory")
        if type_name not in WRITABLE_TYPES:
            raise AgentError(
                f"Cannot add a {type_name!r} memory; types are: {', '.join(WRITABLE_TYPES)}."
            )
        record = self.assistant.add(type_name, fields, by=self.author)
        return self._written(record, "added")

    def edit(self, item_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        self._check_writable("edit_memory")
        self._check_shared(self.assistant.show(item_id))
        return self._written(self.assistant.edit(item_id, fields, by=self.author), "edited")

    def delete(self, item_id: str) -> dict[str, Any]:
        self._check_writable("delete_memory")
        self._check_shared(self.assistant.show(item_id))
        return self._written(self.assistant.delete(item_id, by=self.author), "deleted")

    def restore(self, item_id: str) -> dict[str, Any]:
        self._check_writable("restore_memory")
        self._check_shared(self.assistant.show(item_id))
        return self._written(self.assistant.restore(item_id, by=self.author), "restored")

    # -- the rules ---------------------------------------------------------------------

    def _check_writable(self, tool: str) -> None:
        if self.read_only:
            raise ReadOnlyError(
                f"This memory server is read-only (mcp_read_only or --read-only): {tool} "
                "is not available."
            )

    @staticmethod
    def _check_shared(record: Record) -> None:
        kind = kind_named(record.type)
        if kind.withholds(record.fields):
            rule = kind.withheld
            assert rule is not None
            raise NotSharedError(
                f"{record.id} is a {kind.label.lower()} item of {rule.field} "
                f"{record.fields.get(rule.field)}; it is not shared with other AI tools."
            )

    def _written(self, record: Record, what: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": record.id,
            "type": record.type,
            "version": record.version,
            "result": what,
            "changed_by": record.changed_by,
        }
        if what == "deleted":
            out["undo"] = f"restore_memory with id {record.id}"
        return out

    def _hit(self, hit: Hit) -> dict[str, Any] | None:
        kind = kind_named(hit.type)
        if kind.withheld is not None and kind.withholds(self.assistant.show(hit.id).fields):
            return None
        text = clean(hit.text)  # the kind's display text: a vault item's caption
        if len(text) > HIT_CHARS:
            text = text[: HIT_CHARS - 1].rstrip() + "…"
        return {
            "id": hit.id,
            "type": hit.type,
            "text": text,
            "time": hit.at,
            "score": round(hit.score, 4),
            "sources": self._sources(hit.sources, limit=SOURCES_SHOWN) if kind.is_memory else [],
        }

    def _fields(self, record: Record) -> dict[str, Any]:
        """A record's fields as another tool may see them."""
        if record.type == "screenshot":
            text = clean(str(record.fields.get("ocr_text") or ""))
            return {
                "app": record.fields.get("app"),
                "title": clean(str(record.fields.get("window_title") or "")),
                "text": _cut(text, SCREEN_TEXT_CHARS),
                "image_available": bool(record.fields.get("image_path")),
            }
        hidden = kind_named(record.type).secret_fields
        return {
            name: _cleaned(value) for name, value in record.fields.items() if name not in hidden
        }

    def _history(self, record: Record) -> list[dict[str, Any]]:
        out = []
        kind = kind_named(record.type)
        for entry in self.assistant.history(record.id):
            data = dict(entry.data)
            withheld = kind.withholds(data)
            fields = {
                k: _cleaned(v)
                for k, v in data.items()
                if k not in ("created_at", "updated_at", "deleted_at", "changed_by")
                and k not in kind.secret_fields
            }
            out.append(
                {
                    "version": entry.version,
                    "made_at": data.get("updated_at"),
                    "changed_by": entry.changed_by or "mirix-app",
                    "then": entry.change,
                    "changed_at": entry.changed_at,
                    "fields": {"withheld": _withheld_reason(kind, data)} if withheld else fields,
                }
            )
        return out

    def _sources(self, sources: Sequence[SourceRef], *, limit: int | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for ref in sources[:limit] if limit is not None else sources:
            try:
                source = self.assistant.show(ref.id)
            except NotFoundError:
                continue  # removed since (a forgotten message or screenshot)
            if source.deleted:
                continue
            out.append(
                {
                    "kind": ref.kind,
                    "id": ref.id,
                    "external_id": ref.external_id,
                    "time": _time_of(source),
                    "text": _source_text(source),
                }
            )
        if limit is not None and len(sources) > limit:
            out.append({"more": len(sources) - limit})
        return out


def _time_of(record: Record) -> str:
    """When it happened (an event's, a message's or a screenshot's own time), else
    when it was stored."""
    return str(record.fields.get(kind_named(record.type).time_column) or record.created_at)


def _withheld_reason(kind: Kind, data: dict[str, Any]) -> str:
    rule = kind.withheld
    assert rule is not None
    return f"{data.get(rule.field)} {rule.field}"


def _source_text(source: Record) -> str:
    f = source.fields
    if source.type == "message":
        who = f.get("speaker") or f.get("role") or ""
        return _cut(clean(f"{who}: {f.get('text') or ''}"), SOURCE_CHARS)
    head = " — ".join(str(p) for p in (f.get("app"), f.get("window_title")) if p)
    return _cut(clean(head), SOURCE_CHARS)


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _snippet(text: str, terms: list[str]) -> str:
    # The whole text is redacted before a snippet is cut from it: a secret cut in
    # half by the snippet's edge would no longer be recognised.
    return snippet(clean(text), terms)
