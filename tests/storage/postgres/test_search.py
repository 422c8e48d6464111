"""The PostgreSQL engine's search primitives: full-text ranking (English stems,
CJK bigrams, diacritics), HNSW vector rankings with filters, row reads."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import psycopg
import pytest
from pgvector.psycopg import register_vector

from storage.fts import query_terms
from storage.interface import UnitOfWork, VectorRequest, Where
from storage.kinds import EPISODIC, MESSAGE, SCREENSHOT, Kind, kind_named, validate_fields
from storage.postgres.engine import PostgresEngine
from storage.postgres.search import where_sql
from storage.postgres.text import TermBudget
from storage.postgres.vectors import nearest
from storage.records import SourceRef
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


def test_keywords_match_stems_and_rank_own_text_over_context(engine: PostgresEngine) -> None:
    running = _say(engine, "Ann was running by the river")
    other = _say(engine, "Bob cooked dinner")
    ids = _rowids(engine, "messages", [running, other])
    assert _keywords(engine, "who runs?") == [ids[0]]
    in_context = engine.repos.memories["semantic"].add(
        {"name": "Trip", "summary": "a weekend away"}, context="Ann: the river trail"
    )
    in_text = engine.repos.memories["semantic"].add({"name": "River", "summary": "the Thames"})
    semantic = kind_named("semantic")
    order = _keywords(engine, "river", kind=semantic)
    assert order == _rowids(engine, "semantic", [in_text.id, in_context.id])


def test_cjk_words_inside_unspaced_sentences_and_diacritics_match(engine: PostgresEngine) -> None:
    chinese = _say(engine, "我喜欢猫，也喜欢下雨天")
    french = _say(engine, "Rendez-vous au café à midi")
    fullwidth = _say(engine, "型号ＡＢＣ１２３已售罄")
    ids = _rowids(engine, "messages", [chinese, french, fullwidth])
    assert _keywords(engine, "喜欢") == [ids[0]]
    assert _keywords(engine, "下雨") == [ids[0]]
    assert _keywords(engine, "狗") == []
    assert _keywords(engine, "cafe") == [ids[1]]
    assert _keywords(engine, "abc123") == [ids[2]]


def test_deleted_rows_and_filters_leave_the_rankings(engine: PostgresEngine) -> None:
    semantic = engine.repos.memories["semantic"]
    gone = semantic.add({"name": "Miso", "summary": "cat"})
    kept = semantic.add({"name": "Miso", "summary": "the cat again"})
    semantic.delete(gone.id)
    assert _keywords(engine, "miso", kind=kind_named("semantic")) == _rowids(
        engine, "semantic", [kept.id]
    )
    early = _say(engine, "tea at noon", at="2026-01-01T00:00:00Z")
    late = _say(engine, "tea at dusk", at="2026-06-01T00:00:00Z")
    since = Where(since="2026-03-01T00:00:00.000000Z")
    assert _keywords(engine, "tea", where=since) == _rowids(engine, "messages", [late])
    assert early


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


def test_rows_terms_and_values_for_the_fusion(engine: PostgresEngine) -> None:
    msg = _say(engine, "Ann adopted Miso", external_id="ext-1")
    episode = engine.repos.memories["episodic"].add(
        {"occurred_at": "2026-05-01T10:00:00Z", "actor": "Ann", "summary": "adopted Miso"},
        sources=[SourceRef("message", msg)],
    )
    vault = engine.repos.memories["knowledge_vault"].add(
        {"entry_type": "pin", "sensitivity": "low", "caption": "Miso's chip", "secret_value": "981"}
    )
    (m_row,) = _rowids(engine, "messages", [msg])
    (e_row,) = _rowids(engine, "episodic", [episode.id])
    (v_row,) = _rowids(engine, "knowledge_vault", [vault.id])
    with engine.search.searching() as s:
        found = s.rows(EPISODIC, [e_row])[e_row]
        assert found.id == episode.id and found.at == "2026-05-01T10:00:00.000000Z"
        assert found.sources == (SourceRef("message", msg, "ext-1"),)
        assert "secret_value" not in s.rows(kind_named("knowledge_vault"), [v_row])[v_row].fields
        assert s.values(MESSAGE, [m_row], "external_id") == {m_row: "ext-1"}
        assert s.known_actors() == frozenset({"ann"})
        counts = s.term_counts(MESSAGE, ["miso", "dog"], [m_row])
        assert (counts.total, counts.docs, counts.holders) == (
            1,
            {"miso": 1, "dog": 0},
            {"miso": {m_row}, "dog": set()},
        )


def test_a_frame_stored_in_one_unit_of_work_is_ranked_by_chunks_and_image(
    engine: PostgresEngine,
) -> None:
    chunks = np.arange(6, dtype=np.float16).reshape(2, 3)
    image = np.array([0.6, 0.8], dtype=np.float32)
    text = FakeEmbedder(dim=64)

    def keep_frame(work: UnitOfWork) -> str:
        values = {"at": "2026-05-01T10:00:00Z", "app": "Firefox", "ocr_text": "Invoice 42"}
        return work.screenshots.insert_frame(
            validate_fields(SCREENSHOT, values),
            item_id="scr_frame1",
            embedding=text.vector("Invoice 42"),
            context="",
            chunk_embeddings=chunks.astype("<f2").tobytes(),
            image_embedding=image * 3,  # stored normalised
            sensitive_boxes=[(1, 2, 3, 4)],
        )

    assert engine.transaction(keep_frame) == "scr_frame1"
    (row,) = _rowids(engine, "screenshots", ["scr_frame1"])
    with engine.search.searching() as s:
        np.testing.assert_array_equal(s.chunk_vectors(SCREENSHOT, [row], 3)[row], chunks)
        assert s.image_ranking(SCREENSHOT, image, where=Where(app="fire"), depth=3) == [
            (row, pytest.approx(1.0))
        ]
        assert s.image_ranking(SCREENSHOT, image, where=Where(app="chrome"), depth=3) == []
        assert s.values(SCREENSHOT, [row], "device") == {row: "laptop"}
        assert _keywords(engine, "invoice", kind=SCREENSHOT) == [row]
    assert engine.repos.screenshots.row("scr_frame1")["sensitive_boxes"] == "[[1, 2, 3, 4]]"


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
