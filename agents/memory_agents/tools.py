"""The tools each memory agent may call: a whitelist per memory type, with JSON
schemas mirroring the fields in storage/kinds.py."""

from __future__ import annotations

from typing import Any

from agents.llm import Tool
from storage import MEMORY_TYPE_NAMES, kind_named
from storage.kinds import Field

_ID = {"type": "string", "description": "The id of a memory shown to you for this batch."}


def _schema(f: Field) -> dict[str, Any]:
    if f.kind == "list":
        return {"type": "array", "items": {"type": "string"}}
    if f.kind == "choice":
        return {"type": "string", "enum": list(f.choices)}
    if f.kind == "int":
        return {"type": "integer"}
    if f.kind == "time":
        return {"type": "string", "description": "ISO-8601 time"}
    return {"type": "string"}


def _object(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def _field_props(type_name: str, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    kind = kind_named(type_name)
    return {f.name: _schema(f) for f in kind.fields if names is None or f.name in names}


def _required(type_name: str) -> list[str]:
    return [f.name for f in kind_named(type_name).fields if f.required]


def _delete(type_name: str) -> Tool:
    return Tool(
        f"{type_name}_delete",
        f"Soft-delete a {type_name} memory shown to you that is wrong or obsolete.",
        _object({"memory_id": _ID}, ["memory_id"]),
    )


def _core_tools() -> list[Tool]:
    label = {"type": "string", "enum": ["persona", "human"]}
    return [
        Tool(
            "core_append",
            "Add one line to a core block.",
            _object(
                {"label": label, "line": {"type": "string", "minLength": 1}}, ["label", "line"]
            ),
        ),
        Tool(
            "core_replace_line",
            "Replace line line_number (1-based) of a core block; empty text removes it.",
            _object(
                {
                    "label": label,
                    "line_number": {"type": "integer", "minimum": 1},
                    "text": {"type": "string"},
                },
                ["label", "line_number", "text"],
            ),
        ),
        Tool(
            "core_rewrite",
            "Replace a whole core block with new text (to condense it).",
            _object({"label": label, "text": {"type": "string"}}, ["label", "text"]),
        ),
    ]


def _episodic_tools() -> list[Tool]:
    fields = ("occurred_at", "actor", "event_type", "summary", "details", "tree_path")
    return [
        Tool(
            "episodic_insert",
            "Record a new event (what happened, when, who).",
            _object(_field_props("episodic", fields), _required("episodic")),
        ),
        Tool(
            "episodic_merge",
            "Add details to an event shown to you (the same event seen again).",
            _object(
                {"memory_id": _ID, "details_to_append": {"type": "string", "minLength": 1}},
                ["memory_id", "details_to_append"],
            ),
        ),
        Tool(
            "episodic_update",
            "Correct the summary or details of an event shown to you.",
            _object(
                {"memory_id": _ID, **_field_props("episodic", ("summary", "details"))},
                ["memory_id"],
            ),
        ),
        _delete("episodic"),
    ]


def _typed_tools(type_name: str) -> list[Tool]:
    return [
        Tool(
            f"{type_name}_insert",
            f"Store a new {type_name} memory.",
            _object(_field_props(type_name), _required(type_name)),
        ),
        Tool(
            f"{type_name}_update",
            f"Change fields of a {type_name} memory shown to you (the id stays).",
            _object({"memory_id": _ID, **_field_props(type_name)}, ["memory_id"]),
        ),
        _delete(type_name),
    ]


def tools_for(type_name: str) -> list[Tool]:
    """The whitelisted tools of one memory type's agent."""
    if type_name == "core":
        return _core_tools()
    if type_name == "episodic":
        return _episodic_tools()
    if type_name not in MEMORY_TYPE_NAMES:
        raise ValueError(f"Unknown memory type {type_name!r}.")
    return _typed_tools(type_name)


DISPATCH = Tool(
    "dispatch",
    "Assign work to the memory agents: one entry per memory type that has something to "
    "store or change; an empty list when nothing in the batch is worth remembering.",
    _object(
        {
            "assignments": {
                "type": "array",
                "items": _object(
                    {
                        "memory_type": {"type": "string", "enum": list(MEMORY_TYPE_NAMES)},
                        "instruction": {"type": "string", "minLength": 1},
                    },
                    ["memory_type", "instruction"],
                ),
            }
        },
        ["assignments"],
    ),
)


def meta_tools() -> list[Tool]:
    """The meta-agent's tools when it writes new memories itself: dispatch, plus each
    type's tool for a NEW memory (core_append, <type>_insert). It gets no tool that
    changes or deletes an existing memory; that is the dispatched agents' work."""
    return [DISPATCH, *(tools_for(t)[0] for t in MEMORY_TYPE_NAMES)]


def type_of_tool(name: str) -> str | None:
    """The memory type a tool name belongs to (``knowledge_vault_insert`` ->
    ``knowledge_vault``), or None."""
    for type_name in sorted(MEMORY_TYPE_NAMES, key=len, reverse=True):
        if name.startswith(type_name + "_"):
            return type_name
    return None
