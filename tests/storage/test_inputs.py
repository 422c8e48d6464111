"""storage/inputs.py: JSON and text from users and models, read the same way everywhere."""

from __future__ import annotations

import pytest

from storage import InvalidInputError
from storage.inputs import MAX_DEPTH, clean_text, json_lines, parse_json


def test_lines_split_at_line_feeds_only() -> None:
    text = '{"t": "a\u2028b\x85c\u2029d"}\r\n\n{"t": 2}'
    assert list(json_lines(text)) == [
        (1, '{"t": "a\u2028b\x85c\u2029d"}'),
        (2, ""),
        (3, '{"t": 2}'),
    ]
    assert parse_json(next(json_lines(text))[1]) == {"t": "a\u2028b\x85c\u2029d"}


def test_lone_surrogates_become_the_replacement_character_in_keys_and_values() -> None:
    assert clean_text("caf\udce9 \ud83d") == "caf\ufffd \ufffd"
    assert clean_text("paired \U0001f363 stays") == "paired \U0001f363 stays"
    value = parse_json('{"\\udc00k": ["x \\ud800", {"y": "\\ud83d\\ude00"}]}')
    assert value == {"\ufffdk": ["x \ufffd", {"y": "\U0001f600"}]}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{torn", "not valid JSON (Expecting property name"),
        ("[" * 100_000 + "]" * 100_000, f"nested deeper than {MAX_DEPTH} levels"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        ("9" * 5000, "a number with more than 4,300 digits"),
        ('{"a": NaN}', "NaN is not a number JSON allows"),
        ("[-Infinity]", "-Infinity is not a number JSON allows"),
        ("1e999", "the number 1e999 is too large"),
    ],
)
def test_json_no_reader_can_use_is_one_clear_error(text: str, error: str) -> None:
    with pytest.raises(InvalidInputError, match="JSON") as caught:
        parse_json(text)
    assert error in str(caught.value) and str(caught.value).endswith(".")


def test_nesting_up_to_the_limit_is_read() -> None:
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    value = parse_json(deep)
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == []
