"""mirix_app/cli.py on bad input and a hostile environment: every failure is one
'Error: ...' line on stderr, exit status 1, no traceback and nothing written."""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import BODIES, SAMPLE_MESSAGES, db_dump, message, table_counts, write_jsonl
from tests.mirix_app.clirun import fails, ok, ok_json, run

ROOT = Path(__file__).resolve().parents[2]


# -- import messages ---------------------------------------------------------------

BAD_LINES = [
    ("malformed", '{"speaker": "A", "text": "x", "at": "2023-01-01"', "not valid JSON"),
    ("not-an-object", '["speaker", "text"]', "expected a JSON object"),
    ("unknown-field", json.dumps(message(mood="happy")), "Unknown field(s) for message: mood"),
    ("time-yesterday", json.dumps(message(at="yesterday")), "'yesterday' is not an ISO-8601"),
    ("time-13-45", json.dumps(message(at="2023-13-45")), "'2023-13-45' is not an ISO-8601"),
    ("empty-text", json.dumps(message(text="")), "text is empty"),
    ("blank-text", json.dumps(message(text=" \t ")), "text is empty"),
    ("10mb-text", json.dumps(message(text="x" * 10_000_000)), "limit is 200,000"),
    ("missing-speaker", json.dumps(message(speaker=None)), "speaker is required"),
    ("bad-role", json.dumps(message(role="bot")), "must be one of user, assistant, other"),
]


@pytest.mark.parametrize(
    ("line", "error"), [b[1:] for b in BAD_LINES], ids=[b[0] for b in BAD_LINES]
)
def test_a_bad_messages_line_fails_the_import_and_writes_nothing(
    loaded: Path, tmp_path: Path, line: str, error: str
) -> None:
    path = write_jsonl(
        tmp_path / "bad.jsonl", [message(external_id="new-1"), message(external_id="new-2"), line]
    )
    before = db_dump(loaded / "mirix.db")
    message_text = fails(
        run(loaded, "import", "messages", str(path)), "line 3", error, "nothing imported"
    )
    assert len(message_text) < 1000
    assert db_dump(loaded / "mirix.db") == before
    # --json changes nothing about errors
    fails(run(loaded, "import", "messages", str(path), "--json"), "line 3")
    assert db_dump(loaded / "mirix.db") == before


def test_all_bad_lines_are_listed_with_their_numbers(loaded: Path, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "bad.jsonl", [message(external_id="ok"), *(b[1] for b in BAD_LINES)]
    )
    before = table_counts(loaded / "mirix.db")
    error = fails(run(loaded, "import", "messages", str(path)), "10 invalid line(s)")
    for number in range(2, 12):
        assert f"line {number}:" in error
    assert table_counts(loaded / "mirix.db") == before


def test_skip_invalid_with_cjk_and_emoji(loaded: Path, tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            message(external_id="u1", text="東京で寿司を食べた 🍣"),
            BAD_LINES[0][1],
            message(external_id="u2", text="Ελληνικά και русский текст ✨"),
            BAD_LINES[3][1],
        ],
    )
    result = ok(loaded, "import", "messages", str(path), "--skip-invalid", "--json")
    report = json.loads(result.stdout)
    assert report["imported"] == 2
    assert [(x["line"], "JSON" in x["error"]) for x in report["skipped_invalid"]] == [
        (2, True),
        (4, False),
    ]
    hits = ok_json(loaded, "search", "東京で寿司を食べた 🍣", "--type", "message")["hits"]
    assert hits[0]["text"] == "東京で寿司を食べた 🍣"
    assert hits[0]["sources"][0]["external_id"] == "u1"


@pytest.mark.parametrize(
    ("content", "error"),
    [(None, "Cannot read"), (b"", "has no messages"), (b"\xff\xfe\x00garbage", "not UTF-8")],
)
def test_unreadable_messages_files(
    loaded: Path, tmp_path: Path, content: bytes | None, error: str
) -> None:
    path = tmp_path / "file.jsonl"
    if content is not None:
        path.write_bytes(content)
    before = db_dump(loaded / "mirix.db")
    fails(run(loaded, "import", "messages", str(path)), error)
    assert db_dump(loaded / "mirix.db") == before


