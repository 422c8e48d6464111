"""Several mirix-app processes on one data directory at once: the app's timer,
``capture run`` and a manual ``absorb`` may overlap, and a user may start one
import twice. Each batch is absorbed by one run; a run killed holding a batch
leaves it to the next; a second import skips what the first stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fakes import table_counts
from tests.mirix_app.clirun import ok

ROOT = Path(__file__).resolve().parents[2]


def start(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    """``mirix-app ARGS --data-dir DATA_DIR --json`` in its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "mirix_app", *args, "--data-dir", str(data_dir), "--json"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> Any:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return json.loads(out)


def messages_file(path: Path, count: int) -> Path:
    rows = [
        {
            "external_id": f"m{n}",
            "speaker": "Ann",
            "text": f"Message {n}: the climbing gym opens at {n % 12 + 1} o'clock.",
            "at": f"2024-03-01T10:{n % 60:02d}:00Z",
        }
        for n in range(count)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_one_file_imported_twice_at_once_is_stored_once(data_dir: Path, tmp_path: Path) -> None:
    ok(data_dir, "stats")  # the database exists before both start
    rows = messages_file(tmp_path / "m.jsonl", 120)
    runs = [start(data_dir, "import", "messages", str(rows)) for _ in range(2)]
    reports = [finish(run) for run in runs]
    assert sum(r["imported"] for r in reports) == 120
    assert sum(r["skipped_existing"] for r in reports) == 120
    assert table_counts(data_dir / "mirix.db")["messages"] == 120
