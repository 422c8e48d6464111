"""The memory types and raw source kinds: their fields, validation and the
text each one puts in the full-text index.

This module is data plus small pure functions; the stores read it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from storage.errors import InvalidInputError
from storage.inputs import clean_text

FieldKind = Literal["text", "time", "list", "choice", "int"]

MAX_TEXT_CHARS = 200_000
"""Longest text a single field accepts (about 50 pages); longer input is an error."""

DEFAULT_CORE_LIMIT = 5000


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class Kind:
    """A memory type (or raw source kind) and how it is stored and indexed."""

    name: str
    table: str
    prefix: str
    fields: tuple[Field, ...]
    time_column: str
    index_fields: tuple[str, ...]
    display_fields: tuple[str, ...]
    is_memory: bool = True
    actor_field: str | None = None
    """The field naming who did or said it, if the kind has one."""
    secret_fields: tuple[str, ...] = ()
    """Fields stored encrypted (see :mod:`storage.secrets`); never indexed."""
    field_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", frozenset(f.name for f in self.fields))

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


_TREE = Field("tree_path", "list", help="Category path, most general first.")

CORE = Kind(
    name="core",
    table="core",
    prefix="core",
    fields=(
        Field("label", "choice", required=True, choices=("persona", "human")),
        Field("text", help="Lines of the block."),
        Field("char_limit", "int", help="Most characters the block may hold."),
    ),
    time_column="created_at",
    index_fields=("label", "text"),
    display_fields=("text",),
)
EPISODIC = Kind(
    name="episodic",
    table="episodic",
    prefix="epi",
    fields=(
        Field("occurred_at", "time", required=True),
        Field("actor"),
        Field("event_type"),
        Field("summary", required=True),
        Field("details"),
        _TREE,
    ),
    time_column="occurred_at",
    index_fields=("actor", "event_type", "summary", "details"),
    display_fields=("summary",),
    actor_field="actor",
)
SEMANTIC = Kind(
    name="semantic",
    table="semantic",
    prefix="sem",
    fields=(
        Field("name", required=True),
        Field("summary", required=True),
        Field("details"),
        Field("source"),
        _TREE,
    ),
    time_column="created_at",
    index_fields=("name", "summary", "details"),
    display_fields=("name", "summary"),
)
PROCEDURAL = Kind(
    name="procedural",
    table="procedural",
    prefix="proc",
    fields=(
        Field("entry_type", "choice", required=True, choices=("workflow", "guide", "script")),
        Field("summary", required=True),
        Field("steps", "list"),
        _TREE,
    ),
    time_column="created_at",
    index_fields=("entry_type", "summary", "steps"),
    display_fields=("summary",),
)
RESOURCE = Kind(
    name="resource",
    table="resource",
    prefix="res",
    fields=(
        Field("title", required=True),
        Field("summary"),
        Field("resource_type"),
        Field("content"),
        _TREE,
    ),
    time_column="created_at",
    index_fields=("title", "resource_type", "summary", "content"),
    display_fields=("title", "summary"),
)
KNOWLEDGE_VAULT = Kind(
    name="knowledge_vault",
    table="knowledge_vault",
    prefix="vault",
    fields=(
        Field("entry_type", required=True),
        Field("source"),
        Field("sensitivity", "choice", required=True, choices=("low", "medium", "high")),
        Field("secret_value", help="The secret itself; never indexed."),
        Field("caption", required=True),
    ),
    time_column="created_at",
    # The secret is never indexed: search finds a vault item by its caption.
    index_fields=("entry_type", "source", "caption"),
    display_fields=("caption",),
    secret_fields=("secret_value",),
)
MESSAGE = Kind(
    name="message",
    table="messages",
    prefix="msg",
    fields=(
        Field("external_id"),
        Field("role", "choice", required=True, choices=("user", "assistant", "other")),
        Field("speaker"),
        Field("text", required=True),
        Field("at", "time", required=True),
        Field("session"),
    ),
    time_column="at",
    index_fields=("speaker", "text"),
    display_fields=("text",),
    is_memory=False,
    actor_field="speaker",
)
SCREENSHOT = Kind(
    name="screenshot",
    table="screenshots",
    prefix="scr",
    fields=(
        Field("external_id"),
        Field("at", "time", required=True),
        Field("monitor", "int"),
        Field("app"),
        Field("window_title"),
        Field("image_path"),
        Field("thumb_path"),
        Field("phash"),
        Field("width", "int"),
        Field("height", "int"),
        Field("ocr_text"),
    ),
    time_column="at",
    index_fields=("app", "window_title", "ocr_text"),
    display_fields=("window_title", "ocr_text"),
    is_memory=False,
)

MEMORY_KINDS: tuple[Kind, ...] = (
    CORE,
    EPISODIC,
    SEMANTIC,
    PROCEDURAL,
    RESOURCE,
    KNOWLEDGE_VAULT,
)
SOURCE_KINDS: tuple[Kind, ...] = (MESSAGE, SCREENSHOT)
ALL_KINDS: tuple[Kind, ...] = MEMORY_KINDS + SOURCE_KINDS
BY_NAME: dict[str, Kind] = {k.name: k for k in ALL_KINDS}
BY_PREFIX: dict[str, Kind] = {k.prefix: k for k in ALL_KINDS}
MEMORY_TYPE_NAMES: tuple[str, ...] = tuple(k.name for k in MEMORY_KINDS)


def kind_named(name: str) -> Kind:
    try:
        return BY_NAME[name]
    except KeyError:
        known = ", ".join(BY_NAME)
        raise InvalidInputError(f"Unknown type {name!r}; expected one of: {known}.") from None


def kind_of_id(item_id: str) -> Kind:
    prefix, _, rest = item_id.partition("_")
    kind = BY_PREFIX.get(prefix)
    if kind is None or not rest:
        raise InvalidInputError(f"{item_id!r} is not a mirix-app id (like epi_1a2b3c...).")
    return kind


# -- times ------------------------------------------------------------------------


def now_iso() -> str:
    return format_time(datetime.now(UTC))


_UNPADDED_YEAR = re.compile(r"(\d{1,3})(-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")
"""The stored form as earlier versions wrote it for years before 1000
(``999-05-01T...``): still read, so the exports they made import."""


def format_time(moment: datetime) -> str:
    """Canonical stored form: UTC, microseconds, 'Z', a four-digit year. Sorts as
    text. OverflowError when the time is outside years 1-9999 once in UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(value: object, *, what: str = "time") -> str:
    """Accept ISO-8601 (date or date-time, any offset; naive means UTC) and
    return the canonical stored form; refuse a time that has none (outside
    years 1-9999 in UTC), since it could not be read back."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be an ISO-8601 time string, got {value!r}.")
    text = value.strip()
    legacy = _UNPADDED_YEAR.fullmatch(text)
    if legacy:
        text = f"{int(legacy[1]):04d}{legacy[2]}"
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(f"{what} {value!r} is not an ISO-8601 time.") from None
    try:
        return format_time(moment)
    except (OverflowError, ValueError):
        raise InvalidInputError(
            f"{what} {value!r} is outside the years 1 to 9999 once in UTC."
        ) from None


# -- validation -------------------------------------------------------------------


def check_text(value: object, *, what: str, required: bool) -> str | None:
    """``value`` as a text field stores it (lone surrogates replaced, see
    :func:`storage.inputs.clean_text`), or InvalidInputError saying why not."""
    if value is None:
        if required:
            raise InvalidInputError(f"{what} is required.")
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{what} must be a string, got {type(value).__name__}.")
    if required and not value.strip():
        raise InvalidInputError(f"{what} is empty.")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"{what} is {len(value):,} characters long; the limit is {MAX_TEXT_CHARS:,}."
        )
    if "\x00" in value:
        raise InvalidInputError(f"{what} contains a NUL character.")
    return clean_text(value)


def validate_fields(kind: Kind, values: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Check ``values`` against ``kind`` and return them in stored form.

    ``partial`` validates an edit: only the given fields, none required.
    """
    unknown = sorted(set(values) - kind.field_names)
    if unknown:
        allowed = ", ".join(f.name for f in kind.fields)
        raise InvalidInputError(
            f"Unknown field(s) for {kind.name}: {', '.join(unknown)}; allowed: {allowed}."
        )
    out: dict[str, Any] = {}
    for f in kind.fields:
        if f.name not in values:
            if f.required and not partial:
                raise InvalidInputError(f"{kind.name}.{f.name} is required.")
            continue
        out[f.name] = _stored_value(kind, f, values[f.name])
    return out


