"""The storage suite runs on both engines: every test that takes the ``storage``
fixture (or ``reopen``) runs once on SQLite and once on PostgreSQL (a fresh
database of the session's server, tests/postgres.py), unless it is marked
``sqlite_only`` because it looks inside the SQLite engine (its file, its FTS5
tables, its in-process vector indexes, its WAL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from storage import Storage, kind_of_id
from storage.interface import SearchPrimitives

ENGINES = ("sqlite", "postgresql")
DEVICE = "this-device"

Reopen = Callable[..., Storage]
"""Opens another storage on the test's engine (see :func:`reopen`)."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "storage_engine" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("storage_engine", ("sqlite",) if only_sqlite else ENGINES)


def open_storage(
    request: pytest.FixtureRequest, engine: str, data_dir: Path, **options: Any
) -> Storage:
    """A storage on ``engine`` in ``data_dir`` (PostgreSQL: one database per test,
    shared by every storage the test opens)."""
    if engine == "sqlite":
        return Storage.open(data_dir, **options)
    url = request.getfixturevalue("pg_url")
    return Storage.open(data_dir, database_url=url, device=DEVICE, **options)


@pytest.fixture
def reopen(request: pytest.FixtureRequest, storage_engine: str, data_dir: Path) -> Reopen:
    """Open the test's memory again, as another process would: on the same engine
    (on PostgreSQL the same database), in ``data_dir`` unless given another folder,
    with the options of :meth:`Storage.open` (``params``, ``cipher``)."""

    def open_again(folder: Path | None = None, **options: Any) -> Storage:
        return open_storage(request, storage_engine, folder or data_dir, **options)

    return open_again


@pytest.fixture
def another_memory(request: pytest.FixtureRequest, storage_engine: str) -> Iterator[Reopen]:
    """Opens a second memory apart from the test's (a fresh data folder on SQLite;
    on PostgreSQL a database of its own, dropped after the test)."""
    made: list[str] = []

    def open_other(folder: Path, **options: Any) -> Storage:
        if storage_engine == "sqlite":
            return Storage.open(folder, **options)
        server = request.getfixturevalue("postgres_server")
        made.append(server.create_database())
        return Storage.open(folder, database_url=made[-1], device=DEVICE, **options)

    yield open_other
    for url in made:
        request.getfixturevalue("postgres_server").drop_database(url)


@pytest.fixture
def storage(reopen: Reopen) -> Iterator[Storage]:
    with reopen() as opened:
        yield opened


def stored_rows(reopen: Reopen) -> dict[str, Any]:
    """Rows of every kind, history entries and provenance links, as a storage opened
    afresh reads them (another process): equal counts mean nothing was stored."""
    with reopen() as other:
        info = other.stats()
    return {
        "counts": info["counts"],
        "history": info["history_entries"],
        "links": info["provenance_links"],
    }


def searching(storage: Storage) -> AbstractContextManager[SearchPrimitives]:
    """The engine's search primitives (the interface under the fusion), on one
    snapshot: rankings with their raw scores, chunk vectors, row reads."""
    return storage.search._backend.searching()


def write_sql(storage: Storage, sql: str) -> None:
    """Run ``sql`` (no parameters; the same text on both engines) in a write
    transaction of the storage's database: for a state no public call makes."""
    storage._engine.db.write(lambda conn: conn.execute(sql))  # type: ignore[attr-defined]


def rowids(storage: Storage, item_ids: list[str]) -> list[int]:
    """The rowids the search primitives rank ``item_ids`` (of one kind) by."""
    table = kind_of_id(item_ids[0]).table
    with storage._engine.db.reading() as conn:  # type: ignore[attr-defined]
        found = {
            row["id"]: int(row["rowid"])
            for row in conn.execute(f"SELECT id, rowid AS rowid FROM {table}").fetchall()
        }
    return [found[item_id] for item_id in item_ids]
