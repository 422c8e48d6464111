"""Fixtures for the CLI tests: one data dir seeded through the CLI per session,
copied for each test that wants it (an import per test would cost model time)."""

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


@pytest.fixture
def loaded(seeded_template: Path, tmp_path: Path) -> Path:
    """A data dir holding the sample conversation, imported through the CLI."""
    data = tmp_path / "data"
    shutil.copytree(seeded_template, data)
    return data
