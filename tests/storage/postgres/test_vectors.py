"""What the PostgreSQL engine's search leans on: the planner's view of each
vector width, rankings as deep as asked, the names of people read through their
indexes, one snapshot for the rankings a search runs on two connections."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import psycopg
import pytest

from storage.interface import UnitOfWork, VectorRequest, Where
from storage.kinds import kind_named, validate_fields
from storage.postgres.engine import PostgresEngine
from storage.postgres.search import PostgresSearchSession, Shared
from tests.fakes import FakeEmbedder


@pytest.fixture
def engine(pg_url: str) -> Iterator[PostgresEngine]:
    with PostgresEngine.open(pg_url, device="laptop") as opened:
        yield opened


def _store(engine: PostgresEngine, type_name: str, rows: list[dict[str, object]]) -> np.ndarray:
    """``rows`` of a memory type in one unit of work, each with a random vector
    16 wide; the vectors."""
    kind = kind_named(type_name)
    vectors = np.random.default_rng(len(rows)).standard_normal((len(rows), 16))
    vectors = vectors.astype(np.float32)

    def fill(work: UnitOfWork) -> None:
        for values, vector in zip(rows, vectors, strict=True):
            work.memories[type_name].insert(validate_fields(kind, values), embedding=vector)

    engine.transaction(fill)
    return vectors


def test_the_planner_knows_how_many_rows_an_index_of_a_width_covers(
    engine: PostgresEngine,
) -> None:
    # Each width's HNSW index is partial (vector_dims(embedding) = N). Taking that
    # to hold for 0.5 % of the rows, the planner compared every row of a table of
    # a few thousand 1,280-wide vectors exactly (each read from TOAST) instead of
    # asking the index: 12.8 ms against 2.3 ms in tests/bench/search_latency.py.
    kind = kind_named("knowledge_vault")
    notes = [{"entry_type": "note", "sensitivity": "low", "caption": f"n{i}"} for i in range(400)]
    _store(engine, kind.name, notes)
    with psycopg.connect(engine.db.url.url, autocommit=True) as conn:
        conn.execute(f"ANALYZE {kind.table}")  # as autovacuum does after a large change
        (plan,) = conn.execute(
            f"EXPLAIN (FORMAT JSON) SELECT t.rowid FROM {kind.table} t "
            "WHERE vector_dims(t.embedding) = 16 AND t.deleted_at IS NULL"
        ).fetchone() or (None,)
    assert plan[0]["Plan"]["Plan Rows"] >= 360


def test_a_ranking_deeper_than_the_search_breadth_gets_all_it_asks(
    engine: PostgresEngine,
) -> None:
    # HNSW returns at most hnsw.ef_search rows; a screenshot ranking asks for 200.
    kind = kind_named("semantic")
    vectors = _store(engine, kind.name, [{"name": f"n{i}", "summary": "row"} for i in range(300)])
    with engine.search.searching() as s:
        ranked = s.vector_rankings({kind.name: VectorRequest(vectors[0], Where(), 200)}).result()
    assert len(ranked[kind.name]) == 200


def test_the_people_named_in_messages_and_events_are_known(engine: PostgresEngine) -> None:
    embed = FakeEmbedder(dim=16)
    for speaker in ("Ann", "bob", None, "Ann", "  "):
        values: dict[str, object] = {"role": "user", "text": "hi", "at": "2026-05-01T10:00:00Z"}
        if speaker is not None:
            values["speaker"] = speaker
        engine.repos.messages.add(values, embedding=embed.vector("hi"))
    for actor in ("ann", "Cleo", None):
        values = {"occurred_at": "2026-05-01T10:00:00Z", "summary": "met"}
        if actor is not None:
            values["actor"] = actor
        engine.repos.memories["episodic"].add(values)
    with engine.search.searching() as s:
        assert s.known_actors() == frozenset({"ann", "bob", "cleo"})


def test_no_people_in_an_empty_memory(engine: PostgresEngine) -> None:
    with engine.search.searching() as s:
        assert s.known_actors() == frozenset()


def _note(engine: PostgresEngine, text: str) -> None:
    kind = kind_named("semantic")
    engine.transaction(
        lambda work: work.memories[kind.name].insert(
            validate_fields(kind, {"name": text, "summary": text}),
            embedding=FakeEmbedder(dim=16).vector(text),
        )
    )


def test_the_vector_rankings_read_the_search_s_own_snapshot(pg_url: str) -> None:
    # They run on a second connection beside the keyword rankings; a row stored
    # after the search began is in neither list.
    semantic = kind_named("semantic")

    def keywords(s: PostgresSearchSession, word: str) -> list[tuple[int, float]]:
        return s.keyword_ranking(semantic, [word], where=Where(), depth=10, weights=(1.0, 0.5))

    with PostgresEngine.open(pg_url, device="laptop", max_connections=4) as engine:
        _note(engine, "walrus")
        query = FakeEmbedder(dim=16).vector("zebra")
        with engine.search.searching() as s:
            assert len(keywords(s, "walrus")) == 1  # the search's snapshot is taken here
            _note(engine, "zebra")  # committed by another connection meanwhile
            pending = s.vector_rankings({"semantic": VectorRequest(query, Where(), 10)})
            assert keywords(s, "zebra") == []
            assert len(pending.result()["semantic"]) == 1
        with engine.search.searching() as s:
            pending = s.vector_rankings({"semantic": VectorRequest(query, Where(), 10)})
            assert len(keywords(s, "zebra")) == 1
            assert len(pending.result()["semantic"]) == 2


def test_a_search_with_no_connection_to_spare_ranks_on_its_own(pg_url: str) -> None:
    with PostgresEngine.open(pg_url, device="laptop", max_connections=1) as engine:
        _note(engine, "alone")
        query = FakeEmbedder(dim=16).vector("alone")
        with engine.search.searching() as s:
            ranked = s.vector_rankings({"semantic": VectorRequest(query, Where(), 5)}).result()
        assert [score for _, score in ranked["semantic"]] == [pytest.approx(1.0, abs=1e-5)]


def test_the_search_s_own_connection_ranks_what_the_one_beside_has_not_taken() -> None:
    # The one beside takes a kind and is still at it when the search asks for the
    # result: the search's own connection ranks the rest, each kind once.
    names = ["episodic", "semantic", "procedural", "resource", "knowledge_vault"]
    request = VectorRequest(np.ones(4, dtype=np.float32), Where(), 5)
    ranked_by: dict[str, list[str]] = {"here": [], "beside": []}
    here_started, beside_took = threading.Event(), threading.Event()

    def here(name: str, _: VectorRequest) -> list[tuple[int, float]]:
        here_started.set()
        ranked_by["here"].append(name)
        return [(len(name), 1.0)]

    def beside(name: str, _: VectorRequest) -> list[tuple[int, float]]:
        beside_took.set()
        assert here_started.wait(10)
        ranked_by["beside"].append(name)
        return [(len(name), 0.5)]

    shared = Shared(dict.fromkeys(names, request), here)
    with ThreadPoolExecutor(max_workers=1) as pool:
        shared.beside = pool.submit(shared.work, beside)
        assert beside_took.wait(10)
        result = shared.result()
    assert sorted(result) == sorted(names)
    assert sorted(ranked_by["here"] + ranked_by["beside"]) == sorted(names)
    assert ranked_by["beside"] == ["episodic"]
    assert result["episodic"] == [(len("episodic"), 0.5)]
    assert result["semantic"] == [(len("semantic"), 1.0)]
