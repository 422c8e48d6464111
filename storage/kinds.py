"""The memory types and raw source kinds: their fields, validation, the text each
one puts in the full-text index, and each type's policy: how people and models
see it (labels, the agents' guide and tools, the fields a prompt shows, what is
never shown), and whether its rows are fixed or pinned.

Everything that differs between memory types is declared here, on the
:class:`Kind`; the stores, the agents, the chat, the command line and the
desktop app read it from the kind instead of asking which type they hold. A new
memory type is a :class:`Kind` registered here (:func:`register_kind`) and a
migration of each storage engine that makes its table.

This module is data plus small pure functions; the stores read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, overload

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
class AgentTool:
    """One tool of a memory type's agent (agents.memory_agents.tools builds its
    schema from the operation and the kind's fields)."""

    operation: str
    """``insert``, ``update``, ``merge`` (append text to a field of a memory shown)
    or ``delete``; a core block's line operations are ``append``, ``replace_line``
    and ``rewrite``."""
    help: str = ""
    """What the tool does, as the model reads it; empty: the operation's own wording."""
    fields: tuple[str, ...] | None = None
    """The fields it takes (insert, update; merge: the one field it appends to);
    None: every field of the kind."""


DEFAULT_TOOLS = (AgentTool("insert"), AgentTool("update"), AgentTool("delete"))
"""A memory type's agent: store a new memory, change or delete one it was shown.
The first tool is the one the meta-agent gets to write a new memory itself."""


