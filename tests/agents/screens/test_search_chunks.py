"""Screenshot search scores a screen by its whole text and by its closest chunk: a
question about one part of a busy screen finds it even where another screen's
whole text is nearer on average. Frames are kept with known text (no OCR); the
text embedder is the hashed bag of words from tests/fakes.py."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from agents import Assistant
from agents.screens.search import (
    ScreenSearchParams,
    group_similar,
    passage,
    search_screens,
    snippet,
)
from agents.screens.store import chunk_spans, embed_screen
from storage.interface import Where
from tests.screens_data import keep_text_frame


def filler(tag: str, words: int) -> str:
    return " ".join(f"{tag}{i}" for i in range(words))


# The timetable takes a few lines of a long page; the other screen mentions the
# query's words once in a short text, so its whole-screen vector is nearer.
BUSY_PAGE = "\n".join(
    [
        "harbour ferry timetable",
        "ferry timetable harbour",
        filler("a", 34),
        *(filler(f"w{k}x", 40) for k in range(5)),
    ]
)
SHORT_NOTE = "\n".join([f"harbour ferry {filler('s', 20)}", filler("t", 20)])
QUERY = "harbour ferry timetable"


def keep(assistant: Assistant, name: str, text: str) -> str:
    return keep_text_frame(assistant, name, text)


def ranked(assistant: Assistant, **params: float) -> list[str | None]:
    # Meaning only: the keyword list would favour the busy page on its own.
    chosen = ScreenSearchParams(text_weight=0.0, **params)  # type: ignore[arg-type]
    hits = search_screens(
        assistant.storage, assistant.embedder, QUERY, where=Where(), params=chosen
    )
    return [h.external_id for h in hits]


def test_the_closest_chunk_lifts_a_busy_screen_above_a_nearer_average(
    assistant: Assistant,
) -> None:
    keep(assistant, "busy", BUSY_PAGE)
    keep(assistant, "short", SHORT_NOTE)
    assert ranked(assistant, chunk_weight=0.0) == ["short", "busy"]  # whole screens alone
    assert ranked(assistant) == ["busy", "short"]


def test_a_screen_kept_before_chunk_embeddings_is_scored_by_its_whole_text(
    assistant: Assistant,
) -> None:
    busy = keep(assistant, "busy", BUSY_PAGE)
    keep(assistant, "short", SHORT_NOTE)

    def forget(conn: sqlite3.Connection) -> None:  # as a frame kept before schema v6
        conn.execute("UPDATE screenshots SET chunk_embeddings = NULL WHERE id = ?", (busy,))

    assistant.storage._db.write(forget)
    assert ranked(assistant) == ["short", "busy"]
    assert ranked(assistant, chunk_weight=0.0) == ["short", "busy"]


def test_keeping_a_frame_stores_one_row_per_chunk(assistant: Assistant) -> None:
    item = keep(assistant, "busy", BUSY_PAGE)
    with assistant.storage._db.reading() as conn:
        blob = conn.execute(
            "SELECT chunk_embeddings FROM screenshots WHERE id = ?", (item,)
        ).fetchone()[0]
    chunks = embed_screen(assistant.embedder, "Browser", "", BUSY_PAGE).chunks
    assert len(chunks) == 6
    assert len(blob) == chunks.size * 2  # float16


def test_a_hit_says_its_closest_chunk_and_the_passage_is_that_chunk(
    assistant: Assistant,
) -> None:
    keep(assistant, "busy", "\n".join([filler("x", 45), filler("y", 45), *BUSY_PAGE.splitlines()]))
    (hit,) = search_screens(assistant.storage, assistant.embedder, QUERY, where=Where())
    assert hit.closest_chunk == 2  # after two chunks of 45 words
    shown = passage(hit, redacted=False)
    assert shown.startswith("harbour ferry timetable ferry timetable harbour a0 a1")
    assert "x0" not in shown and "w0x0" not in shown
    assert len(chunk_spans(hit.text)) == 8


def test_a_redacted_passage_hides_secrets_even_across_chunks(assistant: Assistant) -> None:
    key_lines = [
        "-----BEGIN PRIVATE KEY-----",
        *(f"MIIEv{n}QIBADANBgkqhkiG9w0BAQEFAASCBKcwggSj" * 3 for n in range(12)),
        "-----END PRIVATE KEY-----",
    ]
    text = "\n".join(
        ["harbour ferry timetable", "mail ann@example.org", filler("p", 40), *key_lines]
    )
    keep(assistant, "secret", text)
    (hit,) = search_screens(assistant.storage, assistant.embedder, QUERY, where=Where())
    assert "ann@example.org" in passage(hit, redacted=False)
    shown = passage(hit, redacted=True)
    assert "[EMAIL]" in shown and "ann@example.org" not in shown
    assert "MIIEv" not in shown and "[PRIVATE_KEY]" in shown  # the key took lines with it
    # the chunk that holds only key lines: still nothing of the key
    assert "MIIEv" not in passage(replace(hit, closest_chunk=1), redacted=True)


def test_a_snippet_without_a_query_word_starts_at_the_closest_chunk() -> None:
    text = "\n".join([filler("x", 45), filler("y", 45), "ferry timetable " + filler("z", 50)])
    assert snippet(text, ["harbour"], closest_chunk=2).startswith("…ferry timetable z0 z1")
    assert snippet(text, ["harbour"]).startswith("x0 x1")  # not known: the start
    found = snippet(text, ["y20"], closest_chunk=2)  # a query word wins
    assert found.startswith("… y") and "y20" in found


def test_reindex_gives_older_screenshots_their_chunk_embeddings(assistant: Assistant) -> None:
    busy = keep(assistant, "busy", BUSY_PAGE)
    keep(assistant, "short", SHORT_NOTE)
    keep(assistant, "other", "a page kept after the upgrade")

    def read(conn: sqlite3.Connection) -> dict[str, bytes | None]:
        return dict(conn.execute("SELECT external_id, chunk_embeddings FROM screenshots"))

    with assistant.storage._db.reading() as conn:
        written = read(conn)

    def forget(conn: sqlite3.Connection) -> None:  # as frames kept before schema v6
        conn.execute("UPDATE screenshots SET chunk_embeddings = NULL WHERE external_id != 'other'")

    assistant.storage._db.write(forget)
    assert ranked(assistant)[:2] == ["short", "busy"]
    seen: list[tuple[int, int]] = []
    assert assistant.reindex_screens(progress=lambda done, total: seen.append((done, total))) == 2
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    with assistant.storage._db.reading() as conn:
        assert read(conn) == written  # the same vectors a new frame gets
    assert ranked(assistant)[:2] == ["busy", "short"]
    assert assistant.reindex_screens() == 0  # nothing left: a second run is a no-op
    assert busy in [h.screenshot_id for h in assistant.screens_search(QUERY)]


def test_frames_of_one_window_with_the_same_text_group_under_the_best(
    assistant: Assistant,
) -> None:
    typing = {keep(assistant, f"t{n}", BUSY_PAGE + " typed" * n) for n in range(3)}
    keep(assistant, "short", SHORT_NOTE)
    keep_text_frame(assistant, "elsewhere", BUSY_PAGE, app="Editor")  # same text, other window
    hits = search_screens(assistant.storage, assistant.embedder, QUERY, where=Where())
    groups = group_similar(hits)
    assert sorted(len(g) for g in groups) == [1, 1, 3]
    (three,) = [g for g in groups if len(g) == 3]
    assert {h.screenshot_id for h in three} == typing
    leaders = [g[0] for g in groups]
    assert leaders == sorted(leaders, key=hits.index)  # groups in rank order
    assert all(hits.index(g[0]) < hits.index(m) for g in groups for m in g[1:])


def test_a_rare_apps_screens_are_found_by_meaning_however_far_down_overall(
    assistant: Assistant,
) -> None:
    # 60 editor screens nearer the query than the one terminal screen: with a
    # shallow overall list the terminal is not in it; its app's frames are few,
    # so they are compared exactly.
    for i in range(60):
        keep_text_frame(
            assistant, f"e{i}", f"harbour ferry timetable {filler(f'e{i}x', 3)}", app="Editor"
        )
    keep_text_frame(assistant, "term", f"harbour ferry {filler('t', 30)}", app="Terminal")
    shallow = ScreenSearchParams(text_weight=0.0, depth=1, chunk_pool=1)

    def found(params: ScreenSearchParams) -> list[str | None]:
        hits = search_screens(
            assistant.storage,
            assistant.embedder,
            QUERY,
            where=Where(app="termin"),
            limit=1,
            params=params,
        )
        return [h.external_id for h in hits if "vector" in h.matched_by]

    assert found(shallow) == ["term"]
    # without the exact comparison (an app with more frames than the limit) the
    # deeper overall list misses it
    assert found(replace(shallow, app_exact_max=0)) == []


def test_a_screen_found_by_meaning_alone_must_be_close(assistant: Assistant) -> None:
    """The vector list always holds the nearest screens, however far: without a floor
    every screen kept was a hit for any query."""
    keep(assistant, "ferry", "harbour ferry timetable departures")
    keep(assistant, "far", "budget spreadsheet for march review")
    query = "when does the harbour ferry leave"  # no word of it on "far"

    def found(**params: float) -> list[str | None]:
        chosen = ScreenSearchParams(**params)  # type: ignore[arg-type]
        hits = search_screens(
            assistant.storage, assistant.embedder, query, where=Where(), params=chosen
        )
        return [h.external_id for h in hits]

    assert found(min_meaning=0.0) == ["ferry", "far"]  # no floor: the far screen too
    assert found() == ["ferry"]
    vector = assistant.embedder.embed([query])[0]
    far = assistant.embedder.embed(["budget spreadsheet for march review"])[0]
    assert float(vector @ far) < ScreenSearchParams().min_meaning


def test_search_and_screens_search_rank_screenshots_alike(assistant: Assistant) -> None:
    # The busy page wins by its closest chunk, which rank fusion of whole-screen
    # lists alone would not see; both commands run storage's one search.
    keep(assistant, "busy", BUSY_PAGE)
    keep(assistant, "short", SHORT_NOTE)
    for i in range(5):
        keep(assistant, f"side{i}", f"ferry {filler(f'q{i}x', 12)}")
    screens = assistant.screens_search(QUERY, limit=7)
    found = assistant.search(QUERY, types=["screenshot"], limit=7)
    assert [h.screenshot_id for h in screens] == [h.id for h in found]
    assert [h.score for h in screens] == [h.score for h in found]
    assert [h.closest_chunk for h in screens] == [h.part for h in found]
    assert found[0].fields["external_id"] == "busy"
