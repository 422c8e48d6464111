"""mirix-app absorb: the memory agents over the pending batches, from the command line."""

from __future__ import annotations

from pathlib import Path

from tests.fakes import SAMPLE_MESSAGES, write_jsonl
from tests.llm_server import MODEL, ScriptedLLMServer
from tests.mirix_app.clirun import fails, ok, ok_json, run


def test_absorb_without_an_llm_says_the_floor_is_in_use(loaded: Path) -> None:
    report = ok_json(loaded, "absorb")
    assert report["mode"] == "rule-based floor"
    assert report["done"] == 0
    assert "rule-based floor" in ok(loaded, "absorb").stdout


def test_absorb_processes_queued_batches_with_progress(
    data_dir: Path, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    ok(data_dir, "config", "set", "llm_model", MODEL)
    ok(data_dir, "config", "set", "llm_api_base", llm_server.api_base)
    ok(data_dir, "config", "set", "batch_items", "4")
    imported = ok_json(
        data_dir, "import", "messages", str(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES))
    )
    assert imported["batches"] == 2
    llm_server.reply_tool_calls(
        ("dispatch", {"assignments": [{"memory_type": "semantic", "instruction": "Who is who"}]})
    )
    llm_server.reply_tool_calls(
        ("semantic_insert", {"name": "Caroline", "summary": "Goes to a support group"})
    )
    llm_server.reply_error(401)  # the second batch: refused key, kept for a retry

    result = ok(data_dir, "absorb")
    progress = result.stderr.splitlines()
    assert len(progress) == 2
    assert progress[0].startswith("[1/2] batch_") and "1 memory write(s) in semantic" in progress[0]
    assert progress[1].startswith("[2/2] batch_") and "kept for a retry" in progress[1]
    assert "Batches done: 1, failed (kept for a retry): 1; memories written: 1" in result.stdout
    assert "failed 1 time(s), kept for a retry" in ok(data_dir, "status").stdout

    llm_server.reply_tool_calls(("dispatch", {"assignments": []}))
    report = ok_json(data_dir, "absorb")
    assert (report["done"], report["failed"], report["llm_calls"]) == (1, 0, 1)
    assert ok_json(data_dir, "absorb")["batches"] == []


def one_batch(data_dir: Path, tmp_path: Path, llm_server: ScriptedLLMServer) -> None:
    """A provider on the scripted server and one batch of three messages queued."""
    ok(data_dir, "config", "set", "llm_model", MODEL)
    ok(data_dir, "config", "set", "llm_api_base", llm_server.api_base)
    ok(data_dir, "config", "set", "batch_items", "3")
    rows = write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES[:3])
    assert ok_json(data_dir, "import", "messages", str(rows))["batches"] == 1


def test_a_batch_too_long_for_the_model_is_split_and_said_so(
    data_dir: Path, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    one_batch(data_dir, tmp_path, llm_server)
    llm_server.reply_context_length()
    llm_server.reply_tool_calls(("dispatch", {"assignments": []}))
    llm_server.reply_tool_calls(("dispatch", {"assignments": []}))

    result = ok(data_dir, "absorb")
    progress = result.stderr.splitlines()
    assert progress[0].startswith("[1/3] batch_") and "split in two" in progress[0]
    assert progress[1].startswith("[2/3] batch_") and progress[2].startswith("[3/3] batch_")
    assert "Batches done: 2, failed (kept for a retry): 0, split in two: 1;" in result.stdout
    assert ok_json(data_dir, "absorb")["batches"] == []


def test_a_batch_that_keeps_failing_can_be_given_up_and_queued_again(
    data_dir: Path, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    one_batch(data_dir, tmp_path, llm_server)
    llm_server.reply_error(400, "The content was refused by the provider's policy.")
    ok(data_dir, "absorb")

    [row] = ok_json(data_dir, "batches", "list")
    assert (row["state"], row["attempts"], row["observations"]) == ("retrying", 1, {"message": 3})
    assert row["next_try_at"] is not None
    listed = ok(data_dir, "batches", "list").stdout
    assert row["id"] in listed and "1 failed attempt(s); next try" in listed
    assert "batches give-up ID" in ok(data_dir, "status").stdout

    assert ok_json(data_dir, "batches", "give-up", row["id"])["state"] == "given up"
    calls = len(llm_server.requests)
    assert ok_json(data_dir, "absorb")["batches"] == []  # not taken: no call made
    assert len(llm_server.requests) == calls
    assert "Batches given up: 1" in ok(data_dir, "status").stdout
    # the observations are still stored and searchable
    assert ok_json(data_dir, "search", "support group", "--type", "message")

    fails(run(data_dir, "batches", "give-up", row["id"]), "already given up")
    fails(run(data_dir, "batches", "retry", "batch_nope"), "no batch with id batch_nope")
    assert ok_json(data_dir, "batches", "retry", row["id"])["state"] == "waiting"
    llm_server.reply_tool_calls(("dispatch", {"assignments": []}))
    report = ok_json(data_dir, "absorb")
    assert (report["done"], report["failed"]) == (1, 0)
    assert ok(data_dir, "batches", "list").stdout.strip() == (
        "No batches waiting for the memory agents."
    )
