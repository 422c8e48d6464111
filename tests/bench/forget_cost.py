"""What a forget costs in a large capture history.

    python tests/bench/forget_cost.py --rows 100000

Builds ROWS synthetic screenshot rows as tests/bench/screens_latency.py does
(OCR-like text, a screen vector and 3-10 chunk vectors each, a year of times, a
dozen apps and a rare one; no image files), then forgets, in turn and timed:
one screenshot by id, one hour of capture, and every frame of the rare app
(0.2 % of them). Each forget does its whole work: the rows, the screenshots'
full-text index rewritten (FTS5 optimize), the free pages overwritten, the WAL
checkpointed and truncated. Prints each time, what it removed, the database
size, and a search afterwards (the vector index reloads once).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from screens_latency import RARE_APP, build  # the script's folder is on sys.path
from search_latency import DIM

from agents.screens.search import search_screens_with
from storage import ForgetScope, Storage
from storage.interface import Where


def timed(storage: Storage, label: str, scope: ForgetScope) -> None:
    started = time.perf_counter()
    report = storage.forget(scope)
    seconds = time.perf_counter() - started
    print(
        f"{label:<28} {seconds:7.2f} s  ({len(report.plan.screenshots):,} screenshots, "
        f"WAL emptied: {report.wal_cleared})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="A database built by screens_latency.py (--data-dir) to copy instead of building.",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mirix-forget-cost-"))
    data_dir = work / "data"
    if args.data_dir:
        shutil.copytree(args.data_dir, data_dir)
    storage = Storage.open(data_dir)
    if not args.data_dir:
        print(f"Building {args.rows:,} screenshots in {data_dir} ...", file=sys.stderr)
        build(storage, args.rows, args.seed)
    rows = storage.stats()["counts"]["screenshot"]["live"]
    print(f"Screenshots: {rows:,}; database {storage.stats()['database_bytes'] / 1e9:.2f} GB")
    first = storage._db.query("SELECT id, at FROM screenshots ORDER BY rowid LIMIT 1")[0]
    timed(storage, "one screenshot by id", ForgetScope(ids=(str(first["id"]),)))
    hour = str(first["at"])[:13]
    timed(
        storage,
        f"one hour ({hour})",
        ForgetScope(since=f"{hour}:00:00.000000Z", until=f"{hour}:59:59.999999Z"),
    )
    timed(storage, f"one app ({RARE_APP})", ForgetScope(app=RARE_APP))
    vector = np.random.default_rng(1).standard_normal(DIM).astype(np.float32)
    started = time.perf_counter()
    search_screens_with(storage, "report", vector / np.linalg.norm(vector), where=Where(), limit=20)
    print(f"First search after the forgets: {time.perf_counter() - started:.2f} s")
    print(f"Database size after: {storage.stats()['database_bytes'] / 1e9:.2f} GB")
    storage.close(finish_builds=False)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
