"""Fixtures for the CLI tests: one data dir seeded through the CLI per session,
copied for each test that wants it (an import per test would cost model time).

The CLI tests of the commands that read and write the memory run twice: on the
data folder's SQLite file and on a PostgreSQL database (``MIRIX_APP_DATABASE_URL``
set to a fresh database of the session's server, as a device sharing its memory
would have it)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fakes import SAMPLE_MESSAGES, write_jsonl
from tests.mirix_app.clirun import ok_json


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seeded")
    data = root / "data"
    messages = write_jsonl(root / "messages.jsonl", SAMPLE_MESSAGES)
    report = ok_json(data, "import", "messages", str(messages))
    assert report["imported"] == len(SAMPLE_MESSAGES)
    return data


ON_BOTH_ENGINES = frozenset(
    {"test_cli", "test_cli_absorb", "test_cli_chat", "test_cli_input", "test_cli_screens"}
)
DEVICE = "this-device"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if module in ON_BOTH_ENGINES and "cli_engine" in metafunc.fixturenames:
        # A test that needs a second memory apart from the first (a fresh data folder
        # to import into) is about one device's own memory: SQLite only.
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        engines = ("sqlite",) if only_sqlite else ("sqlite", "postgresql")
        metafunc.parametrize("cli_engine", engines, indirect=True)


@pytest.fixture(autouse=True)
def cli_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The engine the CLI's memory is on in this test (see the module docstring)."""
    engine = str(getattr(request, "param", "sqlite"))
    if engine == "postgresql":
        monkeypatch.setenv("MIRIX_APP_DATABASE_URL", request.getfixturevalue("pg_url"))
        monkeypatch.setenv("MIRIX_APP_DEVICE_NAME", DEVICE)
    return engine


@pytest.fixture
def loaded(request: pytest.FixtureRequest, cli_engine: str, tmp_path: Path) -> Path:
    """A data dir holding the sample conversation, imported through the CLI."""
    data = tmp_path / "data"
    if cli_engine == "postgresql":  # the database is new: import into it
        messages = write_jsonl(tmp_path / "messages.jsonl", SAMPLE_MESSAGES)
        assert ok_json(data, "import", "messages", str(messages))["imported"] == len(
            SAMPLE_MESSAGES
        )
        return data
    shutil.copytree(request.getfixturevalue("seeded_template"), data)
    return data
