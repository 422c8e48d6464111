"""The storage suite runs on both engines: every test that takes the ``storage``
fixture runs once on SQLite and once on PostgreSQL (a fresh database of the
session's server, tests/postgres.py), unless it is marked ``sqlite_only`` because
it looks inside the SQLite file (its pages, its FTS5 tables, its WAL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import Storage

ENGINES = ("sqlite", "postgresql")
DEVICE = "this-device"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "storage_engine" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("storage_engine", ("sqlite",) if only_sqlite else ENGINES)


def open_storage(request: pytest.FixtureRequest, engine: str, data_dir: Path) -> Storage:
    """A storage on ``engine`` in ``data_dir`` (PostgreSQL: one database per test,
    shared by every storage the test opens)."""
    if engine == "sqlite":
        return Storage.open(data_dir)
    url = request.getfixturevalue("pg_url")
    return Storage.open(data_dir, database_url=url, device=DEVICE)


@pytest.fixture
def storage(
    request: pytest.FixtureRequest, storage_engine: str, data_dir: Path
) -> Iterator[Storage]:
    with open_storage(request, storage_engine, data_dir) as opened:
        yield opened
