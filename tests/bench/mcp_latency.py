"""Latency of the MCP server's search tool, seen from the client.

    python tests/bench/mcp_latency.py [--rows 100000] [--queries 200] [--starts 3]

Builds (or reuses, with --data-dir) a data folder of ROWS memories over the six
types as tests/bench/search_latency.py builds them (synthetic Zipf-distributed
text, random unit vectors; no provenance), then starts ``mirix-app mcp`` over
stdio with the MCP SDK's own client, as a desktop AI tool would, and prints:

- start to first answer: from spawning the server process to the answer of its
  first ``search_memories`` call (imports, opening the folder, initialize, the
  MiniLM embedder and the vector matrices loading), for each of ``--starts``
  server starts;
- ``search_memories`` calls (3-7 word queries, limit 10, all types): p50, p95
  and mean from the client's side: JSON-RPC over stdio, the argument check,
  embedding the query with MiniLM, hybrid search, the vault rules, redaction and
  the JSON reply. The goal is p95 <= 100 ms.
- the server's CPU time per call (its process's CPU time in the timed session less
  that of a session with the first call only, over the calls): on a shared
  machine wall times follow the load, this much less so.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import numpy as np
from latency_engines import SqliteSide  # the script's folder is on sys.path
from mcp import ClientSession, StdioServerParameters, stdio_client
from search_latency import SHARES, Zipf, build, vocabulary

from storage import Storage

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(Path(sys.executable).with_name("mirix-app"))


def ensure_folder(data_dir: Path, rows: int, seed: int) -> None:
    storage = Storage.open(data_dir)
    try:
        existing = sum(storage.stats()["counts"][t]["live"] for t in SHARES)
        if existing >= rows:
            return
        if existing:
            sys.exit(f"{data_dir} holds {existing:,} rows, fewer than --rows; use a new dir.")
        print(f"Building {rows:,} memories in {data_dir} ...", file=sys.stderr)
        seconds = build(SqliteSide(storage), rows, seed)
        print(f"Built in {seconds:.0f} s", file=sys.stderr)
    finally:
        storage.close()


def children_cpu() -> float:
    """CPU seconds (user + system) of the ended child processes (the servers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def server_params(data_dir: Path) -> StdioServerParameters:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("MIRIX_APP_KEYRING", "off")
    return StdioServerParameters(
        command=SCRIPT, args=["mcp", "--read-only", "--data-dir", str(data_dir)], env=env
    )


async def session_run(
    data_dir: Path, queries: list[str], timed: bool
) -> tuple[float, float, list[float]]:
    """(seconds to initialize, seconds to the first answer, ms per timed call)."""
    started = time.perf_counter()
    info = types.Implementation(name="mcp-latency", version="1")
    with open(os.devnull, "w") as quiet:
        async with (
            stdio_client(server_params(data_dir), errlog=quiet) as (read, write),
            ClientSession(read, write, client_info=info) as session,
        ):
            await session.initialize()
            ready = time.perf_counter() - started
            await search(session, queries[0])
            first = time.perf_counter() - started
            latencies: list[float] = []
            for query in queries[1:] if timed else ():
                t0 = time.perf_counter()
                await search(session, query)
                latencies.append(1000 * (time.perf_counter() - t0))
    return ready, first, latencies


async def search(session: ClientSession, query: str) -> Any:
    result = await session.call_tool("search_memories", {"query": query, "limit": 10})
    if result.is_error:
        raise SystemExit(f"search_memories failed: {result.content}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, help="Reuse or keep the folder here.")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="mirix-mcp-latency-"))
    ensure_folder(data_dir, args.rows, args.seed)
    rng = random.Random(args.seed + 2)
    zipf = Zipf(vocabulary(random.Random(args.seed)), np.random.default_rng(args.seed + 3))
    queries = [" ".join(zipf.sample(rng.randint(3, 7))) for _ in range(args.queries + 1)]

    untimed_cpu: list[float] = []
    for n in range(1, max(2, args.starts) + 1):
        last = n == max(2, args.starts)
        before = children_cpu()
        ready, first, latencies = anyio.run(session_run, data_dir, queries, last)
        cpu = children_cpu() - before
        if not last:
            untimed_cpu.append(cpu)
        print(
            f"Start {n}: initialized after {ready:.2f} s, first search answered after "
            f"{first:.2f} s (server CPU {cpu:.2f} s)"
        )
    per_call = 1000 * (cpu - statistics.mean(untimed_cpu)) / len(latencies)
    print(f"Rows: {args.rows:,} memories over 6 types; search_memories, limit 10, all types")
    print(
        f"search_memories over stdio: p50 {np.percentile(latencies, 50):.1f} ms, "
        f"p95 {np.percentile(latencies, 95):.1f} ms, mean {statistics.mean(latencies):.1f} ms "
        f"({len(latencies)} calls; goal p95 <= 100 ms)"
    )
    print(f"Server CPU per search_memories call: {per_call:.1f} ms")
    print(f"Load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
