"""storage/postgres/forget.py: forgetting on a shared PostgreSQL memory deletes
the rows for good, the memories made only from them with their history, the
contexts and batch items that quote them; the image files named are this
device's, another device's are left on a list for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from storage import ForgetScope, InvalidInputError, NotFoundError, SourceRef
from storage.postgres.engine import PostgresEngine
from tests.memory_data import add_frame

SESSION = "trip"


@pytest.fixture
def laptop(pg_url: str) -> Iterator[PostgresEngine]:
    with PostgresEngine.open(pg_url, device="laptop") as opened:
        yield opened


def say(engine: PostgresEngine, text: str, at: str, context: str = "") -> str:
    values = {"role": "user", "speaker": "Sam", "text": text, "at": at, "session": SESSION}
    return engine.repos.messages.add(values, context=context).id


def one(engine: PostgresEngine, sql: str, *params: object) -> Any:
    with psycopg.connect(engine.db.url.url) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def test_forgetting_a_message_by_id(laptop: PostgresEngine) -> None:
    stays = say(laptop, "Morning, lanternsaffron is the code word.", "2024-05-01T09:00:00Z")
    gone = say(
        laptop,
        "My locker code is quokkaviolet.",
        "2024-05-01T09:01:00Z",
        context="Sam: Morning, lanternsaffron is the code word.",
    )
    after = say(
        laptop,
        "Noted, see you there.",
        "2024-05-01T09:02:00Z",
        context="Sam: My locker code is quokkaviolet.",
    )
    memories = laptop.repos.memories
    only = memories["semantic"].add(
        {"name": "Locker", "summary": "code quokkaviolet"},
        sources=[SourceRef("message", gone)],
        context="Sam: My locker code is quokkaviolet.",
    )
    memories["semantic"].update(only.id, {"summary": "the locker code"})  # history to go
    both = memories["episodic"].add(
        {"occurred_at": "2024-05-01T09:00:00Z", "summary": "code words"},
        sources=[SourceRef("message", stays), SourceRef("message", gone)],
    )
    made_from_after = memories["resource"].add(
        {"title": "Plan", "content": "meet there"},
        sources=[SourceRef("message", after)],
        context="Sam: My locker code is quokkaviolet.",
    )
    memories["core"].update(
        "core_human", {"text": "Has a locker"}, sources=[SourceRef("message", gone)]
    )
    item = {"kind": "message", "at": "2024-05-01T09:01:00Z", "text": "quokkaviolet"}
    mixed = laptop.repos.batches.enqueue_id(
        [{**item, "source_id": gone}, {**item, "source_id": stays, "text": "morning"}]
    )
    alone = laptop.repos.batches.enqueue_id([{**item, "source_id": gone}])

    plan = laptop.forget_plan(ForgetScope(ids=(gone,)))
    assert plan.messages == (gone,) and plan.memories_deleted == (only.id,)
    assert set(plan.memories_kept) == {both.id, "core_human"}
    report = laptop.forget(ForgetScope(ids=(gone,)))
    assert (report.batches_changed, report.contexts_rewritten, report.files) == (2, 2, [])

    with pytest.raises(NotFoundError):
        laptop.repos.messages.get(gone)
    with pytest.raises(NotFoundError):
        memories["semantic"].get(only.id)
    assert one(laptop, "SELECT count(*) FROM memory_history WHERE memory_id = %s", only.id) == 0
    assert [s.id for s in memories["episodic"].get(both.id).sources] == [stays]
    core = memories["core"].get("core_human")
    assert core.fields["text"] == "Has a locker" and core.sources == ()
    assert laptop.repos.messages.get(after).context == ""
    assert memories["resource"].get(made_from_after.id).context == ""
    assert [i["source_id"] for i in laptop.repos.batches.get(mixed).items] == [stays]
    with pytest.raises(NotFoundError):
        laptop.repos.batches.get(alone)
    for table in ("messages", "semantic", "resource", "episodic"):  # nor any index entry
        found = f"SELECT count(*) FROM {table} WHERE search_tsv @@ to_tsquery('quokkaviolet')"
        assert one(laptop, found) == 0, table
    assert one(
        laptop, "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'messages'"
    )


def test_forgetting_by_time_and_app(laptop: PostgresEngine) -> None:
    early = add_frame(laptop, "firefox morning page", app="Firefox", at="2024-05-01T09:00:00Z")
    late = add_frame(laptop, "firefox evening page", app="Firefox", at="2024-05-03T09:00:00Z")
    notes = add_frame(laptop, "notes in range", app="Notes", at="2024-05-01T10:00:00Z")
    message = say(laptop, "said in range", "2024-05-01T09:30:00Z")
    scope = ForgetScope(
        since="2024-05-01T00:00:00.000000Z", until="2024-05-02T00:00:00.000000Z", app="fireFOX"
    )
    plan = laptop.forget_plan(scope)
    assert (plan.screenshots, plan.messages, plan.apps) == ((early,), (), {"Firefox": 1})
    report = laptop.forget(scope)
    day = "2024-05-01"
    assert report.files == [f"frames/{day}/{early}.webp", f"frames/{day}/{early}.thumb.webp"]
    left = {r.id for r in laptop.repos.screenshots.list()}
    assert left == {late, notes}
    in_range = ForgetScope(since="2024-05-01T00:00:00.000000Z", until="2024-05-02T00:00:00Z")
    assert laptop.forget(in_range).plan.messages == (message,)
    with pytest.raises(InvalidInputError, match="is a memory"):
        laptop.forget(ForgetScope(ids=("core_human",)))


def test_the_files_named_are_this_devices_and_the_others_wait_for_theirs(
    pg_url: str, laptop: PostgresEngine
) -> None:
    on_laptop = add_frame(laptop, "laptop screen", at="2024-05-01T09:00:00Z")
    with PostgresEngine.open(pg_url, device="desktop") as desktop:
        on_desktop = add_frame(desktop, "desktop screen", at="2024-05-01T09:05:00Z")
        scope = ForgetScope(since="2024-05-01T00:00:00.000000Z")
        assert set(desktop.forget_plan(scope).screenshots) == {on_laptop, on_desktop}
        report = desktop.forget(scope)
        assert report.files == [
            f"frames/2024-05-01/{on_desktop}.webp",
            f"frames/2024-05-01/{on_desktop}.thumb.webp",
        ]
    assert laptop.repos.screenshots.list() == []  # the rows are gone for every device
    laptop_files = sorted(
        [f"frames/2024-05-01/{on_laptop}.webp", f"frames/2024-05-01/{on_laptop}.thumb.webp"]
    )
    # The laptop's next forget names them (nothing of its own to forget here) ...
    assert laptop.forget(ForgetScope(since="2030-01-01T00:00:00.000000Z")).files == laptop_files
    assert laptop.take_forgotten_files() == []  # ... once
    # ... or, without a forget, whenever it asks.
    again = add_frame(laptop, "another laptop screen", at="2024-06-01T09:00:00Z")
    with PostgresEngine.open(pg_url, device="desktop") as desktop:
        assert desktop.forget(ForgetScope(ids=(again,))).files == []
    assert laptop.take_forgotten_files() == sorted(
        [f"frames/2024-06-01/{again}.webp", f"frames/2024-06-01/{again}.thumb.webp"]
    )