@dataclass(frozen=True)
class Withheld:
    """Rows never shown to a model or another AI tool (and asked about before they
    are shown on screen): those whose ``field`` holds one of ``values``."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Kind:
    """A memory type (or raw source kind), how it is stored and indexed, and its
    policy (see the module docstring)."""

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
    """Fields stored encrypted (see :mod:`storage.secrets`); never indexed, never in
    a search hit, a prompt or another AI tool's view."""
    label: str = ""
    """One item's type as people read it ("Resource"): the chat's source labels."""
    plural: str = ""
    """Items of the type as a list is titled ("Resources"): the memory browser's tabs."""
    list_fields: tuple[str, ...] = ()
    """What one row of a list shows (the memory browser): these fields' values."""
    guide: str = ""
    """What the type holds, as the meta-agent and the type's agent are told."""
    tools: tuple[AgentTool, ...] = DEFAULT_TOOLS
    """The tools of the type's memory agent."""
    prompt_fields: tuple[str, ...] | None = None
    """The fields a model is shown of an item (None: all but the secret ones)."""
    withheld: Withheld | None = None
    """Rows never shown to a model or to another AI tool."""
    fixed: bool = False
    """Its rows are made with the database and stay (the core blocks): none is added,
    deleted or forgotten by anyone; they are only edited."""
    fixed_fields: tuple[str, ...] = ()
    """Fields that never change once a row is made (a core block's label)."""
    pinned: bool = False
    """Its rows go whole into every chat and meta-agent prompt instead of being
    searched for (the core blocks: who the user is)."""
    embed_fields: tuple[str, ...] = ()
    """The fields a row's text vector is made from, in order (empty: its index
    fields), joined by ``embed_separator``."""
    embed_separator: str = "\n"
    ranking: Literal["rank", "score"] = "rank"
    """How search fuses its keyword and vector lists (:mod:`storage.search`): rank
    fusion, or score fusion with the closest chunk and the image (screenshots)."""
    field_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", frozenset(f.name for f in self.fields))

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def withholds(self, values: Mapping[str, Any]) -> bool:
        """Whether an item with these field values is never shown to a model or to
        another AI tool (a high-sensitivity vault item)."""
        rule = self.withheld
        return rule is not None and values.get(rule.field) in rule.values

    def prompt_view(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The fields of an item a model may read (no secret, empty ones left out)."""
        names = self.prompt_fields if self.prompt_fields is not None else self.field_names
        return {
            f.name: values.get(f.name)
            for f in self.fields
            if f.name in names
            and f.name not in self.secret_fields
            and values.get(f.name) not in (None, "", [])
        }

    def list_text(self, values: Mapping[str, Any]) -> str:
        """One line for a list of items: the ``list_fields`` that have a value."""
        parts = []
        for name in self.list_fields:
            value = values.get(name)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            if value not in (None, ""):
                parts.append(" · ".join(str(value).split("\n")))
        return " — ".join(parts)


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
    label="Core",
    plural="Core",
    list_fields=("label", "text"),
    guide="lasting facts about the user (human block) and how the assistant should "
    "behave with them (persona block): name, preferences, relationships",
    tools=(
        AgentTool("append", "Add one line to a core block."),
        AgentTool(
            "replace_line",
            "Replace line line_number (1-based) of a core block; empty text removes it.",
        ),
        AgentTool("rewrite", "Replace a whole core block with new text (to condense it)."),
    ),
    fixed=True,
    fixed_fields=("label",),
    pinned=True,
    embed_fields=("text",),  # a block's lines, not its label
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
    label="Episodic",
    plural="Episodic",
    list_fields=("summary",),
    guide="events with a time: what happened, who did it, when",
    tools=(
        AgentTool("insert", "Record a new event (what happened, when, who)."),
        AgentTool(
            "merge",
            "Add details to an event shown to you (the same event seen again).",
            ("details",),
        ),
        AgentTool(
            "update",
            "Correct the summary or details of an event shown to you.",
            ("summary", "details"),
        ),
        AgentTool("delete"),
    ),
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
    label="Semantic",
    plural="Semantic",
    list_fields=("name", "summary"),
    guide="general knowledge and facts about people, places, things and concepts",
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
    label="Procedural",
    plural="Procedural",
    list_fields=("summary",),
    guide="how-tos: workflows, guides, scripts, step by step",
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
    label="Resource",
    plural="Resources",
    list_fields=("title", "summary"),
    guide="documents, files, links and their content",
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
    label="Vault",
    plural="Vault",
    list_fields=("caption", "entry_type", "sensitivity"),
    guide="credentials and sensitive data: passwords, keys, account numbers, addresses",
    # A model (and another AI tool) reads a vault item by its caption alone, and a
    # high-sensitivity one not at all.
    prompt_fields=("caption",),
    withheld=Withheld("sensitivity", ("high",)),
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
    embed_separator=": ",  # "Ann: see you at the harbour"
    is_memory=False,
    actor_field="speaker",
    label="Message",
    plural="Messages",
    list_fields=("speaker", "text"),
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
    label="Screenshot",
    plural="Screenshots",
    ranking="score",
    list_fields=("app", "window_title"),
)


T = TypeVar("T")


class Registered(Sequence[T]):
    """A read-only sequence that :func:`register_kind` extends in place, so every
    module that took it (at import) sees a type registered later. Compares equal
    to a tuple of the same items."""

    def __init__(self, items: Sequence[T] = ()) -> None:
        self._items: list[T] = list(items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(tuple(self._items))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Registered | tuple | list):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._items))

    def __repr__(self) -> str:
        return repr(tuple(self._items))

    def _append(self, item: T) -> None:
        self._items.append(item)

    def _insert(self, index: int, item: T) -> None:
        self._items.insert(index, item)


MEMORY_KINDS: Registered[Kind] = Registered(
    (CORE, EPISODIC, SEMANTIC, PROCEDURAL, RESOURCE, KNOWLEDGE_VAULT)
)
SOURCE_KINDS: tuple[Kind, ...] = (MESSAGE, SCREENSHOT)
ALL_KINDS: Registered[Kind] = Registered((*MEMORY_KINDS, *SOURCE_KINDS))
"""The memory types, then the raw source kinds."""
BY_NAME: dict[str, Kind] = {k.name: k for k in ALL_KINDS}
BY_PREFIX: dict[str, Kind] = {k.prefix: k for k in ALL_KINDS}
MEMORY_TYPE_NAMES: Registered[str] = Registered(tuple(k.name for k in MEMORY_KINDS))


def register_kind(kind: Kind) -> None:
    """Add a memory type after the six built-in ones (a plugin, or a test proving
    that a type needs nothing but its kind and a migration). Call it before the
    modules that list the types are imported: they read these sequences then. Its
    table comes from a migration of each storage engine."""
    if not kind.is_memory:
        raise InvalidInputError(f"{kind.name}: only memory types can be registered.")
    for taken, what in ((BY_NAME, kind.name), (BY_PREFIX, kind.prefix)):
        if what in taken:
            raise InvalidInputError(f"A type already uses {what!r}.")
    MEMORY_KINDS._append(kind)
    ALL_KINDS._insert(len(MEMORY_KINDS) - 1, kind)
    MEMORY_TYPE_NAMES._append(kind.name)
    BY_NAME[kind.name] = kind
    BY_PREFIX[kind.prefix] = kind


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


def index_text(kind: Kind, values: Mapping[str, Any]) -> str:
    """The text the full-text index holds for one row."""
    return "\n".join(_texts(kind, values, kind.index_fields))


def embedding_text(kind: Kind, values: Mapping[str, Any]) -> str:
    """The text a row's vector is made from (when it is stored and when it is
    embedded anew): its embed fields."""
    return kind.embed_separator.join(_texts(kind, values, kind.embed_fields or kind.index_fields))


def _texts(kind: Kind, values: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The named fields' values as text (a list as its items), empty ones left out."""
    parts: list[str] = []
    for name in names:
        value = values.get(name)
        if value is None or value == "":
            continue
        if kind.field(name).kind == "list":
            items = json.loads(value) if isinstance(value, str) else value
            parts.append(" ".join(items))
        else:
            parts.append(str(value))
    return parts


def display_text(kind: Kind, values: dict[str, Any]) -> str:
    parts = [str(values[n]) for n in kind.display_fields if values.get(n)]
    return " — ".join(parts)
