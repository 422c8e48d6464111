"""What the PostgreSQL engine's search does its own way: pgvector's HNSW indexes
(and the exact comparison a narrow filter needs), the keyword budget, and two
devices finding each other's rows at once. What any engine's search finds is the
parametrized suite in tests/storage (test_search, test_screens, test_vectors)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest
from pgvector.psycopg import register_vector

from storage.fts import query_terms
from storage.interface import UnitOfWork, VectorRequest, Where
from storage.kinds import MESSAGE, SCREENSHOT, Kind, kind_named, validate_fields
from storage.postgres.engine import PostgresEngine
from storage.postgres.search import where_sql
from storage.postgres.text import TermBudget
from storage.postgres.vectors import nearest
from tests.fakes import FakeEmbedder

WEIGHTS = (1.0, 0.3)


@pytest.fixture
def engine(pg_url: str) -> Iterator[PostgresEngine]:
    with PostgresEngine.open(pg_url, device="laptop") as opened:
        yield opened


def _say(engine: PostgresEngine, text: str, at: str = "2026-05-01T10:00:00Z", **extra: str) -> str:
    values = {"role": "user", "speaker": "Ann", "text": text, "at": at, **extra}
    return engine.repos.messages.add(values, embedding=FakeEmbedder(dim=64).vector(text)).id


def _rowids(engine: PostgresEngine, table: str, ids: list[str]) -> list[int]:
    with psycopg.connect(engine.db.url.url) as conn:
        found = dict(conn.execute(f"SELECT id, rowid FROM {table}").fetchall())
    return [found[i] for i in ids]


def _keywords(
    engine: PostgresEngine, query: str, *, kind: Kind = MESSAGE, where: Where | None = None
) -> list[int]:
    with engine.search.searching() as s:
        ranked = s.keyword_ranking(
            kind, query_terms(query), where=where or Where(), depth=10, weights=WEIGHTS
        )
    return [rowid for rowid, _ in ranked]


def test_vector_rankings_use_hnsw_and_honour_filters(engine: PostgresEngine) -> None:
    embed = FakeEmbedder(dim=64)
    texts = [f"note {i} about topic {i % 7}" for i in range(60)]
    ids = [_say(engine, t, at=f"2026-05-{1 + i % 28:02d}T10:00:00Z") for i, t in enumerate(texts)]
    rowids = dict(zip(ids, _rowids(engine, "messages", ids), strict=True))
    query = embed.vector(texts[17])
    with engine.search.searching() as s:
        ranked = s.vector_rankings({"message": VectorRequest(query, Where(), depth=5)}).result()[
            "message"
        ]
        assert ranked[0][0] == rowids[ids[17]]
        assert ranked[0][1] == pytest.approx(1.0, abs=1e-5)
        scores = [score for _, score in ranked]  # best first (float4 in the index)
        assert all(a >= b - 1e-6 for a, b in itertools.pairwise(scores))
        until = Where(until="2026-05-05T23:59:59Z")
        filtered = s.vector_rankings({"message": VectorRequest(query, until, depth=50)}).result()
        allowed = {rowids[i] for n, i in enumerate(ids) if 1 + n % 28 <= 5}
        assert {r for r, _ in filtered["message"]} == allowed
        plan = "\n".join(
            str(r["QUERY PLAN"])
            for r in s._conn.execute(
                "EXPLAIN SELECT rowid FROM messages t WHERE vector_dims(t.embedding) = 64 "
                "AND t.deleted_at IS NULL ORDER BY t.embedding::vector(64) <=> %s::vector(64) "
                "LIMIT 5",
                (query,),
            )
        )
    assert "messages_vec_64" in plan


def test_a_narrow_time_filter_still_gets_its_nearest_rows(engine: PostgresEngine) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((1500, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    kind = kind_named("semantic")

    def fill(work: UnitOfWork) -> list[str]:
        return [
            work.memories["semantic"].insert(
                validate_fields(kind, {"name": f"n{i}", "summary": f"row {i}"}), embedding=v
            )
            for i, v in enumerate(vectors)
        ]

    ids = engine.transaction(fill)
    rowids = _rowids(engine, "semantic", ids)
    with psycopg.connect(engine.db.url.url, autocommit=True) as conn:
        # One day's rows: every 150th (created_at is the filter's column for this type).
        day = [rowids[i] for i in range(0, 1500, 150)]
        conn.execute(
            "UPDATE semantic SET created_at = '2020-01-01T00:00:00.000000Z' WHERE rowid = ANY(%s)",
            (day,),
        )
        conn.execute("ANALYZE semantic")
    query = vectors[7]
    where = Where(since="2020-01-01T00:00:00.000000Z", until="2020-01-01T23:59:59.000000Z")
    with engine.search.searching() as s:
        ranked = s.vector_rankings({"semantic": VectorRequest(query, where, 10)}).result()
    expected = sorted(range(0, 1500, 150), key=lambda i: -float(vectors[i] @ query))
    assert [r for r, _ in ranked["semantic"]] == [rowids[i] for i in expected]
    # A planner that takes the HNSW index whatever the filter (as it does on large
    # tables) finds almost none of that day's rows in the index's candidates; the
    # exact comparison does not depend on it.
    clause, params = where_sql(kind, where)
    with psycopg.connect(engine.db.url.url) as conn:
        register_vector(conn)
        for name in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            conn.execute(f"SET {name} = off")
        through_index = nearest(
            conn, kind, query, depth=10, clause=clause, params=tuple(params), exact_within=0
        )
        exact = nearest(conn, kind, query, depth=10, clause=clause, params=tuple(params))
    assert len(through_index) < 10
    assert [r for r, _ in exact] == [rowids[i] for i in expected]


def test_what_one_device_stores_the_other_finds_at_once(pg_url: str) -> None:
    embed = FakeEmbedder(dim=64)
    with (
        PostgresEngine.open(pg_url, device="laptop") as laptop,
        PostgresEngine.open(pg_url, device="desktop") as desktop,
    ):
        assert _keywords(desktop, "quarterly") == []  # the desktop has searched before
        message = laptop.repos.messages.add(
            {"role": "user", "text": "The quarterly report is due", "at": "2026-05-01T10:00:00Z"},
            embedding=embed.vector("The quarterly report is due"),
        )
        frame = laptop.repos.screenshots.add(
            {"at": "2026-05-01T10:01:00Z", "app": "LibreOffice", "ocr_text": "Quarterly report Q2"}
        )
        (m_row,) = _rowids(desktop, "messages", [message.id])
        (f_row,) = _rowids(desktop, "screenshots", [frame.id])
        assert _keywords(desktop, "quarterly") == [m_row]
        assert _keywords(desktop, "quarterly", kind=SCREENSHOT) == [f_row]
        with desktop.search.searching() as s:
            found = s.vector_rankings(
                {"message": VectorRequest(embed.vector("quarterly report"), Where(), 3)}
            ).result()
            assert found["message"][0][0] == m_row
            assert s.values(SCREENSHOT, [f_row], "device") == {f_row: "laptop"}


def test_words_too_common_to_rank_are_left_to_the_vectors(engine: PostgresEngine) -> None:
    ids = [_say(engine, f"common word {'rare' if i < 2 else 'plain'} {i}") for i in range(20)]
    rowids = _rowids(engine, "messages", ids)
    engine.search.budget = TermBudget(budget=5)
    assert sorted(_keywords(engine, "common rare")) == sorted(rowids[:2])
    assert _keywords(engine, "common") == []
    engine.search.budget = TermBudget(budget=100)  # a table smaller than the budget
    assert len(_keywords(engine, "common")) == 10  # the depth asked
