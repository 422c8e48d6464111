"""Tool calls for a model without native tool calling: the reply schema, the prompt
that explains it, and reading the reply back.

The reply is one JSON object ``{"tool_calls": [{"name": ..., "arguments": {...}},
...]}``. :func:`call_schema` builds its JSON schema from the offered tools: each
entry is one tool's name (a constant) with that tool's argument schema, tightened
so that generation always ends (every free string gets a maximum length, every
array a maximum size, every object no extra keys) and says something (strings and
arrays are not empty). llama.cpp turns the schema into
a grammar, so the model cannot write anything else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import jsonschema

from agents.llm.tools import Tool, ToolCall

MAX_CALLS = 4
"""Calls in one reply."""
MAX_STRING = 120
"""Characters of a free-text argument."""
MAX_ITEMS = 3
FREE_TEXT = f'^[^<"\\\\][^"\\\\]{{0,{MAX_STRING - 1}}}$'
"""A free-text argument: 1 to MAX_STRING characters, no quote or backslash (no JSON
escapes for a small model to get wrong), and not starting with ``<``, so the
example's placeholders (``"<name>"``) cannot be copied into a memory."""
"""Items of an array argument."""


def call_schema(tools: Sequence[Tool], *, required: bool) -> dict[str, Any]:
    """The schema of a reply: 0..MAX_CALLS calls (at least one when ``required``, and
    exactly one when the one tool offered is required)."""
    variants = [
        _closed(
            {"name": {"const": tool.name}, "arguments": bounded(lean(tool.parameters))},
            ["name", "arguments"],
        )
        for tool in tools
    ]
    calls = {
        "type": "array",
        "items": {"anyOf": variants},
        "minItems": 1 if required else 0,
        "maxItems": 1 if required and len(tools) == 1 else MAX_CALLS,
    }
    return _closed({"tool_calls": calls}, ["tool_calls"])


def lean(parameters: dict[str, Any]) -> dict[str, Any]:
    """Tool arguments with only the required ones, where at least two are required.

    A small model fills every optional field it is offered, mostly by repeating
    itself, and each costs generation time; a tool with one required argument (an
    update: the id) keeps its optional ones, which carry the change."""
    required = list(parameters.get("required") or ())
    props: dict[str, Any] = parameters.get("properties") or {}
    if len(required) < 2:
        return parameters
    return {**parameters, "properties": {k: v for k, v in props.items() if k in required}}


