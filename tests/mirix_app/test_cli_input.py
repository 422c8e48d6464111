"""Odd but possible input through the command line: early years, texts no UTF-8
encoder takes, deep nesting, huge numbers, line separators inside JSON strings.
Each is stored as given (cleaned where that is what a user wants) or refused
with one 'Error:' line naming the line; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes import write_jsonl
from tests.mirix_app.clirun import fails, ok, ok_json, run


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
