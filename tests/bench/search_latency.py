"""Hybrid search latency over a large synthetic memory, on SQLite and PostgreSQL.

    python tests/bench/search_latency.py --rows 1000000 --engine sqlite --engine postgresql \
        [--data-dir DIR] [--url postgresql://...] [--shared-buffers 10GB] \
        [--clients 8 --writers 2 --seconds 30]

Builds (or reuses, with --data-dir) a memory of ROWS memories spread over the
five memory types that grow, with synthetic text (pseudo-words drawn from a Zipf
distribution over a 30,000-word vocabulary, so some words are very common and
most are rare) and random unit vectors as embeddings (float32, ``--dim``
wide: 1280 by default, the width of the default embedder, MiniLM's 384,
USE multilingual's 512 and multilingual-e5's 384 side by side), once per engine
(``--engine sqlite``, ``--engine postgresql``, both: ``--engine both``; see
tests/bench/latency_engines.py for how each is built). Then, engine after
engine, with the same queries: the project's one hybrid search
(:class:`storage.search.HybridSearch`, keyword and vector lists of all six
types fused) with 3-7 word queries drawn the same way and a random query
vector. It times the first search, waits for what opening left to do (SQLite's
graphs built in the background) and reads the engine's files into the OS cache
(this machine pages out file data unread for a minute), runs ``--warmup``
other queries, then times ``--queries`` (half of them with a time filter;
query embedding excluded: the embedder adds about 12 ms), then half as many
that name a period ("... last month", asked in mid-July 2025: June's episodes
preferred, see storage/periods.py), and prints p50/p95 and the size on disk.
Then ``--clients`` threads search while ``--writers`` threads import rows
(100 a transaction, through the storage API; at most ``--import-rate`` rows/s
each, as an import that embeds its rows would) for ``--seconds``: searches per
second and their p95, rows imported per second.
The figures are printed side by side at the end, with the load average they
were measured under.

PostgreSQL: a server of the ``pgserver`` wheel (PostgreSQL 16 with pgvector,
as the tests start it: fsync off) in DIR/postgresql, kept for a rerun, or in a
temporary folder; or the server of ``--url`` (an admin connection string), on
which a database ``mirix_bench_ROWS_DIM`` is made (kept with --data-dir,
dropped after the run without). ``--shared-buffers 10GB`` gives the pgserver
room to keep the HNSW indexes in its own buffers rather than in the OS cache
(at 10^6 rows on the 2-core machine both served about as well); the bench
starts it afresh, so its buffers fill only as queries read the indexes:
``--warmup 2000`` is about a server that has been answering for a while (each
search reads some 2,500 random pages of each kind's index). SQLite: the data
folder DIR/sqlite. Rows the writers import stay: a rerun searches a memory that
much larger.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt

# The repository's root, for tests.postgres (the pgserver helper); a spawned
# engine process starts with this sys.path too.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from latency_engines import (
    PostgresSide,
    Side,
    SqliteSide,
)  # the script's folder is on sys.path

from storage import MEMORY_TYPE_NAMES, Query, Storage, kind_named
from storage.kinds import validate_fields
from storage.periods import spoken_period

SHARES = {  # a plausible mix after months of use
    "episodic": 0.35,
    "semantic": 0.25,
    "resource": 0.15,
    "procedural": 0.13,
    "knowledge_vault": 0.12,
}
DIM = 1280
ASKED_AT = datetime(2025, 7, 15, 12, tzinfo=UTC)
"""When the queries naming a period are asked."""
VOCAB = 30_000


def vocabulary(rng: random.Random) -> list[str]:
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
    words: set[str] = set()
    while len(words) < VOCAB:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    return sorted(words)


class Zipf:
    def __init__(self, words: list[str], rng: np.random.Generator) -> None:
        ranks = np.arange(1, len(words) + 1)
        p = 1.0 / ranks**1.05
        self.cdf = np.cumsum(p / p.sum())
        self.words = words
        self.rng = rng

    def sample(self, n: int) -> list[str]:
        idx = np.searchsorted(self.cdf, self.rng.random(n))
        return [self.words[min(i, len(self.words) - 1)] for i in idx]


def fields_for(type_name: str, words: list[str], day: int) -> dict[str, object]:
    text = " ".join(words)
    at = f"2025-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T12:00:00Z"
    if type_name == "episodic":
        return {"occurred_at": at, "actor": "user", "summary": text}
    if type_name == "semantic":
        return {"name": words[0], "summary": text}
    if type_name == "procedural":
        return {"entry_type": "guide", "summary": text, "steps": words[:3]}
    if type_name == "resource":
        return {"title": " ".join(words[:3]), "summary": text}
    return {"entry_type": "note", "sensitivity": "low", "caption": text}


def synthetic_batches(
    rows: int, seed: int, dim: int, *, chunk: int = 20_000
) -> Iterator[tuple[str, list[tuple[dict[str, Any], npt.NDArray[np.float32]]]]]:
    """(memory type, [(validated values, vector)]) batches adding up to ``rows``,
    spread over the types by SHARES (the vault takes what is left)."""
    rng = random.Random(seed)
    zipf = Zipf(vocabulary(rng), np.random.default_rng(seed))
    vec_rng = np.random.default_rng(seed + 1)
    done = 0
    for type_name, share in SHARES.items():
        kind = kind_named(type_name)
        target = int(rows * share) if type_name != "knowledge_vault" else rows - done
        made = 0
        while made < target:
            n = min(chunk, target - made)
            vecs = vec_rng.standard_normal((n, dim)).astype(np.float32)
            yield (
                type_name,
                [
                    (
                        validate_fields(
                            kind,
                            fields_for(
                                type_name, zipf.sample(rng.randint(8, 30)), rng.randint(0, 700)
                            ),
                        ),
                        vecs[i],
                    )
                    for i in range(n)
                ],
            )
            made += n
            done += n


def build(side: Side, rows: int, seed: int, dim: int = DIM) -> float:
    """Seconds to load ``rows`` memories and make what the engine makes over them."""
    started = time.perf_counter()
    done = 0
    for type_name, batch in synthetic_batches(rows, seed, dim):
        side.load(type_name, batch)
        done += len(batch)
        print(f"\r  built {done:,}/{rows:,} rows", end="", file=sys.stderr)
    print(file=sys.stderr)
    loaded = time.perf_counter() - started
    side.finish_load(dim, built=True)
    total = time.perf_counter() - started
    print(f"  {side.name}: rows loaded in {loaded:.0f} s, indexes in {total - loaded:.0f} s")
    return total


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


@dataclass
class Figures:
    engine: str
    rows: int = 0
    build_s: float | None = None
    """None: the memory was there from an earlier run."""
    first_s: float = 0.0
    ready_s: float = 0.0
    plain: list[float] = field(default_factory=list)
    filtered: list[float] = field(default_factory=list)
    period: list[float] = field(default_factory=list)
    """Queries naming a period ("... last month"): preferred, not filtered."""
    sizes: dict[str, int] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)
    """1-minute load average before and after the timed searches."""
    concurrent: Concurrent | None = None


@dataclass
class Concurrent:
    clients: int
    writers: int
    seconds: float
    """Until the last search ended (a search that waits runs past the window)."""
    latencies: list[float]
    imported: int
    import_seconds: float
    """Until the last writer's transaction ended."""
    load: float


