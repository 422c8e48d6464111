"""agents/tool_access.py: what another AI tool gets of the memory (vault by
caption only, high sensitivity never, text redacted, writes recorded with the
tool's name, read-only mode), and agents/timeline.py under it."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path

import pytest

from agents import AgentError, Assistant
from agents.tool_access import (
    NotSharedError,
    ReadOnlyError,
    ToolAccess,
    author_label,
    bearer_token,
    local_time,
)
from storage import InvalidInputError, NotFoundError
from tests.shared_memory import (
    API_KEY,
    HIGH_CAPTION,
    LOW_CAPTION,
    NEVER_SHOWN,
    Seeded,
    seed,
)


@pytest.fixture
def seeded(assistant: Assistant, tmp_path: Path) -> Seeded:
    return seed(assistant, tmp_path)


@pytest.fixture
def access(assistant: Assistant) -> ToolAccess:
    return ToolAccess(assistant, client="Claude Desktop")


def nothing_secret(reply: object) -> None:
    text = json.dumps(reply, ensure_ascii=False)
    for secret in NEVER_SHOWN:
        assert secret not in text, secret


def test_search_gives_type_text_time_and_sources(access: ToolAccess, seeded: Seeded) -> None:
    found = access.search_memories("deploy procedure grafana", types=["semantic"])
    assert [h["id"] for h in found["hits"]] == [seeded.deploy]
    hit = found["hits"][0]
    assert hit["type"] == "semantic" and "make deploy" in hit["text"]
    assert [s["external_id"] for s in hit["sources"]] == ["chat-1", "chat-2"]
    assert hit["sources"][0]["time"] == "2024-06-01T09:30:00.000000Z"
    assert hit["sources"][0]["text"].startswith("Sam: Our deploy procedure")


def test_vault_items_show_by_caption_and_high_ones_never(
    access: ToolAccess, seeded: Seeded
) -> None:
    found = access.search_memories("wifi password bank card pin zebrafish")
    vault = [h for h in found["hits"] if h["type"] == "knowledge_vault"]
    assert [h["id"] for h in vault] == [seeded.low_vault]
    assert vault[0]["text"] == LOW_CAPTION
    item = access.get(seeded.low_vault)
    assert item["caption"] == LOW_CAPTION and "secret_value" not in item
    with pytest.raises(NotSharedError, match="not shared"):
        access.get(seeded.high_vault)
    for write in (
        lambda: access.edit(seeded.high_vault, {"caption": "x"}),
        lambda: access.delete(seeded.high_vault),
    ):
        with pytest.raises(NotSharedError):
            write()
    nothing_secret([found, item, access.search_memories(HIGH_CAPTION)])


def test_screen_text_is_redacted_everywhere(access: ToolAccess, seeded: Seeded) -> None:
    hits = access.search_screens("grafana latency token")
    assert hits[0]["id"] == seeded.grafana
    assert hits[0]["app"] == "Firefox" and hits[0]["title"] == "Grafana — latency"
    assert "[API_KEY]" in hits[0]["snippet"] or "[SECRET]" in hits[0]["snippet"]
    frame = access.get(seeded.grafana)
    assert "request latency" in frame["text"]
    line = access.timeline("2024-06-01T09:00:00Z", "2024-06-01T11:00:00Z")
    nothing_secret([hits, frame, line])
    assert API_KEY not in json.dumps(line)


def test_a_screen_image_is_sent_as_a_masked_jpeg(access: ToolAccess, seeded: Seeded) -> None:
    image = access.screen_image(seeded.grafana)
    assert image is not None and image[:3] == b"\xff\xd8\xff"


def test_timeline_groups_a_windows_frames_with_messages_and_events(
    access: ToolAccess, seeded: Seeded
) -> None:
    line = access.timeline("2024-06-01T09:59:00Z", "2024-06-01T10:10:00Z")
    kinds = [(e["kind"], e["who"]) for e in line["entries"]]
    assert kinds == [
        ("screen", "Terminal"),
        ("event", "Sam"),
        ("message", "Sam"),
        ("screen", "Firefox"),
    ]
    terminal = line["entries"][0]
    assert (terminal["frames"], terminal["start"], terminal["end"]) == (
        2,
        "2024-06-01T10:00:00.000000Z",
        "2024-06-01T10:00:30.000000Z",
    )
    assert list(terminal["ids"]) == list(seeded.terminal)
    # Only the lines the window had not shown before, once each.
    assert terminal["text"].split("\n") == [
        "$ make test",
        "42 passed",
        "$ make deploy",
        "deployed release 7 to production",
    ]
    assert line["counts"] == {"screenshots": 3, "messages": 1, "events": 1}
    assert [a["app"] for a in line["apps"]] == ["Terminal", "Firefox"]
    assert line["apps"][0]["seconds"] == 30
    assert not line["truncated"]
    cut = access.timeline("2024-06-01T09:59:00Z", "2024-06-01T10:10:00Z", limit=2)
    assert len(cut["entries"]) == 2 and cut["truncated"]
    with pytest.raises(InvalidInputError, match="since is after until"):
        access.timeline("2024-06-02", "2024-06-01")


def test_get_shows_sources_and_every_version_with_who_made_it(
    access: ToolAccess, seeded: Seeded
) -> None:
    access.edit(seeded.deploy, {"summary": "Deploys need a green test run first."})
    item = access.get(seeded.deploy)
    assert item["version"] == 2 and item["changed_by"] == "mcp:Claude Desktop"
    assert item["summary"] == "Deploys need a green test run first."
    assert [s["external_id"] for s in item["sources"]] == ["chat-1", "chat-2"]
    assert [(v["version"], v["changed_by"], v["then"]) for v in item["history"]] == [
        (1, "mirix-app", "update")
    ]
    assert "Grafana" in item["history"][0]["fields"]["summary"]
    message = access.get(item["sources"][0]["id"])
    assert message["type"] == "message" and message["speaker"] == "Sam"


def test_writes_are_recorded_with_the_client_and_can_be_undone(
    assistant: Assistant, access: ToolAccess, seeded: Seeded
) -> None:
    added = access.add("procedural", {"entry_type": "guide", "summary": "Roll back a deploy"})
    record = assistant.show(added["id"])
    assert record.changed_by == "mcp:Claude Desktop"
    deleted = access.delete(added["id"])
    assert deleted["result"] == "deleted" and "restore_memory" in deleted["undo"]
    assert assistant.show(added["id"]).deleted
    access.restore(added["id"])
    assert not assistant.show(added["id"]).deleted
    assert [h.changed_by for h in assistant.history(added["id"])] == [
        "mcp:Claude Desktop",
        "mcp:Claude Desktop",
    ]
    with pytest.raises(AgentError, match="Cannot add a 'core' memory"):
        access.add("core", {"label": "human", "text": "x"})


def test_read_only_refuses_every_write(assistant: Assistant, seeded: Seeded) -> None:
    access = ToolAccess(assistant, client="Cursor", read_only=True)
    for write in (
        lambda: access.add("semantic", {"name": "a", "summary": "b"}),
        lambda: access.edit(seeded.deploy, {"summary": "x"}),
        lambda: access.delete(seeded.deploy),
        lambda: access.restore(seeded.deploy),
    ):
        with pytest.raises(ReadOnlyError, match="read-only"):
            write()
    assert assistant.show(seeded.deploy).version == 1


def test_core_blocks_and_unknown_ids(access: ToolAccess, seeded: Seeded) -> None:
    assert access.core_blocks() == {
        "persona": "",
        "human": "Name: Sam, a site reliability engineer.",
    }
    with pytest.raises(NotFoundError, match="No semantic with id sem_missing"):
        access.get("sem_missing")


def test_times_without_an_offset_are_local() -> None:
    local = datetime(2024, 6, 1, 14, 0).astimezone()
    assert local_time("2024-06-01T14:00:00") == local.isoformat()
    assert local_time("2024-06-01T14:00:00Z") == "2024-06-01T14:00:00Z"
    assert local_time("not a time") == "not a time"  # the facade names the problem


def test_author_labels_are_one_short_line() -> None:
    assert author_label("claude-ai") == "mcp:claude-ai"
    assert author_label("a\nb  c") == "mcp:a b c"
    assert len(author_label("x" * 500)) <= 100
    assert author_label("  ") == "mcp:unknown client"


def test_the_http_token_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = bearer_token(tmp_path)
    assert len(first) >= 40 and bearer_token(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "mcp-token").stat().st_mode) == 0o600
    renewed = bearer_token(tmp_path, renew=True)
    assert renewed != first and bearer_token(tmp_path) == renewed


def test_a_forgotten_source_is_neither_listed_nor_read(
    assistant: Assistant, access: ToolAccess, seeded: Seeded
) -> None:
    sources = access.get(seeded.deploy)["sources"]
    forgotten = sources[1]["id"]
    # As a forget of a message leaves it (there is no such command yet): marked deleted.
    assistant.storage._db.write(
        lambda conn: conn.execute(
            "UPDATE messages SET deleted_at = '2024-07-01T00:00:00Z' WHERE id = ?", (forgotten,)
        )
    )
    assert [s["external_id"] for s in access.get(seeded.deploy)["sources"]] == ["chat-1"]
    with pytest.raises(NotFoundError):
        access.get(forgotten)
