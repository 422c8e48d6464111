"""Property: every input format the command line reads, fed generated values
(lone surrogates, control characters, every Unicode line separator, huge
numbers, deep nesting, odd times), ends in exit 0, or exit 1 with one 'Error:'
line and nothing written; never a traceback.

Formats: message JSON Lines, screenshot manifests, export files, --json-body,
queries (an argument and a --queries file), settings values. Each test runs a
bounded number of examples (the CLI runs in-process, about half a second each
when it loads the embedder), so the suite stays fast.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from agents.settings import SETTINGS
from mirix_app.cli import cli
from tests.fakes import db_dump
from tests.mirix_app.clirun import ok, run

FUZZ = settings(
    # A longer hunt: MIRIX_APP_FUZZ_EXAMPLES=500 python -m pytest tests/mirix_app/test_cli_fuzz.py
    max_examples=int(os.environ.get("MIRIX_APP_FUZZ_EXAMPLES", "12")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SEPARATORS = ["\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
ODD = ["\x00", "\ud800", "\udfff", "\udce9", "\ufeff", "\u200b", "\u202e", "é", "東", "🍣"]
chars = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
    st.sampled_from(SEPARATORS + ODD),
)
texts = st.text(chars, max_size=30)
times = st.one_of(
    st.sampled_from(
        [
            "2024-03-01T10:00:00Z",
            "0001-01-01T00:00:00Z",
            "0999-05-01",
            "9999-12-31T23:59:59.999999Z",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:00:00-05:00",
            "999-05-01T00:00:00.000000Z",
            "yesterday",
        ]
    ),
    texts,
)
# Raw JSON for a value: deep nesting and numbers JSON readers choke on.
raw_values = st.one_of(
    st.integers(1, 5000).map(lambda d: "[" * d + "]" * d),
    st.integers(1, 3000).map(lambda d: '{"a":' * d + "1" + "}" * d),
    st.integers(4000, 6000).map(lambda n: "9" * n),
    st.sampled_from(["NaN", "-Infinity", "1e999", "-0", "1.5", "true", "null", '"\\ud800"']),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)


def encoded(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


@st.composite
def json_objects(draw: st.DrawFn, base: dict[str, Any]) -> str:
    """A JSON object text: ``base`` with some fields changed to generated values,
    some of them spliced in as raw JSON; or, now and then, broken JSON."""
    fields = dict(base)
    raw: dict[str, str] = {}
    for key in draw(st.lists(st.sampled_from([*base, "extra", ""]), max_size=3)):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            fields[key] = draw(texts)
        elif choice == 1:
            fields[key] = draw(json_values)
        elif choice == 2:
            fields[key] = draw(times)
        else:
            raw[key] = draw(raw_values)
            fields.pop(key, None)
    text = encoded(fields, draw(st.booleans()))
    for key, value in raw.items():
        text = text[:-1] + ("," if len(text) > 2 else "") + f"{json.dumps(key)}:{value}}}"
    if draw(st.integers(0, 9)) == 0:
        text = text[: draw(st.integers(0, len(text)))]  # torn
    return text


def jsonl(lines: list[str], separator: str = "\n") -> bytes:
    # surrogatepass: a raw surrogate in the file is bytes that are not UTF-8
    return separator.join(lines).encode("utf-8", "surrogatepass")


def run_with(data: Path, command: list[str], *values: str) -> Result:
    """``mirix-app COMMAND --data-dir DATA --json -- VALUES``: a generated value
    starting with "-" is a value, not an option."""
    args = [*command, "--data-dir", str(data), "--json", "--", *values]
    return CliRunner().invoke(cli, args, prog_name="mirix-app")


def check(result: Result, data: Path, before: str) -> None:
    """Exit 0, or exit 1 with one 'Error:' line and nothing written; no crash."""
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), (result.exception, result.output[-2000:])
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1), (result.exit_code, result.output[-2000:])
    if result.exit_code == 1:
        error = result.stderr.strip()
        assert error.startswith("Error: ") and "\n" not in error, error
        assert db_dump(data / "mirix.db") == before


def fresh(data: Path) -> str:
    ok(data, "stats")  # the database exists, so "nothing written" can be checked
    return db_dump(data / "mirix.db")


MESSAGE = {"external_id": "e1", "speaker": "Ann", "text": "hello", "at": "2024-03-01T10:00:00Z"}


@FUZZ
@given(
    lines=st.lists(json_objects(MESSAGE), min_size=1, max_size=4),
    skip=st.booleans(),
    separator=st.sampled_from(["\n", "\r\n"]),
)
def test_message_files(tmp_path: Path, lines: list[str], skip: bool, separator: str) -> None:
    data = tmp_path / "data"
    before = fresh(data)
    path = tmp_path / "m.jsonl"
    path.write_bytes(jsonl(lines, separator))
    args = ["import", "messages", str(path), *(["--skip-invalid"] if skip else [])]
    check(run(data, *args), data, before)


IMAGES = ["not-an-image.png", "thin.png", "small.png", "missing.png"]
manifest_lines = st.sampled_from(IMAGES).flatmap(
    lambda image: json_objects({"path": image, "at": "2024-03-01", "external_id": image})
)


@FUZZ
@given(lines=st.lists(manifest_lines, max_size=3))
def test_screenshot_manifests(tmp_path: Path, lines: list[str]) -> None:
    data = tmp_path / "data"
    before = fresh(data)
    (tmp_path / "not-an-image.png").write_bytes(b"not an image")
    Image.new("RGB", (100_000, 1), "white").save(tmp_path / "thin.png")  # rapidocr failed
    Image.new("RGB", (40, 20), "white").save(tmp_path / "small.png")
    path = tmp_path / "manifest.jsonl"
    path.write_bytes(jsonl(lines))
    check(run(data, "screens", "import", str(path)), data, before)


HEADER = {"record": "header", "format": "mirix-app-export", "version": 1, "schema": 9}
ROW = {
    "record": "row",
    "type": "semantic",
    "id": "sem_0123456789abcdef0123",
    "created_at": "2024-03-01T10:00:00.000000Z",
    "updated_at": "2024-03-01T10:00:00.000000Z",
    "deleted_at": None,
    "version": 1,
    "name": "Miso",
    "summary": "the kitten",
    "tree_path": "[]",
}
HISTORY = {
    "record": "history",
    "memory_id": "sem_0123456789abcdef0123",
    "type": "semantic",
    "version": 1,
    "change": "update",
    "changed_at": "2024-03-01T10:00:00.000000Z",
    "data": "{}",
}


@FUZZ
@given(lines=st.lists(st.one_of(json_objects(ROW), json_objects(HISTORY)), max_size=3))
def test_export_files(tmp_path: Path, lines: list[str]) -> None:
    data = tmp_path / "data"
    before = fresh(data)
    path = tmp_path / "export.jsonl"
    path.write_bytes(jsonl([json.dumps(HEADER), *lines]))
    check(run(data, "import", str(path)), data, before)


@FUZZ
@given(
    body=json_objects({"name": "Miso", "summary": "the kitten"}),
    command=st.sampled_from(["add", "edit"]),
)
def test_json_bodies(tmp_path: Path, body: str, command: str) -> None:
    data = tmp_path / "data"
    target = ["add", "semantic"]
    if command == "edit":
        ok(data, "add", "semantic", "--json-body", json.dumps({"name": "n", "summary": "s"}))
        hits = json.loads(ok(data, "search", "n", "--type", "semantic", "--json").stdout)["hits"]
        target = ["edit", hits[0]["id"]]
    before = fresh(data)
    check(run(data, *target, "--json-body", body), data, before)


@FUZZ
@given(
    query=texts,
    lines=st.lists(json_objects({"id": "q1", "query": "kitten", "limit": 3}), max_size=3),
    command=st.sampled_from([["search"], ["screens", "search"]]),
)
def test_queries(tmp_path: Path, query: str, lines: list[str], command: list[str]) -> None:
    data = tmp_path / "data"
    before = fresh(data)
    check(run_with(data, command, query), data, before)
    path = tmp_path / "queries.jsonl"
    path.write_bytes(jsonl(lines))
    check(run(data, *command, "--queries", str(path), "--json"), data, before)


@FUZZ
@given(
    name=st.sampled_from([s.name for s in SETTINGS]),
    value=st.one_of(texts, raw_values, json_values.map(json.dumps)),
)
def test_settings_values(tmp_path: Path, name: str, value: str) -> None:
    data = tmp_path / "data"
    before = fresh(data)
    settings_file = data / "settings.json"
    stored = settings_file.read_bytes() if settings_file.exists() else None
    result = run_with(data, ["config", "set"], name, value)
    check(result, data, before)
    if result.exit_code == 1:
        assert (settings_file.read_bytes() if settings_file.exists() else None) == stored
    ok(data, "config", "show", "--json")  # what was stored reads back
