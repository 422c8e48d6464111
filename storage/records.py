"""Value objects the storage layer returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SourceKind = Literal["message", "screenshot"]


@dataclass(frozen=True)
class SourceRef:
    """A raw source a memory came from."""

    kind: SourceKind
    id: str
    external_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "external_id": self.external_id}


@dataclass(frozen=True)
class Record:
    """One row of a memory table or a raw source table, in public form."""

    type: str
    id: str
    created_at: str
    updated_at: str
    deleted_at: str | None
    version: int
    fields: dict[str, Any]
    sources: tuple[SourceRef, ...] = ()
    context: str = ""
    changed_by: str | None = None
    """Who made this version of a memory (``mcp:<client>`` for another AI tool);
    None: mirix-app itself (you, or its memory agents), and for raw sources."""

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deleted_at": self.deleted_at,
            "version": self.version,
            "changed_by": self.changed_by,
            **self.fields,
            "sources": [s.to_dict() for s in self.sources],
        }


@dataclass(frozen=True)
class HistoryEntry:
    """A previous version of a memory: its fields and times in ``data``, then the
    ``change`` that replaced it, at ``changed_at``."""

    version: int
    change: str
    changed_at: str
    data: dict[str, Any]

    @property
    def changed_by(self) -> str | None:
        """Who made this version (see :attr:`Record.changed_by`)."""
        by = self.data.get("changed_by")
        return str(by) if by else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "change": self.change,
            "changed_at": self.changed_at,
            "changed_by": self.changed_by,
            "data": self.data,
        }


@dataclass(frozen=True)
class Hit:
    """One search result: a memory or a raw source, with where it came from."""

    type: str
    id: str
    score: float
    text: str
    at: str
    sources: tuple[SourceRef, ...] = ()
    matched_by: tuple[str, ...] = field(default=())
    fields: dict[str, Any] = field(default_factory=dict, compare=False)
    """The row's fields, secret ones left out (a screenshot's app, title, text and
    image file; a vault item's caption and sensitivity)."""
    part: int | None = None
    """Which chunk of a screenshot's text is closest to the query in meaning; None
    where not known (no chunk vectors, or not a meaning match)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "score": round(self.score, 6),
            "text": self.text,
            "at": self.at,
            "sources": [s.to_dict() for s in self.sources],
        }
