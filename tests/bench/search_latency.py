"""Hybrid search latency over a large synthetic database.

    python tests/bench/search_latency.py --rows 1000000

Builds (or reuses, with --data-dir) a database of ROWS memories spread over the
six memory types, with synthetic text (pseudo-words drawn from a Zipf
distribution over a 30,000-word vocabulary, so some words are very common and
most are rare) and random unit vectors as embeddings (float32, ``--dim``
wide: 1280 by default, the width of the default embedder, MiniLM's 384,
USE multilingual's 512 and multilingual-e5's 384 side by side). Then runs hybrid searches across all
types (FTS5 BM25 + vector, RRF-fused) with 3-7 word queries drawn the same way
and a random query vector,
and prints p50/p95 latency (query embedding excluded; the embedder adds about
12 ms), time-filtered latency, the first-search (index load) time and the
database size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from storage import MEMORY_TYPE_NAMES, Query, Storage, kind_named
from storage.kinds import validate_fields
from storage.rows import encode_vector

SHARES = {  # a plausible mix after months of use
    "episodic": 0.35,
    "semantic": 0.25,
    "resource": 0.15,
    "procedural": 0.13,
    "knowledge_vault": 0.12,
}
DIM = 1280
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


def build(storage: Storage, rows: int, seed: int, dim: int) -> float:
    started = time.perf_counter()
    done = 0
    for type_name, batch in synthetic_batches(rows, seed, dim):
        store = storage.memories[type_name]

        def write(conn, batch=batch, store=store):  # type: ignore[no-untyped-def]
            for values, vec in batch:
                store.insert(conn, values, embedding=encode_vector(vec))

        storage._db.write(write)
        done += len(batch)
        print(f"\r  built {done:,}/{rows:,} rows", end="", file=sys.stderr)
    print(file=sys.stderr)
    return time.perf_counter() - started


def wait_for_graphs(storage: Storage) -> float:
    """Seconds until the search graphs being built in the background are ready
    (a first search answers from the exact matrix meanwhile; timing searches
    while both cores build would measure the build)."""
    started = time.perf_counter()
    while storage.vectors.building():
        time.sleep(0.2)
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, help="Reuse or keep the database here.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dim", type=int, default=DIM, help="embedding width (MiniLM alone: 384)")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="mirix-latency-"))
    storage = Storage.open(data_dir)
    existing = sum(storage.stats()["counts"][t]["live"] for t in SHARES)
    if existing < args.rows:
        if existing:
            sys.exit(f"{data_dir} holds {existing:,} rows, fewer than --rows; use a new dir.")
        print(f"Building {args.rows:,} memories in {data_dir} ...", file=sys.stderr)
        seconds = build(storage, args.rows, args.seed, args.dim)
        print(f"Built in {seconds:.0f} s ({args.rows / seconds:,.0f} rows/s)")
    rng = random.Random(args.seed + 2)
    zipf = Zipf(vocabulary(random.Random(args.seed)), np.random.default_rng(args.seed + 3))
    qrng = np.random.default_rng(args.seed + 4)
    kinds = tuple(kind_named(t) for t in MEMORY_TYPE_NAMES)

    def query(since: str | None = None, until: str | None = None) -> Query:
        vec = qrng.standard_normal(args.dim).astype(np.float32)
        return Query(
            text=" ".join(zipf.sample(rng.randint(3, 7))),
            vector=vec / np.linalg.norm(vec),
            kinds=kinds,
            since=since,
            until=until,
            limit=10,
        )

    started = time.perf_counter()
    storage.search.run(query())
    first = time.perf_counter() - started
    ready = first + wait_for_graphs(storage)
    plain: list[float] = []
    filtered: list[float] = []
    for i in range(args.queries):
        q = query() if i % 2 == 0 else query("2025-03-01T00:00:00Z", "2025-06-30T00:00:00Z")
        t0 = time.perf_counter()
        storage.search.run(q)
        (plain if i % 2 == 0 else filtered).append(1000 * (time.perf_counter() - t0))
    stats = storage.stats()
    total = sum(c["live"] for c in stats["counts"].values())
    print(
        f"Rows: {total:,} memories over 6 types "
        f"(random unit vectors, {args.dim}-d; synthetic Zipf text)"
    )
    print(f"First search (loads the vector index): {first:.1f} s; graphs ready after {ready:.1f} s")
    both = plain + filtered
    for label, values in (("all", both), ("no filter", plain), ("time filter", filtered)):
        print(
            f"Hybrid search, {label:<11}: p50 {percentile(values, 50):6.1f} ms, "
            f"p95 {percentile(values, 95):6.1f} ms, mean {statistics.mean(values):6.1f} ms "
            f"({len(values)} queries)"
        )
    print(f"Database size: {stats['database_bytes'] / 1e9:.2f} GB")
    storage.close()


if __name__ == "__main__":
    main()
