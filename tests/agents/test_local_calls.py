"""The embedded model's tool-call format (agents/llm/local_calls.py), without the model:
the reply schema, the prompt, the conversation it sees, and reading replies back."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from agents.llm import Tool
from agents.llm.local_calls import (
    FREE_TEXT,
    MAX_CALLS,
    MAX_STRING,
    call_schema,
    chat_messages,
    parse_calls,
    tool_instructions,
    with_tool_instructions,
)
from agents.llm.tools import check_call
from agents.memory_agents import DISPATCH, tools_for

NOTE = Tool(
    "note_add",
    "Store a note.",
    {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "body": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["title", "body"],
    },
)
FORGET = Tool(
    "note_forget",
    "Forget a note.",
    {"type": "object", "properties": {"note_id": {"type": "string"}}, "required": ["note_id"]},
)


def reply(*calls: tuple[str, dict[str, Any]]) -> str:
    return json.dumps({"tool_calls": [{"name": n, "arguments": a} for n, a in calls]})


def test_the_reply_schema_admits_only_calls_of_the_offered_tools() -> None:
    schema = call_schema([NOTE, FORGET], required=False)
    valid = jsonschema.Draft202012Validator(schema)
    assert valid.is_valid(json.loads(reply(("note_add", {"title": "Rex", "body": "A beagle"}))))
    assert valid.is_valid({"tool_calls": []})
    assert not valid.is_valid(json.loads(reply(("note_delete_all", {}))))
    assert not valid.is_valid(json.loads(reply(("note_forget", {"note_id": 3}))))
    assert not valid.is_valid(json.loads(reply(("note_add", {"title": "Rex"}))))
    too_many = [("note_forget", {"note_id": f"n{i}"}) for i in range(MAX_CALLS + 1)]
    assert not valid.is_valid(json.loads(reply(*too_many)))


def test_every_reply_the_schema_admits_is_a_valid_call_of_its_tool() -> None:
    """The constrained schema is a subset of each tool's own: a reply the grammar lets
    through passes the same check as any provider's call (for the real agent tools)."""
    tools = tools_for("semantic")
    schema = call_schema(tools, required=True)
    variants = schema["properties"]["tool_calls"]["items"]["anyOf"]
    for tool, variant in zip(tools, variants, strict=True):
        arguments = variant["properties"]["arguments"]
        assert arguments["additionalProperties"] is False
        for name, sub in arguments["properties"].items():
            assert name in tool.parameters["properties"]
            if sub.get("type") == "string" and "enum" not in sub:
                assert sub["pattern"] == FREE_TEXT
        assert set(arguments.get("required", [])) == set(tool.parameters["required"])


def test_free_text_is_bounded_and_never_an_example_placeholder() -> None:
    text = re.compile(FREE_TEXT)
    assert text.search("Maya lives in Lisbon")
    assert text.search("x" * MAX_STRING)
    assert not text.search("x" * (MAX_STRING + 1))
    assert not text.search("")
    assert not text.search("<name>")
    assert not text.search('say "hi"')


def test_a_tool_with_several_required_arguments_offers_only_those() -> None:
    """A small model fills every optional field by repeating itself; an update tool
    (one required id) keeps its optional fields, which carry the change."""
    schema = call_schema(tools_for("semantic"), required=False)
    by_name = {
        v["properties"]["name"]["const"]: v["properties"]["arguments"]
        for v in schema["properties"]["tool_calls"]["items"]["anyOf"]
    }
    assert set(by_name["semantic_insert"]["properties"]) == {"name", "summary"}
    assert "summary" in by_name["semantic_update"]["properties"]


def test_one_required_tool_means_exactly_one_call() -> None:
    schema = call_schema([DISPATCH], required=True)
    calls = schema["properties"]["tool_calls"]
    assert (calls["minItems"], calls["maxItems"]) == (1, 1)
    assignments = calls["items"]["anyOf"][0]["properties"]["arguments"]["properties"]
    assert assignments["assignments"]["minItems"] == 1


def test_time_arguments_keep_their_pattern() -> None:
    schema = call_schema(tools_for("episodic"), required=False)
    insert = schema["properties"]["tool_calls"]["items"]["anyOf"][0]["properties"]["arguments"]
    pattern = re.compile(insert["properties"]["occurred_at"]["pattern"])
    assert pattern.search("2024-03-02") and pattern.search("2024-03-02T10:00:00Z")
    assert not pattern.search("last Saturday")


