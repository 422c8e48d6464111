"""mirix-app in processes of its own, for the tests of several processes on one
data directory (concurrent runs, runs killed part-way)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.llm_server import MODEL, Reply, Request, ScriptedLLMServer
from tests.mirix_app.clirun import ok

ROOT = Path(__file__).resolve().parents[2]


def start(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``mirix-app ARGS --data-dir DATA_DIR --json`` in its own process (``env``:
    environment values besides this process's)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mirix_app", *args, "--data-dir", str(data_dir), "--json"],
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> Any:
    """The JSON a process printed, once it exited 0 with no traceback."""
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return json.loads(out)


def messages_file(path: Path, count: int, *, prefix: str = "m") -> Path:
    """``count`` messages with external ids ``{prefix}0``, ``{prefix}1``, ..."""
    rows = [
        {
            "external_id": f"{prefix}{n}",
            "speaker": "Ann",
            "text": f"Message {n}: the climbing gym opens at {n % 12 + 1} o'clock.",
            "at": f"2024-03-01T10:{n % 60:02d}:00Z",
        }
        for n in range(count)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def with_provider(data_dir: Path, server: ScriptedLLMServer, batch_items: int) -> None:
    ok(data_dir, "config", "set", "llm_model", MODEL)
    ok(data_dir, "config", "set", "llm_api_base", server.api_base)
    ok(data_dir, "config", "set", "batch_items", str(batch_items))


def one_fact(request: Request) -> Reply:
    """Every meta-agent call writes one semantic memory (named after the request)."""
    return Reply(tool_calls=[("semantic_insert", {"name": f"fact {id(request)}", "summary": "x"})])


def first_two_meet(answer: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """A responder that holds the first two requests until both have arrived, then
    answers every request with ``answer``: two runs started at once are then surely
    at work at the same moment (both asked for a batch before either finished)."""
    both = threading.Barrier(2, timeout=60)
    arrived: list[Request] = []

    def respond(request: Request) -> Reply:
        arrived.append(request)
        if len(arrived) <= 2:
            both.wait()
        return answer(request)

    return respond
