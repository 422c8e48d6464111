"""The PostgreSQL engine's search primitives over a large synthetic memory.

    python tests/bench/postgres_search.py --rows 100000 [--url postgresql://...]

Builds ROWS memories over the six types with the text and vectors of
``search_latency.py`` (Zipf pseudo-words; random unit vectors, ``--dim`` wide)
through the engine's repositories (so every row pays its tsvector and HNSW
insert), in a database of its own on ``--url``'s server, or on a pgserver
PostgreSQL started in a temporary folder (fsync off: throw-away data). Then
times what one hybrid search asks of the engine: the vector rankings of the six
types and their keyword rankings (depth 50, as the fusion asks), on one
snapshot, without and with a time filter; the fusion itself runs in Python on
top (:mod:`storage.search`) and is not timed here. Then 8 clients search while
2 import, and it prints queries per second and their p95. Figures: build rate,
p50/p95 per search, database size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from storage.fts import query_terms
from storage.interface import VectorRequest, Where
from storage.kinds import MEMORY_TYPE_NAMES, kind_named, validate_fields
from storage.postgres.engine import PostgresEngine, Repositories
from tests.bench.search_latency import Zipf, fields_for, synthetic_batches, vocabulary

DEPTH = 50


def build(engine: PostgresEngine, rows: int, seed: int, dim: int) -> float:
    started = time.perf_counter()
    done = 0
    for type_name, batch in synthetic_batches(rows, seed, dim, chunk=2_000):

        def write(repos: Repositories, batch=batch, name=type_name) -> None:  # type: ignore[no-untyped-def]
            for values, vec in batch:
                repos.memories[name].insert(values, embedding=vec)

        engine.transaction(write)
        done += len(batch)
        print(f"\r  built {done:,}/{rows:,} rows", end="", file=sys.stderr)
    print(file=sys.stderr)
    return time.perf_counter() - started


class Queries:
    def __init__(self, seed: int, dim: int) -> None:
        self.rng = random.Random(seed + 2)
        self.zipf = Zipf(vocabulary(random.Random(seed)), np.random.default_rng(seed + 3))
        self.vectors = np.random.default_rng(seed + 4)
        self.dim = dim
        self.lock = threading.Lock()

    def next(self) -> tuple[list[str], np.ndarray]:
        with self.lock:
            text = " ".join(self.zipf.sample(self.rng.randint(3, 7)))
            vec = self.vectors.standard_normal(self.dim).astype(np.float32)
        return query_terms(text), vec / np.linalg.norm(vec)


def search_once(engine: PostgresEngine, terms: list[str], vector: np.ndarray, where: Where) -> None:
    kinds = [kind_named(t) for t in MEMORY_TYPE_NAMES]
    with engine.search.searching() as s:
        s.vector_rankings({k.name: VectorRequest(vector, where, DEPTH) for k in kinds}).result()
        for kind in kinds:
            s.keyword_ranking(kind, terms, where=where, depth=DEPTH, weights=(1.0, 0.5))


def timed_search(
    engine: PostgresEngine, terms: list[str], vector: np.ndarray, where: Where
) -> float:
    """Milliseconds one search's engine part takes."""
    started = time.perf_counter()
    search_once(engine, terms, vector, where)
    return 1000 * (time.perf_counter() - started)


def p(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def concurrency(engine: PostgresEngine, queries: Queries, args: argparse.Namespace) -> None:
    """8 clients search for ``seconds`` while 2 import rows of the same kinds."""
    stop = threading.Event()
    latencies: list[float] = []
    imported = [0]
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            terms, vec = queries.next()
            ms = timed_search(engine, terms, vec, Where())
            with lock:
                latencies.append(ms)

    def importer(seed: int) -> None:
        while not stop.is_set():
            imported[0] += 200
            build_quiet(engine, 200, seed, args.dim)
            seed += 1

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    threads += [threading.Thread(target=importer, args=(1000 + i,)) for i in range(args.writers)]
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    print(
        f"{args.clients} clients searching while {args.writers} import: "
        f"{len(latencies) / args.seconds:.1f} searches/s, p50 {p(latencies, 50):.1f} ms, "
        f"p95 {p(latencies, 95):.1f} ms; {imported[0] / args.seconds:,.0f} rows/s imported"
    )


def build_quiet(engine: PostgresEngine, rows: int, seed: int, dim: int) -> None:
    rng = random.Random(seed)
    zipf = Zipf(vocabulary(random.Random(7)), np.random.default_rng(seed))
    vecs = np.random.default_rng(seed).standard_normal((rows, dim)).astype(np.float32)
    kind = kind_named("episodic")
    batch = [
        validate_fields(kind, fields_for("episodic", zipf.sample(rng.randint(8, 30)), i % 700))
        for i in range(rows)
    ]
    engine.transaction(
        lambda repos: [
            repos.memories["episodic"].insert(v, embedding=vecs[i]) for i, v in enumerate(batch)
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--url", help="a server to use (a database of its own is made on it)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    server = None
    if args.url:
        admin = args.url
    else:
        from tests.postgres import PostgresServer

        server = PostgresServer(Path(tempfile.mkdtemp(prefix="mirix-pgbench-")) / "pgdata")
        admin = server.admin_url
    name = f"mirix_bench_{int(time.time())}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    try:
        with PostgresEngine.open(url, device="bench", max_connections=16) as engine:
            seconds = build(engine, args.rows, args.seed, args.dim)
            rate = args.rows / seconds
            print(f"Built {args.rows:,} memories in {seconds:.0f} s ({rate:,.0f} rows/s)")
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
                size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            queries = Queries(args.seed, args.dim)
            search_once(engine, *queries.next(), Where())  # warm the caches
            span = Where(since="2025-03-01T00:00:00Z", until="2025-06-30T00:00:00Z")
            for label, where in (("no filter", Where()), ("time filter", span)):
                ms = []
                for _ in range(args.queries // 2):
                    terms, vec = queries.next()
                    ms.append(timed_search(engine, terms, vec, where))
                print(
                    f"Engine part of a hybrid search, {label:<11}: p50 {p(ms, 50):6.1f} ms, "
                    f"p95 {p(ms, 95):6.1f} ms, mean {statistics.mean(ms):6.1f} ms ({len(ms)})"
                )
            print(f"Database size: {size[0] / 1e9:.2f} GB" if size else "")
            concurrency(engine, queries, args)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
