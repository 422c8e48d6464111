"""The two storage engines as tests/bench/search_latency.py drives them.

Each side opens (or makes) a memory, bulk-loads synthetic rows, hands out the
project's one hybrid search (:class:`storage.search.HybridSearch`) over the
engine's search backend, imports rows through the storage API (a unit of work
per transaction) and says how large it is on disk:

- **SQLite**: :meth:`storage.Storage.open` on a data folder; rows go in through
  :meth:`storage.Storage.transaction` (20,000 a transaction for the build); the
  HNSW graphs are built in the background by the storage itself and saved
  beside the database.
- **PostgreSQL**: :class:`storage.postgres.engine.PostgresEngine` on a
  database, searched by ``HybridSearch(PostgresSearch(engine.db))``. The build
  copies rows in with COPY (their ``search_tsv`` made by the engine's own SQL
  from the engine's own index forms) and then makes each kind's HNSW index with
  :func:`storage.postgres.vectors.ensure_index`, as the engine does at the first
  vector of a width, over the rows already there: one index build per kind
  instead of an HNSW insert per row. Imports while searching go through the
  engine's repositories.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import psycopg

from storage import Storage
from storage.kinds import MEMORY_KINDS, Kind, index_text, kind_named, now_iso
from storage.postgres.engine import PostgresEngine, Repositories
from storage.postgres.search import PostgresSearch
from storage.postgres.text import TSV_SQL, tsv_params
from storage.postgres.vectors import ensure_index
from storage.rows import new_id
from storage.search import HybridSearch
from storage.secrets import seal_fields
from storage.sqlite.engine import SqliteEngine

Batch = Sequence[tuple[dict[str, Any], npt.NDArray[np.float32]]]
"""Rows of one memory type: (validated values, vector)."""

TYPES = tuple(k.name for k in MEMORY_KINDS if not k.fixed)
"""The memory types rows are made for (core has its two fixed blocks)."""


class Side(Protocol):
    name: str
    search: HybridSearch

    def count(self) -> int:
        """Live memories of the types rows are made for."""
        ...

    def load(self, type_name: str, batch: Batch) -> None:
        """Bulk-load rows (the build)."""
        ...

    def finish_load(self, dim: int, *, built: bool) -> None:
        """Make what the engine makes over loaded rows (indexes, statistics)."""
        ...

    def settle(self) -> float:
        """Seconds until searches stop paying for work left from opening (graphs
        being built, files not in the OS cache)."""
        ...

    def write(self, type_name: str, batch: Batch) -> None:
        """Rows in one transaction through the storage API (an import)."""
        ...

    def sizes(self) -> dict[str, int]:
        """Bytes on disk, "total" first, then parts of it."""
        ...

    def close(self) -> None: ...


class SqliteSide:
    name = "sqlite"

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.search = storage.search

    def count(self) -> int:
        counts = self.storage.stats()["counts"]
        return sum(counts[t]["live"] for t in TYPES)

    def write(self, type_name: str, batch: Batch) -> None:
        self.storage.transaction(
            lambda uow: [uow.memories[type_name].insert(v, embedding=vec) for v, vec in batch]
        )

    load = write

    def finish_load(self, dim: int, *, built: bool) -> None:
        pass  # the graphs are the storage's own work when it is searched

    def settle(self) -> float:
        """Seconds until the background graphs are built, then to read the
        database file into the OS cache, as the PostgreSQL side reads its
        tables and indexes."""
        started = time.perf_counter()
        wait_for_graphs(self.storage)
        read_files([Path(str(self.storage.stats()["database"]))])
        return time.perf_counter() - started

    def sizes(self) -> dict[str, int]:
        database = int(self.storage.stats()["database_bytes"])
        graphs = sum(f.stat().st_size for f in (self.storage.data_dir / "index").glob("*"))
        return {"total": database + graphs, "database file": database, "saved graphs": graphs}

    def close(self) -> None:
        self.storage.close()


def read_files(paths: Sequence[Path]) -> None:
    """Read the files (and their numbered segments, ``16384.1``) once, so a search
    finds them in the OS cache: this machine pages out file data unread for a
    minute (DAMON), and the first searches after it would time the disk."""
    for path in paths:
        for segment in (path, *path.parent.glob(f"{path.name}.*")):
            with contextlib.suppress(OSError), segment.open("rb") as f:
                while f.read(1 << 22):
                    pass


def wait_for_graphs(storage: Storage) -> float:
    """Seconds until the search graphs being built in the background are ready
    (a first search answers from the exact matrix meanwhile; timing searches
    while both cores build would measure the build)."""
    started = time.perf_counter()
    while graphs_building(storage):
        time.sleep(0.2)
    return time.perf_counter() - started


def graphs_building(storage: Storage) -> list[str]:
    """The kinds whose search graphs the SQLite engine is building in the background
    (none on another engine). A bench looks inside the storage here: the app only
    needs to know that a search answers meanwhile, which it does."""
    engine = storage._engine
    return engine.vectors.building() if isinstance(engine, SqliteEngine) else []


class PostgresSide:
    name = "postgresql"

    def __init__(self, url: str, *, connections: int, maintenance_work_mem: str) -> None:
        self.url = url
        self.engine = PostgresEngine.open(url, device="bench", max_connections=connections)
        self.search = HybridSearch(PostgresSearch(self.engine.db))
        self.maintenance_work_mem = maintenance_work_mem

    def count(self) -> int:
        counts = self.engine.counts()
        return sum(counts[t]["live"] for t in TYPES)

    def load(self, type_name: str, batch: Batch) -> None:
        kind = kind_named(type_name)
        self.engine.db.write(lambda conn: copy_rows(conn, kind, batch))

    def finish_load(self, dim: int, *, built: bool) -> None:
        """Each kind's HNSW index (made by the engine's own ensure_index; nothing if
        it is there), then fresh planner statistics after a build."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            present = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes").fetchall()}
        for name in TYPES:
            kind = kind_named(name)
            if f"{kind.table}_vec_{dim}" in present:
                continue
            started = time.perf_counter()
            self.engine.db.write(functools.partial(self._index, kind=kind, dim=dim))
            print(f"  {kind.name}: HNSW index in {time.perf_counter() - started:.0f} s")
            built = True
        if built:
            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")

    def _index(self, conn: Any, *, kind: Kind, dim: int) -> None:
        # The graph is built in memory while it fits in maintenance_work_mem, and
        # one insert at a time on disk after that (pgvector says so in a notice).
        conn.execute(f"SET LOCAL maintenance_work_mem = '{self.maintenance_work_mem}'")
        ensure_index(conn, kind, dim)

    def settle(self) -> float:
        """Seconds to read the tables and indexes into the OS cache (not the
        vectors' TOAST: a search reads 50 vectors a kind from it), as
        ``pg_prewarm`` would (the pgserver wheel lacks it), where the server's
        files are on this machine."""
        started = time.perf_counter()
        with psycopg.connect(self.url, autocommit=True) as conn:
            folder = Path(str((conn.execute("SHOW data_directory").fetchone() or ("",))[0]))
            files = [
                folder / str(r[0])
                for r in conn.execute(
                    "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
                )
            ]
        read_files(files)
        return time.perf_counter() - started

    def write(self, type_name: str, batch: Batch) -> None:
        def insert(repos: Repositories) -> None:
            for values, vec in batch:
                repos.memories[type_name].insert(values, embedding=vec)

        self.engine.transaction(insert)

    def sizes(self) -> dict[str, int]:
        tables = [kind_named(t).table for t in TYPES]
        with psycopg.connect(self.url, autocommit=True) as conn:
            (total,) = conn.execute("SELECT pg_database_size(current_database())").fetchone() or (
                0,
            )
            rows = conn.execute(
                """SELECT coalesce(sum(pg_table_size(c.oid)) FILTER (WHERE c.relkind = 'r'), 0),
                          coalesce(sum(pg_relation_size(c.oid))
                              FILTER (WHERE c.relkind = 'i' AND am.amname = 'hnsw'), 0),
                          coalesce(sum(pg_relation_size(c.oid))
                              FILTER (WHERE c.relkind = 'i' AND am.amname = 'gin'), 0),
                          coalesce(sum(pg_relation_size(c.oid))
                              FILTER (WHERE c.relkind = 'i' AND am.amname = 'btree'), 0)
                   FROM pg_class c
                   LEFT JOIN pg_am am ON am.oid = c.relam
                   LEFT JOIN pg_index i ON i.indexrelid = c.oid
                   WHERE coalesce(i.indrelid, c.oid) = ANY(%s::regclass[])""",
                (tables,),
            ).fetchone()
        heap, hnsw, gin, btree = rows or (0, 0, 0, 0)
        return {
            "total": int(total),
            "memory tables (with TOAST)": int(heap),
            "HNSW indexes": int(hnsw),
            "GIN (full-text) indexes": int(gin),
            "B-tree indexes": int(btree),
        }

    def close(self) -> None:
        self.engine.close()


