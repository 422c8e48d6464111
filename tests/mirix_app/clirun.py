"""Running the CLI in-process for the tests of mirix_app/cli.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from mirix_app.cli import cli


def run(data_dir: Path | None, *args: str) -> Result:
    extra = ["--data-dir", str(data_dir)] if data_dir is not None else []
    return CliRunner().invoke(cli, [*args, *extra], prog_name="mirix-app")


def ok(data_dir: Path | None, *args: str) -> Result:
    result = run(data_dir, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert result.exception is None
    return result


def ok_json(data_dir: Path | None, *args: str) -> Any:
    return json.loads(ok(data_dir, *args, "--json").stdout)


def fails(result: Result, *fragments: str) -> str:
    """A clean failure: exit 1, one 'Error: ...' line on stderr, no traceback."""
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not a crash
    assert "Traceback" not in result.output
    error = result.stderr.strip()
    assert error.startswith("Error: "), error
    assert "\n" not in error, error
    for fragment in fragments:
        assert fragment.lower() in error.lower(), (fragment, error)
    assert result.stdout == ""
    return error


def stored(data_dir: Path) -> dict[str, int]:
    """Rows stored per table (deleted ones too), read through ``mirix-app stats``
    on whichever engine the data folder's memory is."""
    info = ok_json(data_dir, "stats")
    tables = {"message": "messages", "screenshot": "screenshots"}
    counts = {
        tables.get(kind, kind): int(c["live"]) + int(c["deleted"])
        for kind, c in info["counts"].items()
    }
    return counts | {
        "memory_history": int(info["history_entries"]),
        "provenance": int(info["provenance_links"]),
    }