# -- add, edit, ids ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("{not json", "--json-body is not valid JSON"),
        ("", "--json-body is not valid JSON"),
        ('["a", "list"]', "--json-body must be a JSON object"),
        ('"text"', "--json-body must be a JSON object"),
        ('{"name": "n", "summary": "s", "colour": "red"}', "Unknown field(s) for semantic: colour"),
        ('{"name": "n"}', "semantic.summary is required"),
        ('{"name": "n", "summary": "   "}', "semantic.summary is empty"),
        ('{"name": "n", "summary": 42}', "semantic.summary must be a string"),
        ('{"name": "n", "summary": "s", "tree_path": "a/b"}', "list of strings"),
    ],
)
def test_bad_add_bodies(loaded: Path, body: str, error: str) -> None:
    before = db_dump(loaded / "mirix.db")
    fails(run(loaded, "add", "semantic", "--json-body", body), error)
    assert db_dump(loaded / "mirix.db") == before


def test_a_10_mb_text_is_refused_by_add_and_edit(loaded: Path) -> None:
    huge = "y" * 10_000_000
    before = db_dump(loaded / "mirix.db")
    fails(
        run(loaded, "add", "semantic", "--json-body", json.dumps({"name": "big", "summary": huge})),
        "10,000,000 characters",
    )
    item = ok_json(loaded, "add", "semantic", "--json-body", json.dumps(BODIES["semantic"]))
    after_add = db_dump(loaded / "mirix.db")
    assert after_add != before
    fails(
        run(loaded, "edit", item["id"], "--json-body", json.dumps({"details": huge})),
        "limit is 200,000",
    )
    assert db_dump(loaded / "mirix.db") == after_add


def test_bad_times_in_bodies(loaded: Path) -> None:
    before = db_dump(loaded / "mirix.db")
    for bad in ("yesterday", "2023-13-45"):
        body = {**BODIES["episodic"], "occurred_at": bad}
        fails(
            run(loaded, "add", "episodic", "--json-body", json.dumps(body)),
            f"'{bad}' is not an ISO-8601 time",
        )
    assert db_dump(loaded / "mirix.db") == before


@pytest.mark.parametrize("command", ["show", "delete", "restore", "history", "edit"])
@pytest.mark.parametrize(
    ("item_id", "error"),
    [
        ("sem_0123456789abcdef0123", "No semantic with id sem_0123456789abcdef0123"),
        ("not-an-id", "'not-an-id' is not a mirix-app id"),
        ("epi_", "is not a mirix-app id"),
        ("zzz_123", "is not a mirix-app id"),
    ],
)
def test_unknown_and_malformed_ids(loaded: Path, command: str, item_id: str, error: str) -> None:
    before = db_dump(loaded / "mirix.db")
    extra = ["--json-body", '{"summary": "x"}'] if command == "edit" else []
    fails(run(loaded, command, item_id, *extra), error)
    assert db_dump(loaded / "mirix.db") == before


def test_raw_messages_cannot_be_edited_nor_forgotten_unasked(loaded: Path) -> None:
    msg = ok_json(loaded, "search", "guitar", "--type", "message")["hits"][0]["id"]
    before = db_dump(loaded / "mirix.db")
    fails(run(loaded, "edit", msg, "--json-body", '{"text": "rewritten"}'), "raw message")
    fails(run(loaded, "delete", msg), "forgetting 1 message", "--yes")  # not on a terminal
    assert db_dump(loaded / "mirix.db") == before


def test_editing_a_deleted_memory_is_refused(loaded: Path) -> None:
    item = ok_json(loaded, "add", "procedural", "--json-body", json.dumps(BODIES["procedural"]))
    ok(loaded, "delete", item["id"])
    before = db_dump(loaded / "mirix.db")
    fails(
        run(loaded, "edit", item["id"], "--json-body", '{"summary": "new"}'),
        "is deleted; restore it before editing",
    )
    fails(run(loaded, "delete", item["id"]), "already deleted")
    assert db_dump(loaded / "mirix.db") == before
    ok(loaded, "restore", item["id"])
    fails(run(loaded, "restore", item["id"]), "not deleted")
    assert ok_json(loaded, "edit", item["id"], "--json-body", '{"summary": "new"}')["version"] == 4


