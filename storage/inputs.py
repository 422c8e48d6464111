"""Reading what users and models hand in: JSON values, JSON Lines files, text.

Every JSON input of the app goes through :func:`parse_json` and every JSON
Lines file through :func:`json_lines`, so each format fails the same way, as an
:class:`InvalidInputError` the caller prefixes with where it was:

- lines are split on ``\\n`` only (a ``\\r`` before it is dropped): a raw
  U+2028, U+2029 or U+0085 inside a JSON string is valid JSON Lines, and
  ``str.splitlines()`` would cut the line there;
- nesting deeper than :data:`MAX_DEPTH` (Python's JSON reader recurses, and so
  do the schema checks after it), numbers JSON cannot hold (more than 4,300
  digits, ``NaN``, ``Infinity``, ``1e999``) are refused, not a crash;
- a lone surrogate (``"\\ud800"``, half of a UTF-16 pair, valid JSON) becomes
  U+FFFD in every string and key: no UTF-8 encoder takes it, so it would break
  the database, the tokenizer and the terminal further on. :func:`clean_text`
  does the same for text from elsewhere (a command-line argument with bytes
  that are not UTF-8 arrives with such surrogates).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from storage.errors import InvalidInputError

MAX_DEPTH = 100
"""Deepest nesting of arrays and objects accepted (the app's formats use 4)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_TOO_DEEP = f"not usable JSON (nested deeper than {MAX_DEPTH} levels)."


def clean_text(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (the replacement
    character), so it can be stored, tokenized and printed."""
    return _SURROGATE.sub("\ufffd", text)


def json_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines of a JSON Lines text with their numbers (from 1), split on
    ``\\n`` only; blank lines included (callers skip them)."""
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, line.removesuffix("\r")


def parse_json(text: str) -> Any:
    """The JSON value in ``text``, its strings cleaned (:func:`clean_text`);
    InvalidInputError saying why when it is not JSON this app can use (a
    sentence starting in lower case: callers put where before it)."""
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except json.JSONDecodeError as exc:
        what = exc.msg.removesuffix(" at")  # "Invalid control character at"
        raise InvalidInputError(f"not valid JSON ({what} at character {exc.pos}).") from None
    except RecursionError:
        raise InvalidInputError(_TOO_DEEP) from None
    except ValueError as exc:  # too many digits, or a number refused below
        raise InvalidInputError(f"not usable JSON ({_number_problem(exc)}).") from None
    return _cleaned(value, 0)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _number_problem(exc: ValueError) -> str:
    message = str(exc)
    if "digits" in message:  # int() past sys.get_int_max_str_digits()
        return "a number with more than 4,300 digits"
    return message


def _cleaned(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (list, dict)):
        if depth >= MAX_DEPTH:
            raise InvalidInputError(_TOO_DEEP)
        if isinstance(value, list):
            return [_cleaned(item, depth + 1) for item in value]
        return {clean_text(key): _cleaned(item, depth + 1) for key, item in value.items()}
    return value
