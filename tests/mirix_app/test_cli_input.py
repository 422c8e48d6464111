"""Odd but possible input through the command line: early years, texts no UTF-8
encoder takes, deep nesting, huge numbers, line separators inside JSON strings.
Each is stored as given (cleaned where that is what a user wants) or refused
with one 'Error:' line naming the line; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes import write_jsonl
from tests.mirix_app.clirun import fails, ok, ok_json, run


@pytest.mark.sqlite_only  # restores into a second, separate memory
def test_a_date_before_year_1000_is_stored_printed_exported_and_imported(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    body = {"occurred_at": "0999-05-01T00:00:00Z", "summary": "The Althing meets"}
    added = ok_json(data, "add", "episodic", "--json-body", json.dumps(body))
    assert added["occurred_at"] == "0999-05-01T00:00:00.000000Z"
    assert "occurred_at: 0999-05-01T00:00:00.000000Z" in ok(data, "show", added["id"]).stdout
    early = {"speaker": "Ann", "text": "At the very start", "at": "0001-01-01T00:00:00Z"}
    messages = write_jsonl(tmp_path / "m.jsonl", [early])
    assert ok_json(data, "import", "messages", str(messages))["imported"] == 1

    backup = tmp_path / "backup.jsonl"
    ok(data, "export", str(backup))
    restored = tmp_path / "restored"
    counts = ok_json(restored, "import", str(backup))
    assert (counts["episodic"], counts["message"]) == (2, 1)
    # "0999" sorts before every later year, so time filters hold
    early = ok_json(restored, "search", "Althing", "--until", "1000-01-01", "--type", "episodic")
    assert early["hits"][0]["id"] == added["id"]
    late = ok_json(restored, "search", "Althing", "--since", "1000-01-01")["hits"]
    assert late == []


def test_a_time_with_no_utc_form_is_refused_with_its_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rows = [{"speaker": "Ann", "text": "x", "at": "0001-01-01T00:00:00+01:00"}]
    fails(
        run(data, "import", "messages", str(write_jsonl(tmp_path / "m.jsonl", rows))),
        "line 1",
        "outside the years 1 to 9999",
    )


@pytest.mark.sqlite_only  # restores into a second, separate memory
def test_an_export_written_with_short_years_still_imports(tmp_path: Path) -> None:
    data = tmp_path / "data"
    body = {"occurred_at": "1999-05-01T00:00:00Z", "summary": "old"}
    ok_json(data, "add", "episodic", "--json-body", json.dumps(body))
    backup = tmp_path / "backup.jsonl"
    ok(data, "export", str(backup))
    # what an earlier version wrote for year 999
    old = backup.read_text(encoding="utf-8").replace("1999-05-01", "999-05-01")
    backup.write_text(old, encoding="utf-8")
    assert ok_json(tmp_path / "restored", "import", str(backup))["episodic"] == 1


LONE = "x \ud800 y"
"""A JSON-escaped lone surrogate ("\\ud800") arrives in Python as this."""


def test_a_lone_surrogate_is_replaced_wherever_text_comes_in(tmp_path: Path) -> None:
    data = tmp_path / "data"
    escaped = json.dumps({"external_id": "s1", "speaker": "Ann", "text": LONE, "at": "2024-01-01"})
    assert "\\ud800" in escaped
    path = tmp_path / "m.jsonl"
    path.write_text(escaped + "\n", encoding="utf-8")
    assert ok_json(data, "import", "messages", str(path), "--skip-invalid")["imported"] == 1
    body = json.dumps({"name": LONE, "summary": "kept"})
    added = ok_json(data, "add", "semantic", "--json-body", body)
    assert added["name"] == "x \ufffd y"
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"id": "q", "query": LONE}) + "\n", encoding="utf-8")
    assert ok_json(data, "search", "--queries", str(queries))["hits"]
    # An argument with bytes that are not UTF-8 ("caf\xe9") arrives with a surrogate.
    found = ok_json(data, "search", "caf\udce9 y")
    assert found["query"] == "caf\ufffd y" and found["hits"]
    assert ok_json(data, "screens", "search", "x \udce9")["hits"] == []


DEEP = "[" * 100_000 + "]" * 100_000


def test_deep_nesting_and_huge_numbers_are_one_error_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    messages = tmp_path / "m.jsonl"
    messages.write_text(f'{{"speaker": "A", "text": {DEEP}, "at": "2024-01-01"}}\n')
    fails(run(data, "import", "messages", str(messages)), "line 1", "nested deeper than 100")
    manifest = tmp_path / "screens.jsonl"
    manifest.write_text(f'{{"path": {DEEP}}}\n{{"path": "missing.png"}}\n')
    report = ok_json(data, "screens", "import", str(manifest))
    assert [p["line"] for p in report["skipped_invalid"]] == [1, 2]
    assert "nested deeper than 100" in report["skipped_invalid"][0]["error"]
    fails(run(data, "add", "semantic", "--json-body", '{"name": ' + DEEP[:40_000] + "}"), "nested")
    huge = '{"name": ' + "9" * 5000 + ', "summary": "s"}'
    fails(run(data, "add", "semantic", "--json-body", huge), "more than 4,300 digits")
    fails(run(data, "add", "semantic", "--json-body", '{"name": NaN}'), "NaN")


@pytest.mark.sqlite_only  # restores into a second, separate memory
def test_line_separators_inside_json_strings_stay_in_the_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    text = "one\u2028two\x85three\u2029four\x0cfive"
    row = {"external_id": "sep", "speaker": "Ann", "text": text, "at": "2024-01-01"}
    path = tmp_path / "m.jsonl"
    path.write_bytes((json.dumps(row, ensure_ascii=False) + "\r\n").encode("utf-8"))
    assert ok_json(data, "import", "messages", str(path))["imported"] == 1
    [hit] = ok_json(data, "search", "three", "--type", "message")["hits"]
    assert hit["text"] == text
    backup = tmp_path / "backup.jsonl"
    ok(data, "export", str(backup))  # written with the separators raw
    assert "\u2028" in backup.read_text(encoding="utf-8")
    assert ok_json(tmp_path / "restored", "import", str(backup))["message"] == 1


def test_a_usage_error_exits_2_as_the_readme_says() -> None:
    result = run(None, "search", "--limit", "0", "x")
    assert result.exit_code == 2 and "Error: Invalid value for '--limit'" in result.stderr
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "exits with status 2" in readme
