"""Several mirix-app processes on one data directory at once: the app's timer,
``capture run`` and a manual ``absorb`` may overlap, and a user may start one
import twice. Each batch is absorbed by one run; a run killed holding a batch
leaves it to the next; a second import skips what the first stored."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.fakes import table_counts
from tests.llm_server import Reply, Request, ScriptedLLMServer
from tests.mirix_app.clirun import ok, ok_json
from tests.mirix_app.procs import (
    finish,
    first_two_meet,
    messages_file,
    one_fact,
    start,
    with_provider,
)


def test_two_absorbs_at_once_take_each_batch_once(
    data_dir: Path, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    with_provider(data_dir, llm_server, 10)
    rows = messages_file(tmp_path / "m.jsonl", 60)
    assert ok_json(data_dir, "import", "messages", str(rows))["batches"] == 6
    # The first two requests wait for each other: both runs are surely absorbing at
    # the same moment (before the claims, both asked for the first batch).
    llm_server.responder = first_two_meet(one_fact)
    first, second = start(data_dir, "absorb"), start(data_dir, "absorb")
    reports = [finish(first), finish(second)]

    assert sorted(r["done"] for r in reports) != [0, 6]  # both runs took part
    assert sum(r["done"] for r in reports) == 6
    assert sum(r["llm_calls"] for r in reports) == len(llm_server.requests) == 6
    absorbed = [b["id"] for r in reports for b in r["batches"]]
    assert len(absorbed) == len(set(absorbed)) == 6
    assert table_counts(data_dir / "mirix.db")["semantic"] == 6
    assert ok_json(data_dir, "batches", "list") == []


def test_a_run_killed_holding_a_batch_leaves_it_to_the_next(
    data_dir: Path, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    with_provider(data_dir, llm_server, 3)
    rows = messages_file(tmp_path / "m.jsonl", 3)
    assert ok_json(data_dir, "import", "messages", str(rows))["batches"] == 1
    holding, killed = threading.Event(), threading.Event()

    def respond(request: Request) -> Reply:
        if not holding.is_set():  # the first run: holds the batch until killed
            holding.set()
            killed.wait(60)
        return one_fact(request)

    llm_server.responder = respond
    worker = start(data_dir, "absorb")
    try:
        assert holding.wait(60), worker.stderr.read() if worker.stderr else ""
        [row] = ok_json(data_dir, "batches", "list")
        assert row["state"] == "absorbing"
        # While it runs, another run leaves the batch alone.
        report = ok_json(data_dir, "absorb")
        assert (report["done"], report["held"]) == (0, 1)
        assert len(llm_server.requests) == 1
    finally:
        worker.kill()
        worker.communicate()
        killed.set()

    # Its lease has not run out, but its process is gone: taken over at once.
    report = ok_json(data_dir, "absorb")
    assert (report["done"], report["memories_written"], report["held"]) == (1, 1, 0)
    assert table_counts(data_dir / "mirix.db")["semantic"] == 1
    assert ok_json(data_dir, "batches", "list") == []


def test_one_file_imported_twice_at_once_is_stored_once(data_dir: Path, tmp_path: Path) -> None:
    ok(data_dir, "stats")  # the database exists before both start
    rows = messages_file(tmp_path / "m.jsonl", 120)
    runs = [start(data_dir, "import", "messages", str(rows)) for _ in range(2)]
    reports = [finish(run) for run in runs]
    assert sum(r["imported"] for r in reports) == 120
    assert sum(r["skipped_existing"] for r in reports) == 120
    assert table_counts(data_dir / "mirix.db")["messages"] == 120
