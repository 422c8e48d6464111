"""The MCP server's tools as data: name, title, a description written for a
model, the JSON schema of the arguments, whether it writes, and what it runs
(a thin call of :class:`agents.tool_access.ToolAccess`, which applies the
safety rules and calls the Assistant facade). No MCP SDK here: mirix_app.mcp_server
turns these into the protocol's tools."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agents.tool_access import SEARCH_TYPES, WRITABLE_TYPES, ToolAccess
from storage import kind_named
from storage.kinds import Field

MAX_QUERY = 2000
MAX_IMAGES = 3
"""Screenshot images one search sends at most (each a JPEG of up to 1280 pixels)."""


@dataclass(frozen=True)
class Answer:
    data: dict[str, Any]
    images: list[bytes] = field(default_factory=list)
    """JPEG images to send along (screenshots, only when asked)."""


Run = Callable[[ToolAccess, dict[str, Any]], Answer]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...]
    writes: bool
    run: Run
    destructive: bool = False

    @property
    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": False,
        }


_TIME = {
    "type": "string",
    "description": "ISO-8601, e.g. 2025-06-01T14:00:00+02:00 or 2025-06-01; without an "
    "offset it is this computer's local time.",
}


def _time(what: str) -> dict[str, Any]:
    return {**_TIME, "description": f"{what} {_TIME['description']}"}


_ID = {"type": "string", "minLength": 1, "description": "A memory id, e.g. sem_1a2b3c…"}


def _field_line(name: str) -> str:
    kind = kind_named(name)
    return f"{name}: " + ", ".join(_describe(f) for f in kind.fields)


def _describe(f: Field) -> str:
    kind = {
        "time": " (ISO-8601 time)",
        "list": " (list of strings)",
        "int": " (integer)",
        "choice": f" ({'|'.join(f.choices)})",
        "text": "",
    }[f.kind]
    return f"{f.name}{'*' if f.required else ''}{kind}"


FIELDS_HELP = "Fields by type (* required): " + "; ".join(_field_line(t) for t in WRITABLE_TYPES)


def _search_memories(access: ToolAccess, args: dict[str, Any]) -> Answer:
    return Answer(
        access.search_memories(
            args["query"],
            types=args.get("types") or (),
            since=args.get("since"),
            until=args.get("until"),
            limit=args.get("limit", 10),
        )
    )


def _get_memory(access: ToolAccess, args: dict[str, Any]) -> Answer:
    return Answer(access.get(args["id"]))


def _search_screenshots(access: ToolAccess, args: dict[str, Any]) -> Answer:
    hits = access.search_screens(
        args["query"],
        since=args.get("since"),
        until=args.get("until"),
        app=args.get("app"),
        limit=args.get("limit", 5),
    )
    images: list[bytes] = []
    if args.get("include_images"):
        for hit in hits:
            data = access.screen_image(hit["id"]) if len(images) < MAX_IMAGES else None
            hit["image_attached"] = data is not None
            if data is not None:
                images.append(data)
    return Answer({"hits": hits}, images)


def _timeline(access: ToolAccess, args: dict[str, Any]) -> Answer:
    return Answer(access.timeline(args["since"], args["until"], limit=args.get("limit", 100)))


def _read_core(access: ToolAccess, args: dict[str, Any]) -> Answer:
    return Answer(access.core_blocks())


def _add(access: ToolAccess, args: dict[str, Any]) -> Answer:
    return Answer(access.add(args["type"], args["fields"]))


def _edit(access: ToolAccess, args: dict[str, Any]) -> Answer:
    return Answer(access.edit(args["id"], args["fields"]))


def _delete(access: ToolAccess, args: dict[str, Any]) -> Answer:
    return Answer(access.delete(args["id"]))


def _restore(access: ToolAccess, args: dict[str, Any]) -> Answer:
    return Answer(access.restore(args["id"]))


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "search_memories",
        "Search the user's memory",
        "Search what mirix-app remembers about the user from their screen and their chats: "
        "events (episodic), facts (semantic), how-tos (procedural), documents and links "
        "(resource), vault entries (by caption only), the core profile and raw chat "
        "messages. Words and meaning are both matched. Use it for questions like 'what do "
        "you know about my deploy procedure?' or 'when is the dentist appointment?'. Each "
        "hit has its type, id, text, time and the sources it came from (chat messages and "
        "screenshots, with their times), best first. A period in the query ('last month', "
        "'two weeks ago', 'in March') is counted from now and preferred; since and until "
        "require a range. Read a hit in full with get_memory. "
        "Secrets are never returned; e-mail addresses, phone numbers and keys appear as "
        "placeholders such as [EMAIL].",
        {
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_QUERY,
                "description": "What to look for, in words.",
            },
            "types": {
                "type": "array",
                "items": {"type": "string", "enum": list(SEARCH_TYPES)},
                "uniqueItems": True,
                "description": "Only these types (default: all of them).",
            },
            "since": _time("Only items at or after this time."),
            "until": _time("Only items at or before this time."),
            "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
        },
        ("query",),
        False,
        _search_memories,
    ),
    ToolSpec(
        "get_memory",
        "Read one memory",
        "Read one memory by its id (from search_memories, or a source's id: a chat "
        "message or a screenshot): all its fields, the sources it came from with their "
        "time and text, and for a memory every earlier version with who changed it "
        "(mirix-app itself, or another AI tool as mcp:NAME).",
        {"id": _ID},
        ("id",),
        False,
        _get_memory,
    ),
    ToolSpec(
        "search_screenshots",
        "Search what was on screen",
        "Search the screenshots mirix-app kept of the user's screen by what was on them "
        "(the text read from the screen, the window title, the app). Each hit has its time, "
        "app, window title and a snippet of the screen's text around the match. Set "
        "include_images to also get the first 3 screens as images (sensitive text blacked "
        "out; only where the image is still kept); ask for images only when the text is "
        "not enough.",
        {
            "query": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY},
            "since": _time("Only screens at or after this time."),
            "until": _time("Only screens at or before this time."),
            "app": {"type": "string", "description": "Only this application (part of its name)."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
            "include_images": {"type": "boolean", "default": False},
        },
        ("query",),
        False,
        _search_screenshots,
    ),
    ToolSpec(
        "timeline",
        "What happened between two times",
        "What was on the user's screen and what was said between two times, in time "
        "order, straight from what was recorded (no summary by a model): each window "
        "shown (app, title, from-to, how many screenshots, the text that appeared in it), "
        "each chat message and each event the memory holds, plus the time spent per app. "
        "Use it for 'what was I working on yesterday afternoon?' Keep the range to a few "
        "hours or days; long ranges are cut to the first `limit` entries (truncated).",
        {
            "since": _time("Start of the range."),
            "until": _time("End of the range."),
            "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100},
        },
        ("since", "until"),
        False,
        _timeline,
    ),
    ToolSpec(
        "read_core_memory",
        "Read the user's core profile",
        "The two core memory blocks: 'human' (who the user is: name, work, preferences, "
        "people close to them) and 'persona' (how the user wants the assistant to behave). "
        "Short; read it first to know the user.",
        {},
        (),
        False,
        _read_core,
    ),
    ToolSpec(
        "add_memory",
        "Remember something new",
        "Add a memory the user wants kept (it is recorded as written by this AI tool). "
        + FIELDS_HELP
        + ". tree_path is a category path, most general first, e.g. ['work', 'deploys'].",
        {
            "type": {"type": "string", "enum": list(WRITABLE_TYPES)},
            "fields": {"type": "object", "description": "The memory's fields (see above)."},
        },
        ("type", "fields"),
        True,
        _add,
    ),
    ToolSpec(
        "edit_memory",
        "Correct a memory",
        "Change some fields of a memory (only the fields given change). The memory keeps "
        "its id, the previous version stays in its history, recorded as changed by this AI "
        "tool, so the user can see and undo it.",
        {"id": _ID, "fields": {"type": "object", "description": "The fields to change."}},
        ("id", "fields"),
        True,
        _edit,
    ),
    ToolSpec(
        "delete_memory",
        "Delete a memory",
        "Delete a memory that is wrong or that the user wants forgotten. The delete is "
        "soft: the memory leaves search and lists but stays with its history, and "
        "restore_memory brings it back.",
        {"id": _ID},
        ("id",),
        True,
        _delete,
        destructive=True,
    ),
    ToolSpec(
        "restore_memory",
        "Undo a delete",
        "Bring back a memory deleted earlier (by delete_memory or by the user), as it was "
        "before the delete; the delete and the restore both stay in its history.",
        {"id": _ID},
        ("id",),
        True,
        _restore,
    ),
)
BY_NAME: dict[str, ToolSpec] = {t.name: t for t in TOOLS}


def offered(*, read_only: bool) -> tuple[ToolSpec, ...]:
    """The tools a server offers: without the writing ones when read-only."""
    return tuple(t for t in TOOLS if not (read_only and t.writes))
