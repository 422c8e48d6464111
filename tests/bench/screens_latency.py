"""Screenshot search latency over a large synthetic capture history.

    python tests/bench/screens_latency.py --rows 100000

Builds (or reuses, with --data-dir) ROWS screenshot rows as months of capture
would leave them: synthetic OCR text (120-400 pseudo-words from the Zipf
vocabulary of search_latency.py), a random unit screen vector and 3-10 random
chunk vectors each (384-d, chunks stored as float16 as the pipeline does), over
a year of times and a dozen apps plus a rare one (0.2 % of the frames); no
image files. Then runs screen searches (keyword + meaning, with the
closest-chunk comparison and without it) with 2-5 word queries and random query
vectors, with and without a time, app or rare-app filter, and prints p50/p95
latency (query embedding excluded; MiniLM adds about 10 ms), the first search
(index load), how many of the rare app's nearest screens a search filtered to
it finds, and the database size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from latency_engines import graphs_building, wait_for_graphs
from search_latency import (  # the script's folder is on sys.path
    DIM,
    Zipf,
    percentile,
    vocabulary,
)

from agents.screens.search import ScreenSearchParams, search_screens_with
from storage import Storage
from storage.interface import Where
from storage.kinds import SCREENSHOT, validate_fields
from storage.rows import encode_vector
from storage.screens import encode_chunk_vectors

APPS = ("Firefox", "Code", "Slack", "Terminal", "Thunderbird", "Evince", "LibreOffice")
APPS += ("Chromium", "Zoom", "Spotify", "Files", "Settings")
RARE_APP, RARE_SHARE = "Blender", 0.002


def build(storage: Storage, rows: int, seed: int) -> float:
    rng = random.Random(seed)
    zipf = Zipf(vocabulary(rng), np.random.default_rng(seed))
    vec_rng = np.random.default_rng(seed + 1)
    started = time.perf_counter()
    made = 0
    while made < rows:
        n = min(5_000, rows - made)
        batch = []
        for _ in range(n):
            day, second = rng.randint(0, 364), rng.randint(0, 86_399)
            at = f"2025-{1 + day // 31 % 12:02d}-{1 + day % 28:02d}T{second // 3600:02d}:"
            at += f"{second // 60 % 60:02d}:{second % 60:02d}Z"
            words = zipf.sample(rng.randint(120, 400))
            text = "\n".join(" ".join(words[i : i + 8]) for i in range(0, len(words), 8))
            values = validate_fields(
                SCREENSHOT,
                {
                    "at": at,
                    "app": RARE_APP if rng.random() < RARE_SHARE else rng.choice(APPS),
                    "window_title": " ".join(words[:4]),
                    "ocr_text": text,
                },
            )
            chunks = vec_rng.standard_normal((rng.randint(3, 10), DIM)).astype(np.float32)
            chunks /= np.linalg.norm(chunks, axis=1, keepdims=True)
            screen = chunks.mean(axis=0)
            batch.append((values, encode_vector(screen), encode_chunk_vectors(chunks)))

        def write(conn, batch=batch):  # type: ignore[no-untyped-def]
            for values, screen, chunks in batch:
                item_id = storage.screenshots.insert(conn, values, embedding=screen)
                conn.execute(
                    "UPDATE screenshots SET chunk_embeddings = ? WHERE id = ?", (chunks, item_id)
                )

        storage._db.write(write)
        made += n
        print(f"\r  built {made:,}/{rows:,} screenshots", end="", file=sys.stderr)
    print(file=sys.stderr)
    return time.perf_counter() - started


def rare_app_recall(storage: Storage, qrng: np.random.Generator, queries: int) -> str:
    """How many of the rare app's 20 nearest screens (exact, by screen vector) a
    meaning-only search filtered to that app returns."""
    with storage._db.reading() as conn:
        rows = conn.execute(
            "SELECT rowid, embedding FROM screenshots WHERE app = ? AND deleted_at IS NULL",
            (RARE_APP,),
        ).fetchall()
    rowids = np.array([r[0] for r in rows], dtype=np.int64)
    matrix = np.stack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
    # No floor on the meaning score: random vectors are all far apart (cosines
    # near 0), and what is measured is whether the filtered index finds them.
    meaning_only = ScreenSearchParams(text_weight=0.0, chunk_weight=0.0, min_meaning=-1.0)
    where = Where(app=RARE_APP.lower())
    found = []
    for _ in range(queries):
        vector = qrng.standard_normal(DIM).astype(np.float32)
        vector /= np.linalg.norm(vector)
        truth = set(rowids[np.argsort(-(matrix @ vector))[:20]].tolist())
        hits = search_screens_with(
            storage, "zzzqqq", vector, where=where, limit=20, params=meaning_only
        )
        ids = [h.screenshot_id for h in hits]
        with storage._db.reading() as conn:
            got = {
                int(r[0])
                for r in conn.execute(
                    f"SELECT rowid FROM screenshots WHERE id IN ({','.join('?' * len(ids))})", ids
                )
            }
        found.append(len(truth & got) / len(truth))
    return (
        f"rare app ({len(rows)} of the screenshots): meaning-only search finds "
        f"{100 * statistics.mean(found):.1f} % of its 20 nearest screens ({queries} queries)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, help="Reuse or keep the database here.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="mirix-screens-latency-"))
    storage = Storage.open(data_dir)
    existing = storage.stats()["counts"]["screenshot"]["live"]
    if existing < args.rows:
        if existing:
            sys.exit(
                f"{data_dir} holds {existing:,} screenshots, fewer than --rows; use a new dir."
            )
        print(f"Building {args.rows:,} screenshots in {data_dir} ...", file=sys.stderr)
        seconds = build(storage, args.rows, args.seed)
        print(f"Built in {seconds:.0f} s ({args.rows / seconds:,.0f} rows/s)")
    rng = random.Random(args.seed + 2)
    zipf = Zipf(vocabulary(random.Random(args.seed)), np.random.default_rng(args.seed + 3))
    qrng = np.random.default_rng(args.seed + 4)
    with_chunks = ScreenSearchParams()
    without = replace(with_chunks, chunk_weight=0.0)

    def search(params: ScreenSearchParams, where: Where) -> float:
        vector = qrng.standard_normal(DIM).astype(np.float32)
        text = " ".join(zipf.sample(rng.randint(2, 5)))
        t0 = time.perf_counter()
        search_screens_with(
            storage, text, vector / np.linalg.norm(vector), where=where, limit=20, params=params
        )
        return 1000 * (time.perf_counter() - t0)

    started = time.perf_counter()
    search(with_chunks, Where())
    first = time.perf_counter() - started
    during = []  # the exact matrix answers while the graph is built on one core
    while graphs_building(storage) and len(during) < 500:
        during.append(search(with_chunks, Where()))
    ready = time.perf_counter() - started + wait_for_graphs(storage)
    filters = {
        "no filter": Where(),
        "one month": Where(since="2025-03-01T00:00:00Z", until="2025-03-31T23:59:59Z"),
        "one app": Where(app="slack"),
        "rare app": Where(app=RARE_APP.lower()),
    }
    print(
        f"Screenshots: {storage.stats()['counts']['screenshot']['live']:,} "
        f"(synthetic text, random {DIM}-d vectors, 3-10 chunk vectors each)"
    )
    print(f"First search (loads the vector index): {first:.1f} s; graph ready after {ready:.1f} s")
    if during:
        print(
            f"While the graph is built in the background: p50 {percentile(during, 50):.1f} ms, "
            f"p95 {percentile(during, 95):.1f} ms ({len(during)} searches, no filter)"
        )
    for label, params in (("closest chunk + screen", with_chunks), ("screen vector only", without)):
        for name, where in filters.items():
            times = [search(params, where) for _ in range(args.queries // len(filters))]
            print(
                f"{label:<22} {name:<9}: p50 {percentile(times, 50):6.1f} ms, "
                f"p95 {percentile(times, 95):6.1f} ms, mean {statistics.mean(times):6.1f} ms "
                f"({len(times)} queries)"
            )
    print(rare_app_recall(storage, qrng, args.queries // len(filters)))
    print(f"Database size: {storage.stats()['database_bytes'] / 1e9:.2f} GB")
    storage.close()


if __name__ == "__main__":
    main()
