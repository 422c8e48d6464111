"""mirix-app processes SIGKILLed at random points: imports, absorbs against the
scripted server, and edits. After each kill the database passes SQLite's
integrity check, nothing a finished run reported is lost, nothing is partial
(an import is all there or not at all; an edit is a whole version with its
history), and a killed run's batch is taken over by the next run. Bounded in
runs and time; the seed is in every failure message."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

from tests.llm_server import Reply, Request, ScriptedLLMServer
from tests.mirix_app.clirun import ok_json
from tests.mirix_app.procs import finish, messages_file, one_fact, start, with_provider

RUNS = 8
SECONDS = 30.0
"""At most this long on kills (a run started before it still counts)."""
IMPORT_SIZE = 30


def query(db: Path, sql: str, *params: object) -> list[Any]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def integrity(db: Path) -> str:
    return str(query(db, "PRAGMA integrity_check")[0][0])


def killed_or_finished(proc: Any, after_s: float) -> Any | None:
    """SIGKILL ``proc`` after ``after_s`` seconds; its JSON when it finished first."""
    try:
        proc.wait(timeout=after_s)
    except Exception:  # still running: kill it where it is
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        return None
    return finish(proc)


def test_runs_killed_at_random_points_lose_nothing_and_leave_nothing_partial(
    data_dir: Path, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    with_provider(data_dir, llm_server, 5)

    def respond(request: Request) -> Reply:
        time.sleep(rng.uniform(0.05, 0.3))  # absorbs take a while: kills land inside
        return one_fact(request)

    llm_server.responder = respond
    memory = ok_json(
        data_dir, "add", "semantic", "--json-body", '{"name": "Miso", "summary": "v0"}'
    )
    db = data_dir / "mirix.db"
    # One import to its end: batches for the absorbs, and how long a run takes on
    # this machine now (a kill lands from a third of that to a little past it).
    began = time.monotonic()
    first = finish(start(data_dir, "import", "messages", str(messages_file(tmp_path / "m", 30))))
    assert first["batches"] == 6
    took = dict.fromkeys(("import", "absorb", "edit"), time.monotonic() - began)
    acknowledged: dict[str, Any] = {"imports": set(), "edit": 1}
    started = time.monotonic()
    for run in range(RUNS):
        if time.monotonic() - started > SECONDS:
            break
        what = rng.choice(["import", "absorb", "edit"])
        where = f"seed {seed}, run {run} ({what})"
        if what == "import":
            args: tuple[str, ...] = (
                "import",
                "messages",
                str(messages_file(tmp_path / f"m{run}.jsonl", IMPORT_SIZE, prefix=f"r{run}-")),
            )
        elif what == "absorb":
            args = ("absorb",)
        else:
            body = json.dumps({"summary": f"v{run}"})
            args = ("edit", memory["id"], "--json-body", body)
        began = time.monotonic()
        report = killed_or_finished(start(data_dir, *args), rng.uniform(0.3, 1.2) * took[what])
        if report is not None:
            took[what] = time.monotonic() - began

        assert integrity(db) == "ok", where
        if what == "import":
            stored = query(
                db, "SELECT count(*) FROM messages WHERE external_id LIKE ?", f"r{run}-%"
            )
            assert stored[0][0] in (0, IMPORT_SIZE), where  # all or nothing
            if report is not None:
                assert report["imported"] == stored[0][0] == IMPORT_SIZE, where
                acknowledged["imports"].add(run)
        elif what == "edit":
            version, summary = query(
                db, "SELECT version, summary FROM semantic WHERE id = ?", memory["id"]
            )[0]
            history = query(
                db, "SELECT count(*) FROM memory_history WHERE memory_id = ?", memory["id"]
            )
            assert history[0][0] == version - 1, where  # a whole version, with its history
            if report is not None:
                assert (version, summary) == (report["version"], f"v{run}"), where
                acknowledged["edit"] = version
            assert version >= acknowledged["edit"], where
        elif report is not None:
            done = [b["id"] for b in report["batches"] if b["status"] == "done"]
            states = {
                b: query(db, "SELECT status FROM batches WHERE id = ?", b)[0][0] for b in done
            }
            assert set(states.values()) <= {"done"}, where

    # Every acknowledged import is still whole; a run that finishes takes every batch
    # left, those of killed runs included (no lease of a dead process blocks it).
    for run in acknowledged["imports"]:
        stored = query(db, "SELECT count(*) FROM messages WHERE external_id LIKE ?", f"r{run}-%")
        assert stored[0][0] == IMPORT_SIZE, f"seed {seed}"
    final = ok_json(data_dir, "absorb")
    assert (final["failed"], final["held"]) == (0, 0), f"seed {seed}"
    assert ok_json(data_dir, "batches", "list") == [], f"seed {seed}"
    assert integrity(db) == "ok"
