"""The test PostgreSQL itself: a database of its own per test, pgvector with HNSW."""

from __future__ import annotations

import psycopg
import pytest


def test_each_test_gets_an_empty_database_with_pgvector(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, e vector(3))")
        conn.execute("CREATE INDEX ON t USING hnsw (e vector_cosine_ops)")
        conn.execute("INSERT INTO t VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0.9,0.1,0]')")
        conn.execute("SET enable_seqscan = off")
        nearest = conn.execute("SELECT id FROM t ORDER BY e <=> '[1,0,0]' LIMIT 2").fetchall()
        assert nearest == [(1,), (3,)]


@pytest.mark.parametrize("round_", [1, 2])
def test_a_table_made_by_one_test_is_gone_in_the_next(pg_url: str, round_: int) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE only_here (x int)")  # fails if the other round's remained