def test_core_errors(loaded: Path) -> None:
    before = db_dump(loaded / "mirix.db")
    fails(run(loaded, "core", "replace", "human", "3", "x"), "there is no line 3")
    fails(run(loaded, "core", "rewrite", "human", "z" * 5001), "limit is 5,000")
    fails(
        run(loaded, "edit", "core_human", "--json-body", '{"label": "persona"}'),
        "label cannot change",
    )
    fails(run(loaded, "delete", "core_nobody"), "No core with id core_nobody")
    assert db_dump(loaded / "mirix.db") == before


# -- search ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["x", "--since", "soon"], "--since 'soon' is not a time: use ISO-8601"),
        (["x", "--until", "2023-13-45"], "--until '2023-13-45' is not a time"),
        (["x", "--since", "2024-01-01", "--until", "2023-01-01"], "--since is after --until"),
        (["   "], "query is empty"),
        ([], "Give a QUERY or --queries FILE"),
    ],
)
def test_bad_searches(loaded: Path, args: list[str], error: str) -> None:
    fails(run(loaded, "search", *args), error)


def test_usage_errors_exit_2_without_traceback(loaded: Path) -> None:
    for args in (
        ["search", "x", "--limit", "0"],
        ["search", "x", "--type", "diary"],
        ["add", "diary", "--json-body", "{}"],
        ["core", "show", "friend"],
        ["frobnicate"],
    ):
        result = run(loaded, *args)
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output
        assert "Error:" in result.stderr


@pytest.mark.parametrize(
    ("lines", "error"),
    [
        (
            [
                '{"id": "q1", "query": "x"',
            ],
            ":1: not valid JSON",
        ),
        (['{"id": "q1", "query": "x"}', '{"id": "q2"}'], ":2: expected"),
        (['{"id": "q1", "query": "x", "limit": 0}'], "limit must be a positive integer"),
        (['{"id": "q1", "query": "x", "limit": "3"}'], "limit must be a positive integer"),
        (['{"id": "q1", "query": "x", "limit": 1e400}'], ":1: not usable JSON"),
        (['{"id": "q1", "query": "x", "limit": ' + "9" * 40 + "}"], "at most 1000"),
        (['{"id": "q1", "query": "x"}', '{"id": "q2", "query": " "}'], ":2: the query is empty"),
        (['["q1", "x"]'], ":1: expected"),
        (['{"id": "q1", "query": "x", "at": "last tuesday"}'], ":1: \"at\" 'last tuesday' is not"),
        (['{"id": "q1", "query": "x", "at": 5}'], ':1: "at" must be'),
    ],
)
def test_bad_queries_files(loaded: Path, tmp_path: Path, lines: list[str], error: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fails(run(loaded, "search", "--queries", str(path), "--json"), error)


def test_missing_queries_file_and_query_with_file(loaded: Path, tmp_path: Path) -> None:
    fails(run(loaded, "search", "--queries", str(tmp_path / "none.jsonl")), "Cannot read")
    path = write_jsonl(tmp_path / "q.jsonl", [{"id": "q", "query": "x"}])
    fails(run(loaded, "search", "x", "--queries", str(path)), "not both")


# -- export / import of export files ----------------------------------------------


def test_bad_export_files(loaded: Path, tmp_path: Path) -> None:
    before = db_dump(loaded / "mirix.db")
    messages_file = write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES)
    fails(run(loaded, "import", str(messages_file)), "not a mirix-app export file")
    fails(run(loaded, "import", str(tmp_path / "missing.jsonl")), "Cannot read")
    good = tmp_path / "good.jsonl"
    ok(loaded, "export", str(good))
    lines = good.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*lines[:5], "{torn line"]) + "\n", encoding="utf-8")
    fails(run(tmp_path / "fresh", "import", str(broken)), ":6: not valid JSON")
    assert table_counts(tmp_path / "fresh" / "mirix.db")["messages"] == 0
    row = json.loads(lines[3])
    row["surprise"] = 1
    odd = tmp_path / "odd.jsonl"
    odd.write_text("\n".join([lines[0], json.dumps(row)]) + "\n", encoding="utf-8")
    fails(run(tmp_path / "fresh", "import", str(odd)), "unknown field(s) surprise")
    assert db_dump(loaded / "mirix.db") == before