def bounded(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with limits that make every value it allows finite and non-empty."""
    out = dict(schema)
    kind = out.get("type")
    if kind == "string" and not {"enum", "const", "pattern"} & out.keys():
        out.pop("minLength", None)
        out.pop("maxLength", None)
        out["pattern"] = FREE_TEXT
    elif kind == "array":
        # At least one item: asked for a list, a small model that is unsure answers an
        # empty one (the meta-agent then assigns no work at all).
        out["minItems"] = max(int(out.get("minItems", 1)), 1)
        out["maxItems"] = min(int(out.get("maxItems", MAX_ITEMS)), MAX_ITEMS)
        if isinstance(out.get("items"), dict):
            out["items"] = bounded(out["items"])
    elif kind == "object":
        props = out.get("properties") or {}
        out["properties"] = {name: bounded(sub) for name, sub in props.items()}
        out["additionalProperties"] = False
    for key in ("anyOf", "oneOf"):
        if isinstance(out.get(key), list):
            out[key] = [bounded(sub) for sub in out[key]]
    return out


def _closed(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


# -- the prompt ----------------------------------------------------------------------------


def with_tool_instructions(
    messages: Sequence[dict[str, Any]], tools: Sequence[Tool], *, required: bool
) -> list[dict[str, Any]]:
    """``messages`` with the tools and the reply format explained at the start of the
    system prompt. First, not last: a small model copies the example's placeholders
    when the example is the last thing it read, and the data when the data is."""
    head = tool_instructions(tools, required=required)
    out = [dict(m) for m in messages]
    if out and out[0].get("role") == "system":
        out[0]["content"] = f"{head}\n\n{_text(out[0])}"
    else:
        out.insert(0, {"role": "system", "content": head})
    return out


def tool_instructions(tools: Sequence[Tool], *, required: bool) -> str:
    lines = [
        'Reply with JSON only: {"tool_calls": [CALL, ...]} where each CALL is '
        '{"name": TOOL, "arguments": {...}}, at most '
        f"{MAX_CALLS} calls."
        + ("" if required else ' Reply {"tool_calls": []} when there is nothing to do.'),
        "Tools:",
    ]
    lines += [
        f"- {tool.name}: {tool.description} Arguments: {_signature(lean(tool.parameters))}"
        for tool in tools
    ]
    first = lean(tools[0].parameters)
    example = {"tool_calls": [{"name": tools[0].name, "arguments": example_arguments(first)}]}
    lines.append(f"Example reply: {json.dumps(example, ensure_ascii=False)}")
    return "\n".join(lines)


def _signature(parameters: dict[str, Any]) -> str:
    props: dict[str, Any] = parameters.get("properties") or {}
    required = set(parameters.get("required") or ())
    parts = [
        f"{name} ({_type_name(sub)}{', required' if name in required else ''})"
        for name, sub in props.items()
    ]
    return ", ".join(parts) or "none"


def _type_name(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + "/".join(str(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return "list of " + _type_name(schema.get("items") or {})
    names = {"string": "text", "integer": "whole number", "number": "number"}
    text = names.get(str(kind), str(kind or "value"))
    description = schema.get("description")
    return f"{text}, {description}" if isinstance(description, str) else text


def example_arguments(parameters: dict[str, Any]) -> dict[str, Any]:
    """Arguments for the example reply: the required ones, each with a value of its type."""
    props: dict[str, Any] = parameters.get("properties") or {}
    required = parameters.get("required") or list(props)
    return {name: _example(name, props.get(name) or {}) for name in required}


def _example(name: str, schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer" or kind == "number":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "array":
        return [_example(name, schema.get("items") or {})]
    if kind == "object":
        return {k: _example(k, v) for k, v in (schema.get("properties") or {}).items()}
    return f"<{name}>"


# -- the conversation --------------------------------------------------------------------


def chat_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """OpenAI-style messages as plain role/content pairs the model's chat template
    takes: an assistant's tool calls become the JSON it would have written, a tool
    result becomes a user message naming the call it answers."""
    names: dict[str, str] = {}
    out: list[dict[str, str]] = []
    for message in messages:
        role = str(message.get("role") or "user")
        calls = message.get("tool_calls") or []
        if role == "assistant" and calls:
            shown = []
            for call in calls:
                function = call.get("function") or {}
                names[str(call.get("id"))] = str(function.get("name"))
                shown.append({"name": function.get("name"), "arguments": _json(function)})
            out.append({"role": "assistant", "content": json.dumps({"tool_calls": shown})})
        elif role == "tool":
            name = names.get(str(message.get("tool_call_id")), "a tool")
            out.append({"role": "user", "content": f"Result of {name}: {_text(message)}"})
        else:
            out.append({"role": role, "content": _text(message)})
    return out


def _json(function: dict[str, Any]) -> Any:
    try:
        return json.loads(function.get("arguments") or "{}")
    except ValueError:
        return function.get("arguments")


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts: keep the text ones (no images here)
        return "\n".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type", "text") == "text"
        )
    return "" if content is None else str(content)


# -- reading the reply -------------------------------------------------------------------


def parse_calls(
    text: str, schema: dict[str, Any], *, strict: bool
) -> tuple[list[ToolCall] | None, str]:
    """The calls in a constrained reply, or (None, the problem). ``strict`` also wants
    the whole reply valid against ``schema``; otherwise any well-formed call list is
    returned and each call is checked later, against its tool, like any model's."""
    try:
        reply = json.loads(text, strict=False)
    except ValueError as exc:
        # A reply cut off at the token limit: the calls it finished still count.
        finished = finished_calls(text)
        if not finished:
            return None, f"not JSON: {exc}"
        reply = {"tool_calls": finished}
    if strict:
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(schema).iter_errors(reply)
        )
        if error is not None:
            return None, f"not a valid call: {error.message}"
    raw_calls = reply.get("tool_calls") if isinstance(reply, dict) else None
    if not isinstance(raw_calls, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) for c in raw_calls
    ):
        return None, "no list of named tool calls"
    calls: list[ToolCall] = []
    seen: set[str] = set()
    for raw in raw_calls:
        arguments = json.dumps(raw.get("arguments", {}), ensure_ascii=False, sort_keys=True)
        key = f"{raw['name']}:{arguments}"
        if key in seen:  # a small model repeats itself; the same call twice is one call
            continue
        seen.add(key)
        calls.append(ToolCall.parse(f"call_{len(calls)}", raw["name"], arguments))
    return calls, ""


def finished_calls(text: str) -> list[Any]:
    """The complete entries of a ``{"tool_calls": [...`` reply that was cut off.

    A constrained reply is valid JSON up to the point where generation stopped, so
    every entry of the list before that point is a whole call."""
    start = text.find("[", max(text.find('"tool_calls"'), 0))
    if start < 0 or '"tool_calls"' not in text[:start]:
        return []
    decoder = json.JSONDecoder(strict=False)
    calls: list[Any] = []
    at = start + 1
    while True:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:
            return calls
        calls.append(value)
