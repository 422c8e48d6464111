"""The tools each memory agent may call: the whitelist its kind declares
(:attr:`storage.kinds.Kind.tools`), with JSON schemas mirroring the kind's fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agents.llm import Tool
from storage import MEMORY_TYPE_NAMES, kind_named
from storage.kinds import AgentTool, Field, Kind

_ID = {"type": "string", "description": "The id of a memory shown to you for this batch."}
ISO_TIME = (
    r"^[0-9]{4}-[01][0-9]-[0-3][0-9]"
    r"([T ][0-2][0-9]:[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?(Z|[+-][0-2][0-9]:[0-5][0-9])?)?$"
)
"""A date or date-time: checked before the store sees it, and a grammar for a local model."""


def _schema(f: Field) -> dict[str, Any]:
    if f.kind == "list":
        return {"type": "array", "items": {"type": "string"}}
    if f.kind == "choice":
        return {"type": "string", "enum": list(f.choices)}
    if f.kind == "int":
        return {"type": "integer"}
    if f.kind == "time":
        return {"type": "string", "description": "ISO-8601 time", "pattern": ISO_TIME}
    return {"type": "string"}


def _object(props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def _field_props(kind: Kind, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    return {f.name: _schema(f) for f in kind.fields if names is None or f.name in names}


def _required(kind: Kind, names: tuple[str, ...] | None) -> list[str]:
    return [f.name for f in kind.fields if f.required and (names is None or f.name in names)]


def _insert(kind: Kind, spec: AgentTool) -> Tool:
    return Tool(
        f"{kind.name}_insert",
        spec.help or f"Store a new {kind.name} memory.",
        _object(_field_props(kind, spec.fields), _required(kind, spec.fields)),
    )


def _update(kind: Kind, spec: AgentTool) -> Tool:
    return Tool(
        f"{kind.name}_update",
        spec.help or f"Change fields of a {kind.name} memory shown to you (the id stays).",
        _object({"memory_id": _ID, **_field_props(kind, spec.fields)}, ["memory_id"]),
    )


def _merge(kind: Kind, spec: AgentTool) -> Tool:
    return Tool(
        f"{kind.name}_merge",
        spec.help or f"Add to a {kind.name} memory shown to you (the same thing seen again).",
        _object(
            {"memory_id": _ID, "details_to_append": {"type": "string", "minLength": 1}},
            ["memory_id", "details_to_append"],
        ),
    )


def _delete(kind: Kind, spec: AgentTool) -> Tool:
    return Tool(
        f"{kind.name}_delete",
        spec.help or f"Soft-delete a {kind.name} memory shown to you that is wrong or obsolete.",
        _object({"memory_id": _ID}, ["memory_id"]),
    )


# A fixed block's line operations (the core blocks): the block is named by its label.


def _label(kind: Kind) -> dict[str, Any]:
    return {"type": "string", "enum": list(kind.field("label").choices)}


def _append(kind: Kind, spec: AgentTool) -> Tool:
    return Tool(
        f"{kind.name}_append",
        spec.help or f"Add one line to a {kind.name} block.",
        _object(
            {"label": _label(kind), "line": {"type": "string", "minLength": 1}}, ["label", "line"]
        ),
    )


def _replace_line(kind: Kind, spec: AgentTool) -> Tool:
    return Tool(
        f"{kind.name}_replace_line",
        spec.help or f"Replace line line_number (1-based) of a {kind.name} block.",
        _object(
            {
                "label": _label(kind),
                "line_number": {"type": "integer", "minimum": 1},
                "text": {"type": "string"},
            },
            ["label", "line_number", "text"],
        ),
    )


def _rewrite(kind: Kind, spec: AgentTool) -> Tool:
    return Tool(
        f"{kind.name}_rewrite",
        spec.help or f"Replace a whole {kind.name} block with new text.",
        _object({"label": _label(kind), "text": {"type": "string"}}, ["label", "text"]),
    )


_BUILDERS: dict[str, Callable[[Kind, AgentTool], Tool]] = {
    "insert": _insert,
    "update": _update,
    "merge": _merge,
    "delete": _delete,
    "append": _append,
    "replace_line": _replace_line,
    "rewrite": _rewrite,
}


def tools_for(type_name: str) -> list[Tool]:
    """The whitelisted tools of one memory type's agent, as its kind lists them."""
    if type_name not in MEMORY_TYPE_NAMES:
        raise ValueError(f"Unknown memory type {type_name!r}.")
    kind = kind_named(type_name)
    return [_BUILDERS[spec.operation](kind, spec) for spec in kind.tools]


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