def test_import_conflict_needs_replace(loaded: Path, tmp_path: Path) -> None:
    item = ok_json(loaded, "add", "semantic", "--json-body", json.dumps(BODIES["semantic"]))
    path = tmp_path / "export.jsonl"
    ok(loaded, "export", str(path))
    ok(loaded, "edit", item["id"], "--json-body", '{"summary": "changed later"}')
    before = db_dump(loaded / "mirix.db")
    fails(run(loaded, "import", str(path)), "already exists", "--replace")
    assert db_dump(loaded / "mirix.db") == before
    ok(loaded, "import", str(path), "--replace")
    assert ok_json(loaded, "show", item["id"])["summary"] == BODIES["semantic"]["summary"]


def test_export_to_an_unwritable_place(loaded: Path, tmp_path: Path) -> None:
    fails(run(loaded, "export", str(tmp_path / "no" / "dir" / "x.jsonl")), "Cannot write")
    assert not list(tmp_path.glob("**/*.partial"))


def test_a_data_dir_that_cannot_be_a_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    fails(run(blocker / "sub", "stats"), "Cannot use the data directory")


# -- the environment: locked, corrupt, full ------------------------------------------


def test_a_locked_database(loaded: Path) -> None:
    db = loaded / "mirix.db"
    before = db_dump(db)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        fails(
            run(loaded, "add", "semantic", "--json-body", json.dumps(BODIES["semantic"])), "locked"
        )
        seed = write_jsonl(loaded.parent / "new.jsonl", [message(external_id="while-locked")])
        fails(run(loaded, "import", "messages", str(seed)), "locked", "another process")
        # reading still works while another process holds the write lock (WAL)
        assert ok_json(loaded, "stats")["counts"]["semantic"]["live"] == 0
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert db_dump(db) == before
    ok(loaded, "add", "semantic", "--json-body", json.dumps(BODIES["semantic"]))


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["search", "guitar"],
        ["show", "core_human"],
        ["core", "show", "human"],
        ["add", "semantic", "--json-body", json.dumps(BODIES["semantic"])],
        ["import", "messages", "MESSAGES"],
        ["export", "EXPORT"],
    ],
    ids=lambda a: a[0] if a[0] != "core" else "core-show",
)
def test_a_corrupt_database_file(tmp_path: Path, args: list[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    garbage = os.urandom(64 * 1024)
    (data / "mirix.db").write_bytes(garbage)
    messages = write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES)
    args = [
        {"MESSAGES": str(messages), "EXPORT": str(tmp_path / "e.jsonl")}.get(a, a) for a in args
    ]
    fails(run(data, *args), "damaged")
    assert (data / "mirix.db").read_bytes() == garbage  # never "repaired" by overwriting
    assert not (tmp_path / "e.jsonl").exists()


def test_a_full_disk_fails_cleanly_and_writes_nothing(loaded: Path, tmp_path: Path) -> None:
    """RLIMIT_FSIZE caps file size for the child: a write past it fails the way a full
    disk does (Python ignores SIGXFSZ, so the write returns EFBIG)."""
    db = loaded / "mirix.db"
    before = table_counts(db)
    limit = db.stat().st_size + 64 * 1024
    bulky = write_jsonl(
        tmp_path / "bulky.jsonl",
        [
            message(
                external_id=f"big-{i}", text=f"entry {i} " + "lorem ipsum dolor sit amet " * 300
            )
            for i in range(12)
        ],
    )
    assert bulky.stat().st_size > limit - db.stat().st_size

    def cap_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mirix_app",
            "import",
            "messages",
            str(bulky),
            "--data-dir",
            str(loaded),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        preexec_fn=cap_file_size,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    error = proc.stderr.strip()
    assert error.startswith("Error: ")
    assert "\n" not in error
    assert "disk" in error.lower()
    assert "full" in error.lower()
    assert table_counts(db) == before  # read by a fresh connection
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    # without the cap the same import goes through
    ok(loaded, "import", "messages", str(bulky))
    assert table_counts(db)["messages"] == before["messages"] + 12


def test_errors_quoting_line_breaks_stay_on_one_line(loaded: Path, tmp_path: Path) -> None:
    path = tmp_path / "nl.jsonl"
    path.write_text(json.dumps(message(**{"bad\nkey": 1})) + "\n", encoding="utf-8")
    fails(run(loaded, "import", "messages", str(path)), "Unknown field(s) for message: bad key")
    body = json.dumps({"name": "n", "summary": "s", "x\r\ny": 1})
    fails(run(loaded, "add", "semantic", "--json-body", body), "for semantic: x y")
    fails(run(loaded, "show", "epi_\nabc"), "No episodic with id epi_ abc")
