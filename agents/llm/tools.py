"""Tools offered to the model, the calls it makes, and checking those calls.

A call is checked before any handler sees it: its arguments must be a JSON
object that validates against the tool's JSON schema, and the tool must be one
of those offered. :func:`check_call` returns the problem as a sentence the
model can act on, or None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from storage.errors import InvalidInputError
from storage.inputs import parse_json


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
        )


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    """A JSON schema for the arguments object."""

    def __post_init__(self) -> None:
        jsonschema.Draft202012Validator.check_schema(self.parameters)

    def to_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    """The parsed arguments; empty when ``raw_arguments`` is not a JSON object."""
    raw_arguments: str = ""
    parse_error: str | None = None

    @classmethod
    def parse(cls, call_id: str, name: str, raw: str | None) -> ToolCall:
        text = raw or ""
        if not text.strip():
            return cls(call_id, name, {}, text)
        try:
            value = parse_json(text)  # deep nesting, huge numbers: refused, not a crash
        except InvalidInputError as exc:
            return cls(call_id, name, {}, text, f"the arguments are {str(exc).rstrip('.')}")
        if not isinstance(value, dict):
            return cls(call_id, name, {}, text, "the arguments must be a JSON object")
        return cls(call_id, name, value, text)


def check_call(call: ToolCall, tools: Sequence[Tool]) -> str | None:
    """Why ``call`` cannot be run, as a sentence for the model; None when it is valid."""
    by_name = {t.name: t for t in tools}
    tool = by_name.get(call.name)
    if tool is None:
        known = ", ".join(sorted(by_name)) or "none"
        return f"Error: there is no tool named {call.name!r}; the tools are: {known}."
    if call.parse_error:
        return f"Error: {call.parse_error}; call {call.name} again with a JSON object."
    validator = jsonschema.Draft202012Validator(tool.parameters)
    problems = sorted(validator.iter_errors(call.arguments), key=lambda e: list(e.path))
    if not problems:
        return None
    described = "; ".join(_describe(e) for e in problems[:5])
    return f"Error: invalid arguments for {call.name}: {described}. Call it again, corrected."


def _describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message