def _stored_value(kind: Kind, f: Field, value: object) -> object:
    what = f"{kind.name}.{f.name}"
    if f.kind == "time":
        return parse_time(value, what=what)
    if f.kind == "int":
        if value is None and not f.required:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInputError(f"{what} must be an integer, got {value!r}.")
        return value
    if f.kind == "list":
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInputError(f"{what} must be a list of strings.")
        items = [check_text(item, what=what, required=False) for item in value]
        return json.dumps(items, ensure_ascii=False)
    if f.kind == "choice":
        if value is None and not f.required:
            return None
        if value not in f.choices:
            raise InvalidInputError(f"{what} must be one of {', '.join(f.choices)}; got {value!r}.")
        return value
    return check_text(value, what=what, required=f.required)


def public_value(f: Field, stored: object) -> object:
    """Stored form back to the value a caller sees (lists decoded)."""
    if f.kind == "list":
        return json.loads(stored) if isinstance(stored, str) and stored else []
    return stored


def index_text(kind: Kind, values: dict[str, Any]) -> str:
    """The text the full-text index holds for one row."""
    parts: list[str] = []
    for name in kind.index_fields:
        value = values.get(name)
        if value is None or value == "":
            continue
        if kind.field(name).kind == "list":
            items = json.loads(value) if isinstance(value, str) else value
            parts.append(" ".join(items))
        else:
            parts.append(str(value))
    return "\n".join(parts)


def display_text(kind: Kind, values: dict[str, Any]) -> str:
    parts = [str(values[n]) for n in kind.display_fields if values.get(n)]
    return " — ".join(parts)