class Workload:
    """The queries and import batches every engine is given alike."""

    def __init__(self, args: argparse.Namespace) -> None:
        rng = random.Random(args.seed + 2)
        zipf = Zipf(vocabulary(random.Random(args.seed)), np.random.default_rng(args.seed + 3))
        vectors = np.random.default_rng(args.seed + 4)
        kinds = tuple(kind_named(t) for t in MEMORY_TYPE_NAMES)

        def query(filtered: bool) -> Query:
            vec = vectors.standard_normal(args.dim).astype(np.float32)
            return Query(
                text=" ".join(zipf.sample(rng.randint(3, 7))),
                vector=vec / np.linalg.norm(vec),
                kinds=kinds,
                since="2025-03-01T00:00:00Z" if filtered else None,
                until="2025-06-30T00:00:00Z" if filtered else None,
                limit=10,
            )

        def asked(plain: Query) -> Query:
            # Episodes are spread over 2025: asked in mid-July, "last month" is June
            # (and the weeks the search widens it by), a sixth of them.
            text = f"{plain.text} last month"
            return replace(plain, text=text, period=spoken_period(text, ASKED_AT))

        self.first = query(False)
        self.warmup = [query(i % 2 == 1) for i in range(args.warmup)]
        self.timed = [query(i % 2 == 1) for i in range(args.queries)]
        self.periods = [asked(query(False)) for _ in range(args.queries // 2)]
        self.imports = [
            list(synthetic_batches(2_000, args.seed + 100 + i, args.dim, chunk=100))
            for i in range(args.writers)
        ]


def measure(side: Side, args: argparse.Namespace, work: Workload) -> Figures:
    figures = Figures(side.name)
    existing = side.count()
    if existing < args.rows:
        if existing:
            sys.exit(f"The {side.name} memory holds {existing:,} rows, fewer than --rows.")
        print(f"Building {args.rows:,} memories on {side.name} ...", file=sys.stderr)
        figures.build_s = build(side, args.rows, args.seed, args.dim)
    else:
        side.finish_load(args.dim, built=False)
    figures.rows = side.count()
    started = time.perf_counter()
    side.search.run(work.first)
    figures.first_s = time.perf_counter() - started
    figures.ready_s = figures.first_s + side.settle()
    for query in work.warmup:
        side.search.run(query)
    before = os.getloadavg()[0]
    for query in work.timed:
        t0 = time.perf_counter()
        side.search.run(query)
        ms = 1000 * (time.perf_counter() - t0)
        (figures.filtered if query.since else figures.plain).append(ms)
    for query in work.periods:
        t0 = time.perf_counter()
        side.search.run(query)
        figures.period.append(1000 * (time.perf_counter() - t0))
    figures.load = (before, os.getloadavg()[0])
    figures.sizes = side.sizes()
    if args.seconds > 0:
        figures.concurrent = concurrency(side, args, work)
    print_engine(figures)
    return figures


def concurrency(side: Side, args: argparse.Namespace, work: Workload) -> Concurrent:
    """``clients`` threads search while ``writers`` threads import, for ``seconds``."""
    stop = threading.Event()
    latencies: list[float] = []
    imported = [0] * args.writers
    finished = [0.0] * args.writers

    def client(start: int) -> None:
        i = start
        while not stop.is_set():
            query = work.timed[i % len(work.timed)]
            i += args.clients
            t0 = time.perf_counter()
            side.search.run(query)
            latencies.append(1000 * (time.perf_counter() - t0))

    def writer(n: int) -> None:
        batches = work.imports[n]
        turn = 0
        begun = time.perf_counter()
        while not stop.is_set():
            type_name, batch = batches[turn % len(batches)]
            # Each round of the pool a new vector for every row: the same ones again
            # would sit on one spot of the graph.
            shift = turn // len(batches)
            side.write(type_name, [(v, np.roll(vec, shift)) for v, vec in batch])
            imported[n] += len(batch)
            turn += 1
            if args.import_rate > 0:  # an import that embeds its rows goes no faster
                stop.wait(begun + imported[n] / args.import_rate - time.perf_counter())
        finished[n] = time.perf_counter()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(args.writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    load = os.getloadavg()[0]
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    writing = max(finished, default=started) - started
    return Concurrent(args.clients, args.writers, elapsed, latencies, sum(imported), writing, load)


# -- the engines ---------------------------------------------------------------------


def run_engine(engine: str, root: Path, args: argparse.Namespace) -> Figures:
    """Every figure of one engine (the same queries for each: they come from the seed)."""
    with opened(engine, root, args) as side:
        return measure(side, args, Workload(args))


@contextlib.contextmanager
def opened(engine: str, root: Path, args: argparse.Namespace) -> Iterator[Side]:
    if engine == "sqlite":
        side = SqliteSide(Storage.open(root / "sqlite"))
        try:
            yield side
        finally:
            side.close()
        return
    with postgres_database(root, args) as url:
        pg = PostgresSide(
            url,
            connections=args.clients + args.writers + 2,
            maintenance_work_mem=args.maintenance_work_mem,
        )
        try:
            yield pg
        finally:
            pg.close()


@contextlib.contextmanager
def postgres_database(root: Path, args: argparse.Namespace) -> Iterator[str]:
    """The bench database's URL on ``--url``'s server or a pgserver of its own."""
    import psycopg

    server = None
    if args.url:
        admin = args.url
    else:
        from tests.postgres import PostgresServer

        server = PostgresServer(root / "postgresql")
        if args.shared_buffers:
            server = with_shared_buffers(server, root / "postgresql", args.shared_buffers)
        admin = server.admin_url
    name = f"mirix_bench_{args.rows}_{args.dim}"
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if found.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
        if args.url and args.data_dir is None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if server is not None:
            server.stop()


def with_shared_buffers(server: Any, folder: Path, size: str) -> Any:
    """The pgserver in ``folder`` with ``shared_buffers`` at ``size``: a setting
    read at start, so the server is restarted when it differs."""
    import psycopg
    import psycopg.sql

    from tests.postgres import PostgresServer

    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        setting = psycopg.sql.SQL("ALTER SYSTEM SET shared_buffers = {}")
        conn.execute(setting.format(psycopg.sql.Literal(size)))
        pending = conn.execute(
            "SELECT pending_restart FROM pg_settings WHERE name = 'shared_buffers'"
        ).fetchone()
    if pending is None or not pending[0]:
        return server
    server.stop()
    return PostgresServer(folder)


# -- output --------------------------------------------------------------------------


def print_engine(f: Figures) -> None:
    print(
        f"{f.engine}: {f.rows:,} memories, first search {f.first_s:.2f} s (ready {f.ready_s:.1f} s)"
    )
    for label, values in (
        ("no filter", f.plain),
        ("time filter", f.filtered),
        ("a period", f.period),
    ):
        if not values:
            continue
        print(
            f"  hybrid search, {label:<11}: p50 {percentile(values, 50):6.1f} ms, "
            f"p95 {percentile(values, 95):6.1f} ms, mean {statistics.mean(values):6.1f} ms "
            f"({len(values)} queries)"
        )
    print("  size: " + ", ".join(f"{k} {size(v)}" for k, v in f.sizes.items()))
    c = f.concurrent
    if c is not None:
        print(
            f"  {c.clients} clients searching while {c.writers} import: "
            f"{len(c.latencies) / c.seconds:.1f} searches/s, "
            f"p50 {percentile(c.latencies, 50):.1f} ms, p95 {percentile(c.latencies, 95):.1f} ms; "
            f"{c.imported / max(c.import_seconds, 1e-9):,.0f} rows/s imported"
        )


def size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def print_table(results: list[Figures], args: argparse.Namespace) -> None:
    def row(label: str, cells: list[str]) -> None:
        print(f"{label:<42}" + "".join(f"{c:>24}" for c in cells))

    def each(fn: Any) -> list[str]:
        return [fn(f) for f in results]

    print()
    print(
        f"Hybrid search over all six types, {args.dim}-d random unit vectors, "
        f"synthetic Zipf text (query embedding excluded)"
    )
    row("", each(lambda f: f.engine))
    row("memories", each(lambda f: f"{f.rows:,}"))
    row(
        "build (rows/s)",
        each(
            lambda f: (
                "reused"
                if f.build_s is None
                else f"{f.build_s:,.0f} s ({args.rows / f.build_s:,.0f}/s)"
            )
        ),
    )
    row("size on disk", each(lambda f: size(f.sizes.get("total", 0))))
    row("first search", each(lambda f: f"{f.first_s:.2f} s"))
    row("ready (graphs built / indexes read)", each(lambda f: f"{f.ready_s:.1f} s"))
    for label, pick in (
        ("no filter", "plain"),
        ("time filter", "filtered"),
        ("a period", "period"),
    ):
        row(
            f"{label}: p50 / p95 ms",
            each(
                lambda f, pick=pick: (
                    f"{percentile(getattr(f, pick), 50):.1f} / "
                    f"{percentile(getattr(f, pick), 95):.1f}"
                )
            ),
        )
    row(
        "all: p50 / p95 ms",
        each(
            lambda f: (
                f"{percentile(f.plain + f.filtered, 50):.1f} / "
                f"{percentile(f.plain + f.filtered, 95):.1f}"
            )
        ),
    )
    row("load average (1 min) before / after", each(lambda f: f"{f.load[0]:.1f} / {f.load[1]:.1f}"))
    if any(f.concurrent for f in results):
        row(
            f"{args.clients} clients + {args.writers} writers: searches/s",
            each(lambda f: f"{len(f.concurrent.latencies) / f.concurrent.seconds:.1f}"),
        )
        row(
            "  search p50 / p95 ms",
            each(
                lambda f: (
                    f"{percentile(f.concurrent.latencies, 50):.1f} / "
                    f"{percentile(f.concurrent.latencies, 95):.1f}"
                )
            ),
        )
        if args.import_rate > 0:
            row("  import rate asked per writer", each(lambda f: f"{args.import_rate:,.0f}/s"))
        row(
            "  rows imported/s",
            each(
                lambda f: f"{f.concurrent.imported / max(f.concurrent.import_seconds, 1e-9):,.0f}"
            ),
        )
        row("  the last search ended after", each(lambda f: f"{f.concurrent.seconds:.0f} s"))
        row("  load average (1 min)", each(lambda f: f"{f.concurrent.load:.1f}"))


def engines_of(names: list[str] | None) -> list[str]:
    if not names:
        return ["sqlite"]
    out: list[str] = []
    for name in names:
        for engine in ("sqlite", "postgresql") if name == "both" else (name,):
            if engine not in out:
                out.append(engine)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="timed, half time-filtered")
    parser.add_argument("--warmup", type=int, default=50, help="other queries run untimed first")
    parser.add_argument("--data-dir", type=Path, help="Reuse or keep the memories here.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dim", type=int, default=DIM, help="embedding width (MiniLM alone: 384)")
    parser.add_argument(
        "--engine",
        action="append",
        choices=("sqlite", "postgresql", "both"),
        help="repeatable; default sqlite",
    )
    parser.add_argument("--url", help="a PostgreSQL server to use instead of a pgserver one")
    parser.add_argument(
        "--maintenance-work-mem",
        default="4GB",
        help="PostgreSQL's memory for building an HNSW index (the build's session only)",
    )
    parser.add_argument(
        "--shared-buffers",
        help="PostgreSQL's shared_buffers for the pgserver this bench starts (a restart "
        "if it differs; kept in its folder): 10GB holds the HNSW indexes of 10^6 rows "
        "1,280 wide (8.2 GB); warm it with --warmup. The server's default is 128MB",
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0, help="0: no concurrency figure")
    parser.add_argument(
        "--import-rate",
        type=float,
        default=0.0,
        help="rows/s each writer imports at most (0: as fast as it can)",
    )
    args = parser.parse_args()
    temporary = args.data_dir is None
    root = args.data_dir or Path(tempfile.mkdtemp(prefix="mirix-latency-"))
    results: list[Figures] = []
    try:
        for engine in engines_of(args.engine):
            # Each engine in a process of its own: what one left in this process's
            # memory (a million rows' graphs) would squeeze the next one's file cache.
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as child:
                results.append(child.submit(run_engine, engine, root, args).result())
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    print_table(results, args)


if __name__ == "__main__":
    main()
