"""mirix_app/cli.py: every command, in-process, with the real MiniLM embedder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from mirix_app.cli import cli
from tests.fakes import (
    BODIES,
    CJK_TEXT,
    EMOJI_TEXT,
    SAMPLE_MESSAGES,
    message,
    write_jsonl,
)
from tests.mirix_app.clirun import fails, ok, ok_json, run, stored

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = (
    "import",
    "search",
    "add",
    "show",
    "edit",
    "delete",
    "restore",
    "history",
    "export",
    "stats",
    "core",
)


def _all_commands() -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []

    def walk(prefix: str, group: click.Group) -> None:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                walk(f"{prefix}{name} ", command)
            else:
                out.append((f"{prefix}{name}", command))

    walk("", cli)
    return out


# -- the command set ---------------------------------------------------------------


def test_help_lists_every_command() -> None:
    result = ok(None, "--help")
    listed = re.findall(r"^  (\w+)", result.stdout, flags=re.MULTILINE)
    assert set(COMMANDS) <= set(listed)
    core = ok(None, "core", "--help").stdout
    for sub in ("show", "append", "replace", "rewrite"):
        assert re.search(rf"^  {sub}\b", core, flags=re.MULTILINE)
    assert "messages" in ok(None, "import", "--help").stdout


@pytest.mark.parametrize(("name", "command"), _all_commands(), ids=[n for n, _ in _all_commands()])
def test_every_command_takes_data_dir_and_json_and_has_help(
    name: str, command: click.Command
) -> None:
    options = {opt for p in command.params for opt in getattr(p, "opts", [])}
    assert {"--data-dir", "--json"} <= options
    assert (command.help or "").strip()
    assert ok(None, *name.split(), "--help").stdout.startswith("Usage: mirix-app")


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in _all_commands():
        if command.hidden:  # 'import FILE' is the default of the import group
            name = "import FILE"
        words = name.split()
        assert f"mirix-app {words[0]}" in readme, name
        if len(words) > 1 and words[0] == "core":
            assert words[1] in readme, name


def test_version() -> None:
    assert "0.1.0" in ok(None, "--version").stdout


# -- import messages, search -------------------------------------------------------


def test_import_messages_reports_and_stores(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES)
    result = ok(data, "import", "messages", str(path))
    assert "Imported 6 message(s) and 6 episodic" in result.stdout
    again = ok_json(data, "import", "messages", str(path))
    assert (again["imported"], again["skipped_existing"]) == (0, 6)
    counts = stored(data)
    assert (counts["messages"], counts["episodic"], counts["provenance"]) == (6, 6, 6)


def test_search_json_shape(loaded: Path) -> None:
    out = ok_json(loaded, "search", "guitar lessons at the music school")
    assert set(out) == {"query", "period", "hits"}
    assert out["period"] is None
    assert out["query"] == "guitar lessons at the music school"
    assert out["hits"]
    for hit in out["hits"]:
        assert {"type", "id", "score", "text", "sources"} <= set(hit)
        assert hit["type"] in ("episodic", "message")
        assert isinstance(hit["score"], float)
        for source in hit["sources"]:
            assert set(source) == {"kind", "id", "external_id"}
    top = out["hits"][0]
    assert "guitar" in top["text"]
    assert [s["external_id"] for s in top["sources"]] == ["D2:1"]


def test_provenance_on_episodic_and_message_hits(loaded: Path) -> None:
    query = "guitar lessons at the music school"
    episodic = ok_json(loaded, "search", query, "--type", "episodic")["hits"]
    messages = ok_json(loaded, "search", query, "--type", "message")["hits"]
    assert {h["type"] for h in episodic} == {"episodic"}
    assert {h["type"] for h in messages} == {"message"}
    assert episodic[0]["sources"][0]["external_id"] == "D2:1"
    assert episodic[0]["sources"][0]["kind"] == "message"
    msg = messages[0]
    assert msg["sources"] == [{"kind": "message", "id": msg["id"], "external_id": "D2:1"}]
    assert episodic[0]["sources"][0]["id"] == msg["id"]
    shown = ok_json(loaded, "show", episodic[0]["id"])
    assert shown["sources"][0]["external_id"] == "D2:1"
    human = ok(loaded, "search", query, "--type", "episodic").stdout
    assert "from: D2:1" in human


def test_search_filters_type_time_and_limit(loaded: Path) -> None:
    hits = ok_json(loaded, "search", "Caroline Melanie", "--limit", "50")["hits"]
    assert {s["external_id"] for h in hits for s in h["sources"]} == {
        m["external_id"] for m in SAMPLE_MESSAGES
    }
    june = ok_json(
        loaded,
        "search",
        "Caroline Melanie",
        "--since",
        "2023-06-01",
        "--until",
        "2023-06-30T23:59:59Z",
        "--limit",
        "50",
    )["hits"]
    assert june
    assert {h["at"][:7] for h in june} == {"2023-06"}
    early = ok_json(
        loaded,
        "search",
        "Caroline Melanie",
        "--until",
        "2023-05-31",
        "--limit",
        "50",
        "--type",
        "message",
    )["hits"]
    assert {h["type"] for h in early} == {"message"}
    assert {h["sources"][0]["external_id"] for h in early} == {"D1:1", "D1:2"}
    two = ok_json(loaded, "search", "Caroline Melanie", "--limit", "2")["hits"]
    assert len(two) == 2
    both = ok_json(loaded, "search", "pottery", "--type", "message", "--type", "episodic")
    assert {h["type"] for h in both["hits"]} <= {"message", "episodic"}
    assert ok_json(loaded, "search", "pottery", "--type", "semantic")["hits"] == []


def test_search_human_output(loaded: Path) -> None:
    out = ok(loaded, "search", "pottery class with the kids", "--limit", "3").stdout
    assert out.startswith(" 1. ████████  [")
    assert "Pottery class" in out
    assert "No matches." in ok(loaded, "search", "pottery", "--type", "resource").stdout


def test_batch_search_prints_one_json_line_per_query(loaded: Path, tmp_path: Path) -> None:
    queries = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"id": "q1", "query": "guitar lessons", "limit": 2},
            {"id": "q2", "query": "painted a sunrise over the lake"},
            {"id": "q3", "query": CJK_TEXT, "limit": 1},
        ],
    )
    result = ok(loaded, "search", "--queries", str(queries), "--json", "--limit", "4")
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["q1", "q2", "q3"]
    assert all(set(x) == {"id", "period", "hits"} for x in lines)
    assert [x["period"] for x in lines] == [None, None, None]
    assert [len(x["hits"]) for x in lines] == [2, 4, 1]
    assert lines[0]["hits"][0]["sources"][0]["external_id"] == "D2:1"
    assert lines[1]["hits"][0]["sources"][0]["external_id"] == "D1:2"
    assert lines[2]["hits"][0]["sources"][0]["external_id"] == "D3:1"
    for hit in (h for x in lines for h in x["hits"]):
        assert {"type", "id", "score", "text", "sources"} <= set(hit)
    human = ok(loaded, "search", "--queries", str(queries)).stdout
    assert "== q1: guitar lessons" in human


def test_a_period_in_the_query_is_read_against_when_it_is_asked(
    loaded: Path, tmp_path: Path
) -> None:
    # Asked on 2023-06-25, "this week" is the week of the pottery class (June 20);
    # asked on 2023-05-10, the week of the sunrise (May 8).
    queries = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"id": "week", "query": "what fun did we have this week", "at": "2023-06-25T12:00"},
            {"id": "may", "query": "what fun did we have this week", "at": "2023-05-10T12:00"},
        ],
    )
    lines = [
        json.loads(x)
        for x in ok(loaded, "search", "--queries", str(queries), "--json").stdout.splitlines()
    ]
    week, may = lines
    assert week["period"]["words"] == ["this week"]
    # As named: Monday June 19 (the question's zone, UTC here) until it is asked.
    assert (week["period"]["since"], week["period"]["until"]) == (
        "2023-06-19T00:00:00.000000Z",
        "2023-06-25T12:00:00.000000Z",
    )
    assert week["hits"][0]["sources"][0]["external_id"] == "D2:2"
    assert may["period"]["since"] < "2023-05-08T13:57" < may["period"]["until"]

    def rank(hits: list[dict], turn: str) -> int:
        return [h["sources"][0]["external_id"] for h in hits].index(turn)

    # Asked in May, the May turns rise and the pottery class scores less (still found).
    assert rank(may["hits"], "D1:2") < rank(week["hits"], "D1:2")
    pottery = [w["hits"][rank(w["hits"], "D2:2")]["score"] for w in (may, week)]
    assert pottery[0] < pottery[1]
    human = ok(loaded, "search", "--queries", str(queries)).stdout
    assert 'Period asked about ("this week"): 2023-06-' in human
    single = ok_json(loaded, "search", "pottery yesterday")
    assert single["period"]["words"] == ["yesterday"]


def test_cjk_and_emoji_are_imported_found_and_shown(loaded: Path) -> None:
    hits = ok_json(loaded, "search", CJK_TEXT, "--type", "message")["hits"]
    assert hits[0]["text"] == CJK_TEXT
    assert hits[0]["sources"][0]["external_id"] == "D3:1"
    hits = ok_json(loaded, "search", EMOJI_TEXT, "--type", "message")["hits"]
    assert hits[0]["text"] == EMOJI_TEXT
    shown = ok(loaded, "show", hits[0]["id"]).stdout
    assert EMOJI_TEXT in shown


@pytest.mark.sqlite_only  # where the SQLite file goes
def test_data_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIRIX_APP_HOME", str(tmp_path / "env-home"))
    info = ok_json(None, "stats")
    assert Path(info["data_dir"]) == tmp_path / "env-home"
    assert (tmp_path / "env-home" / "mirix.db").exists()


# -- add, show, edit, delete, restore, history ------------------------------------


@pytest.mark.parametrize("type_name", sorted(BODIES))
def test_add_and_show_each_type(tmp_path: Path, type_name: str) -> None:
    data = tmp_path / "data"
    added = ok_json(data, "add", type_name, "--json-body", json.dumps(BODIES[type_name]))
    assert added["type"] == type_name
    assert added["version"] == 1
    shown = ok_json(data, "show", added["id"], "--reveal")
    assert shown == added | {k: shown[k] for k in ("secret_value",) if k in added}
    for name, value in BODIES[type_name].items():
        if name != "occurred_at":
            assert shown[name] == value
    assert ok(
        data, "add", type_name, "--json-body", json.dumps(BODIES[type_name])
    ).stdout.startswith("Added ")
    words = {
        "episodic": "Mount Tam",
        "semantic": "climbing partner",
        "procedural": "release the app",
        "resource": "Quarterly report",
        "knowledge_vault": "GitHub token",
    }[type_name]
    hits = ok_json(data, "search", words, "--type", type_name)["hits"]
    assert added["id"] in {h["id"] for h in hits}
    assert stored(data)[type_name] == 2


def test_core_cannot_be_added(tmp_path: Path) -> None:
    fails(
        run(tmp_path / "d", "add", "core", "--json-body", '{"label": "human", "text": "x"}'),
        "core",
        "fixed blocks",
        "edit them",
    )


def test_vault_secrets_are_masked_in_show_and_history_unless_revealed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = ok_json(
        data, "add", "knowledge_vault", "--json-body", json.dumps(BODIES["knowledge_vault"])
    )
    vault = added["id"]
    ok(data, "edit", vault, "--json-body", '{"secret_value": "rotated-NEW-secret"}')
    human = ok(data, "show", vault).stdout
    assert "ghp_s3cr3t-VALUE" not in human and "rotated-NEW-secret" not in human
    assert "GitHub token for CI" in human and "use --reveal" in human
    assert ok_json(data, "show", vault)["secret_value"] == "••••••"
    assert ok_json(data, "show", vault, "--reveal")["secret_value"] == "rotated-NEW-secret"
    for args in (("history", vault), ("history", vault, "--json")):
        out = ok(data, *args).stdout
        assert "ghp_s3cr3t-VALUE" not in out and "rotated-NEW-secret" not in out, out
        assert "••••" in out
    shown = ok_json(data, "history", vault, "--reveal")
    assert shown["history"][0]["data"]["secret_value"] == "ghp_s3cr3t-VALUE"
    assert shown["current"]["secret_value"] == "rotated-NEW-secret"


def test_show_a_raw_message(loaded: Path) -> None:
    hit = ok_json(loaded, "search", "guitar", "--type", "message")["hits"][0]
    shown = ok_json(loaded, "show", hit["id"])
    assert shown["type"] == "message"
    assert shown["external_id"] == "D2:1"
    assert shown["speaker"] == "Caroline"


def test_edit_keeps_the_id_bumps_the_version_and_writes_history(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = ok_json(data, "add", "semantic", "--json-body", json.dumps(BODIES["semantic"]))
    edited = ok_json(
        data, "edit", added["id"], "--json-body", '{"summary": "Jordan moved to Lisbon"}'
    )
    assert (edited["id"], edited["version"]) == (added["id"], 2)
    assert edited["summary"] == "Jordan moved to Lisbon"
    assert edited["name"] == "Jordan"
    human = ok(data, "edit", added["id"], "--json-body", '{"details": "2024"}').stdout
    assert f"Updated {added['id']} to version 3" in human

    history = ok_json(data, "history", added["id"])
    assert history["id"] == added["id"]
    assert history["current"]["version"] == 3
    assert [(h["version"], h["change"]) for h in history["history"]] == [
        (1, "update"),
        (2, "update"),
    ]
    assert history["history"][0]["data"]["summary"] == BODIES["semantic"]["summary"]
    assert history["history"][1]["data"]["summary"] == "Jordan moved to Lisbon"
    hits = ok_json(data, "search", "Lisbon", "--type", "semantic")["hits"]
    assert [h["id"] for h in hits] == [added["id"]]
    text = ok(data, "history", added["id"]).stdout
    assert "v1 " in text
    assert "v3 " in text
    assert "current" in text


def test_delete_is_soft_and_restore_brings_it_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = ok_json(data, "add", "resource", "--json-body", json.dumps(BODIES["resource"]))
    query = ("search", "Quarterly report revenue", "--type", "resource")
    assert [h["id"] for h in ok_json(data, *query)["hits"]] == [added["id"]]

    deleted = ok_json(data, "delete", added["id"])
    assert deleted["deleted_at"] is not None
    assert ok_json(data, *query)["hits"] == []
    shown = ok_json(data, "show", added["id"])
    assert shown["deleted_at"] is not None
    assert shown["title"] == "Quarterly report"
    assert "deleted" in ok(data, "show", added["id"]).stdout
    stats = ok_json(data, "stats")
    assert stats["counts"]["resource"] == {"live": 0, "deleted": 1}

    restored = ok(data, "restore", added["id"])
    assert f"Restored {added['id']}" in restored.stdout
    assert [h["id"] for h in ok_json(data, *query)["hits"]] == [added["id"]]
    assert ok_json(data, "stats")["counts"]["resource"] == {"live": 1, "deleted": 0}
    changes = [h["change"] for h in ok_json(data, "history", added["id"])["history"]]
    assert changes == ["delete", "restore"]
    assert "restore it with" in ok(data, "delete", added["id"]).stdout


# -- core -------------------------------------------------------------------------


def test_core_show_append_replace_rewrite(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert "(empty)" in ok(data, "core", "show", "human").stdout
    ok(data, "core", "append", "human", "Name: Sam")
    block = ok_json(data, "core", "append", "human", "Likes: 登山 🏔")
    assert block["text"] == "Name: Sam\nLikes: 登山 🏔"
    assert block["version"] == 3
    replaced = ok_json(data, "core", "replace", "human", "1", "Name: Samantha")
    assert replaced["text"] == "Name: Samantha\nLikes: 登山 🏔"
    shown = ok(data, "core", "show", "human").stdout
    assert "  1  Name: Samantha" in shown
    assert "  2  Likes: 登山 🏔" in shown
    removed = ok_json(data, "core", "replace", "human", "2", "")
    assert removed["text"] == "Name: Samantha"
    rewritten = ok_json(data, "core", "rewrite", "persona", "Warm and brief")
    assert (rewritten["id"], rewritten["text"]) == ("core_persona", "Warm and brief")
    assert ok_json(data, "core", "show", "persona")["text"] == "Warm and brief"
    hits = ok_json(data, "search", "Samantha", "--type", "core")["hits"]
    assert hits[0]["id"] == "core_human"
    history = ok_json(data, "history", "core_human")["history"]
    assert [h["data"]["text"] for h in history] == [
        "",
        "Name: Sam",
        "Name: Sam\nLikes: 登山 🏔",
        "Name: Samantha\nLikes: 登山 🏔",
    ]
    edited = ok_json(data, "edit", "core_human", "--json-body", '{"char_limit": 100}')
    assert edited["char_limit"] == 100


# -- export / import / stats -------------------------------------------------------


def _fill_everything(data: Path, tmp_path: Path) -> dict[str, str]:
    ok(data, "import", "messages", str(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES)))
    ids = {
        t: ok_json(data, "add", t, "--json-body", json.dumps(b))["id"] for t, b in BODIES.items()
    }
    ok(data, "edit", ids["semantic"], "--json-body", '{"summary": "edited 🎉 once"}')
    ok(data, "edit", ids["knowledge_vault"], "--json-body", '{"secret_value": "rotated-ß"}')
    ok(data, "delete", ids["resource"])
    ok(data, "delete", ids["procedural"])
    ok(data, "restore", ids["procedural"])
    ok(data, "core", "append", "human", "Name: Zoë")
    ok(data, "core", "append", "human", "Lives in 東京")
    ok(data, "core", "replace", "human", "1", "Name: Zoë K.")
    ok(data, "core", "rewrite", "persona", "Helpful")
    return ids


def _lines_without_export_time(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    assert header.pop("exported_at")
    return [json.dumps(header, sort_keys=True), *lines[1:]]


@pytest.mark.sqlite_only  # a second, separate memory
def test_export_then_import_into_a_fresh_dir_round_trips_exactly(tmp_path: Path) -> None:
    source = tmp_path / "source"
    ids = _fill_everything(source, tmp_path)
    first = tmp_path / "first.jsonl"
    out = ok_json(source, "export", str(first))
    assert out["records"] == len(first.read_text(encoding="utf-8").splitlines()) - 1

    fresh = tmp_path / "fresh"
    counts = ok_json(fresh, "import", str(first))
    assert counts["message"] == 6
    assert counts["core"] == 2
    assert counts["knowledge_vault"] == 1
    assert counts["history"] == 9
    assert counts["provenance"] == 6
    second = tmp_path / "second.jsonl"
    ok(fresh, "export", str(second))
    assert _lines_without_export_time(second) == _lines_without_export_time(first)

    records = [json.loads(x) for x in second.read_text(encoding="utf-8").splitlines()]
    vault = next(r for r in records if r.get("type") == "knowledge_vault")
    assert vault["secret_value"] == "rotated-ß"
    assert {r["type"] for r in records if r["record"] == "row"} == {
        "core",
        "episodic",
        "semantic",
        "procedural",
        "resource",
        "knowledge_vault",
        "message",
    }
    assert stored(fresh) == stored(source)
    assert ok_json(fresh, "stats")["counts"] == ok_json(source, "stats")["counts"]
    # the imported copy is fully usable: search, provenance, history, deletes
    hits = ok_json(fresh, "search", CJK_TEXT, "--type", "message")["hits"]
    assert hits[0]["sources"][0]["external_id"] == "D3:1"
    assert ok_json(fresh, "core", "show", "human")["text"] == "Name: Zoë K.\nLives in 東京"
    assert len(ok_json(fresh, "history", ids["semantic"])["history"]) == 1
    assert ok_json(fresh, "show", ids["resource"])["deleted_at"] is not None
    human = ok(tmp_path / "third", "import", str(first)).stdout
    assert human.startswith("Imported ")


def test_importing_an_export_twice_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _fill_everything(data, tmp_path)
    path = tmp_path / "export.jsonl"
    ok(data, "export", str(path))
    before = stored(data)
    ok(data, "import", str(path))
    assert stored(data) == before


def test_stats_human_and_json(loaded: Path) -> None:
    info = ok_json(loaded, "stats")
    assert set(info) >= {
        "data_dir",
        "database",
        "database_bytes",
        "counts",
        "history_entries",
        "provenance_links",
    }
    assert info["counts"]["message"] == {"live": 6, "deleted": 0}
    assert info["counts"]["episodic"] == {"live": 6, "deleted": 0}
    assert info["provenance_links"] == 6
    text = ok(loaded, "stats").stdout
    assert f"Data directory: {loaded}" in text
    assert re.search(r"message\s+6 live\s+0 deleted", text)


@pytest.mark.sqlite_only  # a second, separate memory
def test_skip_invalid_imports_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = write_jsonl(
        tmp_path / "m.jsonl",
        [
            message(external_id="a"),
            "{oops",
            message(external_id="b", at="yesterday"),
            message(external_id="c", text="still fine"),
        ],
    )
    result = ok(data, "import", "messages", str(path), "--skip-invalid")
    assert "Imported 2 message(s)" in result.stdout
    assert "Skipped line 2:" in result.stderr
    assert "Skipped line 3:" in result.stderr
    assert "yesterday" in result.stderr
    report = ok_json(tmp_path / "data2", "import", "messages", str(path), "--skip-invalid")
    assert [x["line"] for x in report["skipped_invalid"]] == [2, 3]
    assert report["imported"] == 2
    assert stored(data)["messages"] == 2


def test_since_and_until_take_words_and_ages(loaded: Path) -> None:
    everything = ok_json(loaded, "search", "Caroline Melanie", "--limit", "50")["hits"]
    # the sample conversation is from 2023: nothing in the last three days or since
    # yesterday, all of it until today
    assert ok_json(loaded, "search", "Caroline Melanie", "--since", "3d")["hits"] == []
    assert ok_json(loaded, "search", "Caroline Melanie", "--since", "yesterday")["hits"] == []
    until = ok_json(loaded, "search", "Caroline Melanie", "--until", "today", "--limit", "50")
    assert len(until["hits"]) == len(everything)
    # a bare date as --until includes that whole day (D1 is from 2023-05-08)
    day = ok_json(loaded, "search", "Caroline", "--type", "message", "--until", "2023-05-08")
    assert {h["at"][:10] for h in day["hits"]} == {"2023-05-08"}


def test_search_shows_a_rank_and_a_bar_not_a_raw_score(loaded: Path) -> None:
    out = ok(loaded, "search", "pottery class").stdout
    first = out.splitlines()[0]
    assert first.startswith(" 1. ████████  [")  # the best hit fills the bar
    assert "score" not in out and "0." not in first
    assert "score" in ok(loaded, "search", "pottery class", "--json").stdout


def test_config_show_prints_values_as_they_are_typed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ok(data, "config", "set", "capture_monitors", "1,2")
    out = ok(data, "config", "show").stdout
    assert "capture_exclude_apps = keepassxc, keepass, 1password" in out
    assert "capture_monitors = 1, 2  (from the file)" in out
    assert "redact_local = false\n" in out and "llm_model = (empty)\n" in out
    assert "local_llm = false  (from the environment)" in out  # the tests' environment
    assert "llm_timeout_s = 60\n" in out
    values = [
        line.split(" = ", 1)[1].split("  (from ")[0] for line in out.splitlines() if " = " in line
    ]
    assert not any(v.startswith(("(", "'", "[")) and v != "(empty)" for v in values), out
    assert ok(data, "config", "set", "redact_local", "yes").stdout == "redact_local = true\n"