def copy_rows(conn: Any, kind: Kind, batch: Batch) -> None:
    """``batch`` into ``kind``'s table with COPY: the columns the repository's insert
    fills, the same values (ids, times, index text, vectors), and ``search_tsv``
    from the engine's SQL over the engine's index forms."""
    if not batch:
        return
    fields = list(batch[0][0])
    columns = ", ".join(["id", "created_at", "updated_at", "search_text", "context", "embedding"])
    columns += "".join(f", {f}" for f in fields)
    conn.execute(
        f"CREATE TEMP TABLE load_rows ON COMMIT DROP AS SELECT {columns}, "
        f"''::text AS own_form, ''::text AS context_form FROM {kind.table} WITH NO DATA"
    )
    types = [
        r["t"]
        for r in conn.execute(
            "SELECT format_type(atttypid, NULL) AS t FROM pg_attribute "
            "WHERE attrelid = 'load_rows'::regclass AND attnum > 0 ORDER BY attnum"
        )
    ]
    now = now_iso()
    with conn.cursor().copy(
        f"COPY load_rows ({columns}, own_form, context_form) FROM STDIN (FORMAT BINARY)"
    ) as copy:
        copy.set_types(types)
        for values, vec in batch:
            stored = seal_fields(None, kind.secret_fields, values)
            search_text = index_text(kind, values)
            unit = (vec / np.linalg.norm(vec)).astype(np.float32)
            copy.write_row(
                (
                    new_id(kind),
                    now,
                    now,
                    search_text,
                    "",
                    unit,
                    *(stored[f] for f in fields),
                    *tsv_params(search_text, ""),
                )
            )
    conn.execute(
        f"INSERT INTO {kind.table} ({columns}, search_tsv) "
        f"SELECT {columns}, {TSV_SQL % ('own_form', 'context_form')} FROM load_rows"
    )
