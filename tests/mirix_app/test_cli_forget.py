"""`mirix-app forget` and `delete` of a message or screenshot: nothing of what is
forgotten stays readable in any file under the data folder, search no longer
finds it, memories made only from it go (history included), others keep their
other sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents import Assistant, open_assistant
from storage import SourceRef
from tests.fakes import FakeEmbedder, write_jsonl
from tests.mirix_app.clirun import fails, ok, ok_json, run
from tests.screens_data import keep_text_frame

KEPT = "lanternsaffron"
"""In a message that stays (and in a memory that keeps it as a source)."""
SESSION = "trip"


def data_bytes(data: Path) -> bytes:
    """Every file under the data folder (the database, its WAL, images, index ...)."""
    return b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())


def message_line(n: int, text: str, at: str) -> dict[str, str]:
    return {"external_id": f"m{n}", "speaker": "Sam", "text": text, "at": at, "session": SESSION}


def opened(data: Path) -> Assistant:
    return open_assistant(data, embedder=FakeEmbedder())


@pytest.fixture
def filled(tmp_path: Path) -> dict[str, str]:
    """A data folder with messages, screenshots, batches and memories, each planted
    string in its own item; the ids by name (and the folder as "data")."""
    data = tmp_path / "data"
    app = opened(data)
    try:
        app.set_config("llm_model", "openai/gpt-4o-mini")  # so batches are queued
        lines = [
            message_line(0, f"Morning, {KEPT} is the code word.", "2024-05-01T09:00:00Z"),
            message_line(1, "My locker code is quokkaviolet.", "2024-05-01T09:01:00Z"),
            message_line(2, "Noted, see you there.", "2024-05-01T09:02:00Z"),
            message_line(3, "Trip to zanzibarteal next week.", "2024-05-02T15:00:00Z"),
        ]
        app.import_messages(write_jsonl(tmp_path / "m.jsonl", lines))
        msg = {r.fields["external_id"]: r.id for r in app.browse("message")}
        shots = {
            "notes": keep_text_frame(
                app, "s1", "telescopeamber plans", app="Notes", at="2024-05-01T09:05:00Z"
            ),
            "firefox": keep_text_frame(
                app, "s2", "marmosetcobalt page", app="Firefox", at="2024-05-03T10:00:00Z"
            ),
            "terminal": keep_text_frame(
                app, "s3", "keepthisscreen harmless", app="Terminal", at="2024-05-03T10:01:00Z"
            ),
        }
        assert app.screens.pipeline().flush_batches() == 1  # screen text in a batch too
        shared = app.add(
            "semantic",
            {"name": "Code words", "summary": f"{KEPT} and the locker"},
            sources=[SourceRef("message", msg["m0"]), SourceRef("message", msg["m1"])],
        )
        only = app.add(
            "resource",
            {"title": "Star gazing", "content": "walrusjade draft"},
            sources=[SourceRef("screenshot", shots["notes"])],
        )
        app.edit(only.id, {"content": "pelicanorchid final"})  # walrusjade is history now
    finally:
        app.close()
    return {**msg, **shots, "shared": shared.id, "only": only.id, "data": str(data)}


def live_ids(data: Path, type_name: str) -> set[str]:
    app = opened(data)
    try:
        return {r.id for r in app.browse(type_name)}
    finally:
        app.close()


def found(data: Path, text: str) -> list[str]:
    app = opened(data)
    try:
        hits = app.search(text, limit=50)
        shots = app.screens_search(text, limit=50)
        return [h.text for h in hits] + [f"{s.title} {s.snippet}" for s in shots]
    finally:
        app.close()


def assert_gone(data: Path, *planted: str) -> None:
    everything = data_bytes(data)
    assert KEPT.encode() in everything  # the grep sees the database's text
    for text in planted:
        assert text.encode() not in everything, text
        assert not any(text in hit for hit in found(data, text)), text


def test_delete_a_message_forgets_it_and_the_memories_made_only_from_it(
    filled: dict[str, str],
) -> None:
    data = Path(filled["data"])
    assert b"quokkaviolet" in data_bytes(data)
    episodic = live_ids(data, "episodic")
    running = opened(data)  # as the desktop app would be: the WAL stays while it runs
    try:
        assert running.search("locker code")
        report = ok_json(data, "delete", filled["m1"], "--yes")
        assert (data / "mirix.db-wal").exists()
        assert b"quokkaviolet" not in data_bytes(data)
    finally:
        running.close()
    assert (report["messages"], report["memories_deleted"], report["memories_kept"]) == (1, 1, 1)
    assert report["wal_cleared"] and report["contexts_rewritten"] >= 2
    assert_gone(data, "quokkaviolet")
    assert len(live_ids(data, "episodic")) == len(episodic) - 1  # its floor memory
    shared = ok_json(data, "show", filled["shared"])  # kept, with its other source
    assert [s["id"] for s in shared["sources"]] == [filled["m0"]]
    fails(run(data, "show", filled["m1"]), "no message")


def test_delete_a_screenshot_forgets_its_files_and_memories(filled: dict[str, str]) -> None:
    data = Path(filled["data"])
    shot = ok_json(data, "show", filled["notes"])
    images = [data / shot[k] for k in ("image_path", "thumb_path")]
    assert all(p.exists() for p in images)
    assert ok_json(data, "history", filled["only"])["history"]  # the draft is history
    report = ok_json(data, "delete", filled["notes"], "--yes")
    assert (report["screenshots"], report["memories_deleted"]) == (1, 1)
    assert not any(p.exists() for p in images)
    assert_gone(data, "telescopeamber", "pelicanorchid", "walrusjade")
    fails(run(data, "history", filled["only"]), "no resource")


def test_forget_by_time_takes_what_was_recorded_then(filled: dict[str, str]) -> None:
    data = Path(filled["data"])
    since, until = "2024-05-02T00:00:00Z", "2024-05-02T23:59:59Z"
    plan = ok_json(data, "forget", "--since", since, "--until", until, "--dry-run")
    assert (plan["messages"], plan["screenshots"]) == (1, 0)
    assert b"zanzibarteal" in data_bytes(data)  # a dry run changes nothing
    # Not on a terminal, and without --yes: refused, nothing forgotten.
    fails(run(data, "forget", "--since", since, "--until", until), "--yes")
    out = ok(data, "forget", "--since", since, "--until", until, "--yes").stdout
    assert out.startswith("Forgot 1 message, with the 1 memory made only from them")
    assert_gone(data, "zanzibarteal")
    assert filled["m0"] in live_ids(data, "message")


def test_forget_by_app_takes_only_that_apps_screenshots(filled: dict[str, str]) -> None:
    data = Path(filled["data"])
    report = ok_json(data, "forget", "--app", "firefox", "--yes")
    assert (report["screenshots"], report["messages"], report["apps"]) == (1, 0, {"Firefox": 1})
    assert_gone(data, "marmosetcobalt")
    assert live_ids(data, "screenshot") == {filled["notes"], filled["terminal"]}
    assert any("keepthisscreen" in hit for hit in found(data, "keepthisscreen"))
    app = opened(data)
    try:  # the batch that held its text keeps the other frames
        [batch] = [b for b in app.storage.batches.listed() if b.items[0]["kind"] == "screenshot"]
        assert {i["source_id"] for i in batch.items} == {filled["notes"], filled["terminal"]}
    finally:
        app.close()


def test_forget_needs_a_scope_and_refuses_a_memory_id(filled: dict[str, str]) -> None:
    data = Path(filled["data"])
    fails(run(data, "forget"), "--since")
    fails(run(data, "forget", "--since", "last tuesday"), "is not a time")
    fails(run(data, "forget", "--since", "2024-06-01", "--until", "2024-01-01"), "after")
    error = fails(run(data, "delete", "msg_0000000000000000dead", "--yes"), "no message")
    assert "msg_0000000000000000dead" in error
    # A memory is still deleted softly (it can be restored).
    assert "restore" in ok(data, "delete", filled["shared"]).stdout
    assert ok_json(data, "restore", filled["shared"])["deleted_at"] is None
