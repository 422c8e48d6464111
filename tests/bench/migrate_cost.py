"""What ``mirix-app migrate`` and a forget cost on PostgreSQL.

    python tests/bench/migrate_cost.py --rows 10000 --screens 2000

Builds a SQLite data folder of ROWS memories over the six types (the text and
vectors of ``search_latency.py``, ``--dim`` wide) and SCREENS screenshot rows
(each with its screen vector and five chunk vectors, no image files), then
migrates it into a database of its own on a pgserver PostgreSQL started in a
temporary folder (fsync off: throw-away data), timing the copy and the
verification apart, and the HNSW indexes' build (after the copy) once more.
Then forgets one screenshot on PostgreSQL and times it, the VACUUM of the
touched tables included, and the VACUUM of the screenshots table alone after
one more row deleted (its HNSW index, read whole, is what costs). Prints each
figure and the record rate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agents.migrate import digest, migrate_to_postgres
from agents.vault_key import KeyFileSource, VaultCipher
from storage import ForgetScope, Storage
from storage.kinds import SCREENSHOT, validate_fields
from storage.postgres import vectors
from storage.postgres.engine import PostgresEngine
from storage.postgres.forget import vacuum
from storage.postgres.transfer import index_vectors
from storage.rows import new_id
from storage.screens import encode_chunk_vectors
from tests.bench.search_latency import synthetic_batches
from tests.postgres import PostgresServer


def build(data: Path, rows: int, screens: int, dim: int) -> list[str]:
    """The folder's memory; the screenshot ids."""
    rng = np.random.default_rng(7)
    shots: list[str] = []
    with Storage.open(data, cipher=VaultCipher(data, KeyFileSource())) as storage:
        for name, batch in synthetic_batches(rows, 7, dim, chunk=2_000):
            storage.transaction(
                lambda w, batch=batch, name=name: [  # type: ignore[misc]
                    w.memories[name].insert(values, embedding=vec) for values, vec in batch
                ]
            )
        for n in range(screens):
            values = validate_fields(
                SCREENSHOT,
                {
                    "at": f"2024-05-{1 + n % 28:02d}T10:00:00Z",
                    "app": "Browser",
                    "ocr_text": f"screen {n}",
                },
            )
            chunks = rng.standard_normal((5, dim)).astype(np.float32)
            item_id = new_id(SCREENSHOT)
            storage.transaction(
                lambda w, v=values, i=item_id, c=chunks: w.screenshots.insert_frame(  # type: ignore[misc]
                    v,
                    item_id=i,
                    embedding=rng.standard_normal(dim).astype(np.float32),
                    context="",
                    chunk_embeddings=encode_chunk_vectors(c / np.linalg.norm(c, axis=1)[:, None]),
                    image_embedding=None,
                    sensitive_boxes=[],
                )
            )
            shots.append(item_id)
    return shots


def rebuild(engine: PostgresEngine) -> float:
    """Seconds to build the vector indexes anew, as a migration does after its copy."""

    def drop(conn: Any) -> None:
        found = conn.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_vec_%%'")
        for row in found.fetchall():
            conn.execute(f"DROP INDEX {row['indexname']}")

    engine.db.write(drop)
    vectors._known.clear()  # this process made them: it must not skip them now
    started = time.perf_counter()
    index_vectors(engine.db)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--screens", type=int, default=2_000)
    parser.add_argument("--dim", type=int, default=1280)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mirix-migrate-") as folder:
        data = Path(folder) / "data"
        started = time.perf_counter()
        shots = build(data, args.rows, args.screens, args.dim)
        print(f"SQLite folder built: {time.perf_counter() - started:.1f} s")
        server = PostgresServer(Path(folder) / "pgdata")
        try:
            url = server.create_database()
            records = 0

            def progress(done: int, total: int, there: int) -> None:
                nonlocal records
                records = done
                print(f"\r  copied {done:,}/{total:,}", end="", file=sys.stderr)

            started = time.perf_counter()
            report = migrate_to_postgres(data, url, key_source=KeyFileSource(), progress=progress)
            migrate_s = time.perf_counter() - started
            print(file=sys.stderr)
            cipher = VaultCipher(data, KeyFileSource())
            with Storage.open(data, cipher=cipher) as source:
                started = time.perf_counter()
                digest(source)
                sqlite_s = time.perf_counter() - started
            with PostgresEngine.open(url, cipher=cipher) as engine:
                started = time.perf_counter()
                digest(engine)
                pg_s = time.perf_counter() - started
            copy_s = migrate_s - sqlite_s - pg_s
            print(
                f"migrate: {records:,} records in {migrate_s:.1f} s, verified: {report.matches}; "
                f"of which the verification's digests: SQLite {sqlite_s:.1f} s, PostgreSQL "
                f"{pg_s:.1f} s; the copy about {copy_s:.1f} s ({records / copy_s:,.0f} records/s)"
            )
            with PostgresEngine.open(url, cipher=cipher) as engine:
                print(f"of the copy, the HNSW indexes built again: {rebuild(engine):.1f} s")
                started = time.perf_counter()
                engine.forget(ForgetScope(ids=(shots[0],)))
                forget_s = time.perf_counter() - started
                engine.db.write(
                    lambda conn: conn.execute("DELETE FROM screenshots WHERE id = %s", (shots[1],))
                )
                started = time.perf_counter()
                vacuum(engine.db, ["screenshots"])
                vacuum_s = time.perf_counter() - started
            print(
                f"forget one screenshot of {args.screens:,}: {forget_s:.2f} s; the VACUUM "
                f"of the screenshots table and its indexes alone (after a row deleted by "
                f"hand): {vacuum_s:.2f} s"
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