def test_the_instructions_come_first_with_every_tool_and_an_example() -> None:
    messages = [
        {"role": "system", "content": "You are the semantic agent."},
        {"role": "user", "content": "Go."},
    ]
    shown = with_tool_instructions(messages, [NOTE, FORGET], required=False)
    assert [m["role"] for m in shown] == ["system", "user"]
    head = str(shown[0]["content"])
    assert head.endswith("You are the semantic agent.")
    assert "note_add" in head and "note_forget" in head and '{"tool_calls": []}' in head
    example = next(line for line in head.splitlines() if line.startswith("Example reply: "))
    parsed = json.loads(example.removeprefix("Example reply: "))
    assert parsed["tool_calls"][0]["name"] == "note_add"
    assert messages[0]["content"] == "You are the semantic agent."  # not changed in place
    assert "nothing to do" not in tool_instructions([NOTE], required=True)


def test_tool_turns_become_plain_messages_the_chat_template_takes() -> None:
    conversation = [
        {"role": "system", "content": "sys"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "hello"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "note_forget", "arguments": '{"note_id": "n1"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": "Error: no note n1."},
    ]
    chat = chat_messages(conversation)
    assert all(isinstance(m["content"], str) for m in chat)
    assert chat[1] == {"role": "user", "content": "hello"}
    assert json.loads(chat[2]["content"]) == {
        "tool_calls": [{"name": "note_forget", "arguments": {"note_id": "n1"}}]
    }
    assert chat[3] == {"role": "user", "content": "Result of note_forget: Error: no note n1."}


def test_parsing_a_reply_checks_it_against_the_schema_when_strict() -> None:
    schema = call_schema([NOTE, FORGET], required=False)
    good = reply(
        ("note_add", {"title": "Rex", "body": "A beagle"}), ("note_forget", {"note_id": "n1"})
    )
    calls, problem = parse_calls(good, schema, strict=True)
    assert problem == "" and calls is not None
    assert [(c.id, c.name) for c in calls] == [("call_0", "note_add"), ("call_1", "note_forget")]
    assert all(check_call(c, [NOTE, FORGET]) is None for c in calls)

    calls, problem = parse_calls('{"tool_calls": [{"name": "note_add"', schema, strict=True)
    assert calls is None and problem.startswith("not JSON")
    calls, problem = parse_calls('{"tool_calls": [', schema, strict=True)
    assert calls is None and problem.startswith("not JSON")
    wrong = reply(("note_add", {"title": "Rex"}))
    calls, problem = parse_calls(wrong, schema, strict=True)
    assert calls is None and "not a valid call" in problem


def test_a_reply_cut_off_at_the_token_limit_keeps_the_calls_it_finished() -> None:
    schema = call_schema([NOTE, FORGET], required=True)
    whole = reply(
        ("note_add", {"title": "Rex", "body": "A beagle"}), ("note_forget", {"note_id": "n1"})
    )
    cut = whole[: whole.index('{"name": "note_forget"') + 20]
    calls, problem = parse_calls(cut, schema, strict=True)
    assert problem == "" and calls is not None
    assert [(c.name, c.arguments) for c in calls] == [
        ("note_add", {"title": "Rex", "body": "A beagle"})
    ]
    # A finished call that breaks the schema is still refused when strict.
    bad = reply(("note_add", {"title": "Rex"}), ("note_forget", {"note_id": "n1"}))
    calls, problem = parse_calls(bad[: bad.index('{"name": "note_forget"')], schema, strict=True)
    assert calls is None and "not a valid call" in problem


def test_the_last_try_passes_a_bad_call_on_to_be_refused_like_any_other() -> None:
    schema = call_schema([NOTE, FORGET], required=False)
    calls, _ = parse_calls(reply(("note_add", {"title": "Rex"})), schema, strict=False)
    assert calls is not None and len(calls) == 1
    problem = check_call(calls[0], [NOTE, FORGET])
    assert problem is not None and "body" in problem
    calls, problem = parse_calls('["note_add"]', schema, strict=False)
    assert calls is None and problem


def test_a_call_repeated_in_one_reply_counts_once() -> None:
    schema = call_schema([FORGET], required=False)
    twice = reply(("note_forget", {"note_id": "n1"}), ("note_forget", {"note_id": "n1"}))
    calls, _ = parse_calls(twice, schema, strict=True)
    assert calls is not None and len(calls) == 1


@pytest.mark.parametrize(
    "text", ['{"tool_calls": [{"name": "x", "arguments": {"a": "line\nbreak"}}]}']
)
def test_raw_line_breaks_inside_strings_are_read(text: str) -> None:
    calls, _ = parse_calls(text, {}, strict=False)
    assert calls is not None and calls[0].arguments == {"a": "line\nbreak"}
