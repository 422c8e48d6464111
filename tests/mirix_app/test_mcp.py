"""``mirix-app mcp``, tested with the MCP SDK's own client: over stdio (the server
started as a subprocess, as Claude Desktop starts it) and over streamable HTTP
with and without the bearer token, on a seeded data folder (real embeddings)."""

from __future__ import annotations

import base64
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx2
import mcp.types as types
import pytest

from agents import open_assistant
from mirix_app.mcp_tools import TOOLS
from tests.mirix_app.clirun import fails, ok, ok_json, run
from tests.mirix_app.mcp_client import (
    CLIENT,
    Client,
    http_server,
    http_session,
    stdio_session,
)
from tests.shared_memory import HIGH_CAPTION, LOW_CAPTION, NEVER_SHOWN, Seeded, seed

READING = {"search_memories", "get_memory", "search_screenshots", "timeline", "read_core_memory"}
WRITING = {"add_memory", "edit_memory", "delete_memory", "restore_memory"}
AUTHOR = f"mcp:{CLIENT}"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    root = tmp_path_factory.mktemp("mcp")
    app = open_assistant(root / "data")  # the embedder the server uses too
    try:
        seeded = seed(app, root)
    finally:
        app.close()
    return root / "data", seeded


@pytest.fixture(scope="module")
def reader(
    template: tuple[Path, Seeded], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Client]:
    """One stdio session for the tests that only read."""
    root = tmp_path_factory.mktemp("reader")
    shutil.copytree(template[0], root / "data")
    with stdio_session(root / "data", log=root / "server.log") as client:
        client.log = root / "server.log"  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def folder(template: tuple[Path, Seeded], tmp_path: Path) -> Path:
    shutil.copytree(template[0], tmp_path / "data")
    return tmp_path / "data"


def test_every_tool_is_listed_with_a_description_and_a_schema(reader: Client) -> None:
    tools = {t.name: t for t in reader.tools()}
    assert set(tools) == READING | WRITING == {t.name for t in TOOLS}
    for tool in tools.values():
        assert len(tool.description or "") > 80, tool.name
        assert tool.input_schema["type"] == "object"
        assert tool.input_schema["additionalProperties"] is False
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (tool.name in READING)
    assert tools["search_memories"].input_schema["required"] == ["query"]


def test_search_memories_finds_the_memory_with_its_sources(
    reader: Client, template: tuple[Path, Seeded]
) -> None:
    seeded = template[1]
    found = reader.data("search_memories", {"query": "how do we deploy?", "limit": 5})
    by_type = {h["type"]: h for h in reversed(found["hits"])}  # the best of each type
    fact = by_type["semantic"]
    assert fact["id"] == seeded.deploy and "make deploy" in fact["text"]
    assert [(s["kind"], s["external_id"]) for s in fact["sources"]] == [
        ("message", "chat-1"),
        ("message", "chat-2"),
    ]
    assert fact["sources"][0]["time"].startswith("2024-06-01T09:30")
    # The message it was said in is found too, as the episode made from it on import.
    event = by_type["episodic"]
    assert [s["external_id"] for s in event["sources"]] == ["chat-1"]
    messages = reader.data(
        "search_memories", {"query": "staging database", "types": ["message"], "limit": 1}
    )
    assert messages["hits"][0]["text"] == "Remind me that the staging database is called orchid."
    dated = reader.data(
        "search_memories",
        {"query": "deploy", "since": "2030-01-01T00:00:00Z", "types": ["semantic"]},
    )
    assert dated["hits"] == []


def test_get_memory_and_the_memory_resource(reader: Client, template: tuple[Path, Seeded]) -> None:
    seeded = template[1]
    item = reader.data("get_memory", {"id": seeded.deploy})
    assert item["name"] == "Deploy procedure" and item["tree_path"] == ["work", "deploys"]
    assert [s["external_id"] for s in item["sources"]] == ["chat-1", "chat-2"]
    assert item["history"] == [] and item["changed_by"] == "mirix-app"
    resource = json.loads(reader.read(f"mirix://memory/{seeded.deploy}"))
    assert resource == item
    vault = reader.data("get_memory", {"id": seeded.low_vault})
    assert vault["caption"] == LOW_CAPTION and "secret_value" not in vault


def test_search_screenshots_gives_snippets_and_images_only_when_asked(
    reader: Client, template: tuple[Path, Seeded]
) -> None:
    seeded = template[1]
    plain = reader.call("search_screenshots", {"query": "grafana request latency", "limit": 2})
    assert not plain.is_error
    assert all(isinstance(c, types.TextContent) for c in plain.content)
    hits = json.loads(plain.content[0].text)["hits"]  # type: ignore[union-attr]
    assert hits[0]["id"] == seeded.grafana
    assert (hits[0]["app"], hits[0]["title"]) == ("Firefox", "Grafana — latency")
    assert "request latency" in hits[0]["snippet"]
    shown = reader.call(
        "search_screenshots",
        {"query": "grafana request latency", "app": "firefox", "include_images": True},
    )
    images = [c for c in shown.content if isinstance(c, types.ImageContent)]
    assert len(images) == 1 and images[0].mime_type == "image/jpeg"
    assert base64.b64decode(images[0].data)[:3] == b"\xff\xd8\xff"
    assert json.loads(shown.content[0].text)["hits"][0]["image_attached"] is True  # type: ignore[union-attr]


def test_timeline_tells_what_was_on_screen_and_said(
    reader: Client, template: tuple[Path, Seeded]
) -> None:
    line = reader.data(
        "timeline", {"since": "2024-06-01T09:59:00Z", "until": "2024-06-01T10:10:00Z"}
    )
    assert [(e["kind"], e["who"]) for e in line["entries"]] == [
        ("screen", "Terminal"),
        ("event", "Sam"),
        ("message", "Sam"),
        ("screen", "Firefox"),
    ]
    assert line["entries"][0]["frames"] == 2
    assert "deployed release 7 to production" in line["entries"][0]["text"]
    assert [a["app"] for a in line["apps"]] == ["Terminal", "Firefox"]


def test_core_memory_as_a_tool_and_as_resources(reader: Client) -> None:
    blocks = reader.data("read_core_memory")
    assert blocks["human"] == "Name: Sam, a site reliability engineer."
    listed = reader.portal.call(reader.session.list_resources)
    assert {r.uri for r in listed.resources} == {"mirix://core/human", "mirix://core/persona"}
    assert reader.read("mirix://core/human") == blocks["human"]
    templates = reader.portal.call(reader.session.list_resource_templates)
    assert [t.uri_template for t in templates.resource_templates] == ["mirix://memory/{id}"]


def test_bad_arguments_are_tool_errors_with_the_command_lines_message(
    reader: Client, template: tuple[Path, Seeded]
) -> None:
    missing = reader.error("get_memory", {"id": "sem_missing"})
    assert missing == fails(run(template[0], "show", "sem_missing"))
    for name, arguments, fragment in (
        ("search_memories", {}, "'query' is a required property"),
        ("search_memories", {"query": "x", "limit": "ten"}, "limit: 'ten' is not of type"),
        ("search_memories", {"query": "x", "types": ["passwords"]}, "is not one of"),
        ("search_memories", {"query": "x", "since": "last tuesday"}, "is not a time"),
        ("timeline", {"since": "2024-06-02", "until": "2024-06-01"}, "since is after until"),
        ("get_memory", {"id": "sem_x", "extra": 1}, "Additional properties"),
        ("no_such_tool", {}, "No tool named 'no_such_tool'"),
    ):
        error = reader.error(name, arguments)
        assert error.startswith("Error: ") and "\n" not in error, error
        assert fragment in error, (fragment, error)
    log = reader.log.read_text(encoding="utf-8")  # type: ignore[attr-defined]
    assert "Traceback" not in log


def test_a_high_sensitivity_secret_is_in_no_reply(
    reader: Client, template: tuple[Path, Seeded]
) -> None:
    seeded = template[1]
    reader.data("search_memories", {"query": "bank card pin", "limit": 50})
    reader.data("search_memories", {"query": "secret password", "types": ["knowledge_vault"]})
    assert "not shared" in reader.error("get_memory", {"id": seeded.high_vault})
    with pytest.raises(Exception, match="not shared"):
        reader.read(f"mirix://memory/{seeded.high_vault}")
    reader.data("timeline", {"since": "2000-01-01", "until": "2100-01-01", "limit": 500})
    reader.data("search_screenshots", {"query": "token export", "include_images": True})
    # Every reply of this module's session so far, and these.
    text = "\n".join(reader.seen)
    assert LOW_CAPTION in text  # the low-sensitivity item is there, by caption
    for secret in NEVER_SHOWN:
        assert secret not in text, secret
    assert HIGH_CAPTION not in text


def test_writes_through_mcp_show_in_history_with_the_clients_name(
    folder: Path, tmp_path: Path, template: tuple[Path, Seeded]
) -> None:
    seeded = template[1]
    with stdio_session(folder, log=tmp_path / "server.log") as client:
        added = client.data(
            "add_memory",
            {"type": "procedural", "fields": {"entry_type": "guide", "summary": "Roll back"}},
        )
        assert added["changed_by"] == AUTHOR
        edited = client.data(
            "edit_memory", {"id": seeded.deploy, "fields": {"summary": "Deploy on Tuesdays."}}
        )
        assert (edited["version"], edited["changed_by"]) == (2, AUTHOR)
        deleted = client.data("delete_memory", {"id": added["id"]})
        assert "restore_memory" in deleted["undo"]
        assert client.data("restore_memory", {"id": added["id"]})["result"] == "restored"
        bad = client.error("add_memory", {"type": "semantic", "fields": {"name": "x"}})
        assert "summary" in bad
        assert "not shared" in client.error(
            "edit_memory", {"id": seeded.high_vault, "fields": {"caption": "x"}}
        )
        assert "not shared" in client.error("delete_memory", {"id": seeded.high_vault})
        for secret in NEVER_SHOWN:
            assert secret not in "\n".join(client.seen), secret
    history = ok_json(folder, "history", seeded.deploy)
    assert history["current"]["changed_by"] == AUTHOR
    assert history["current"]["summary"] == "Deploy on Tuesdays."
    assert [(h["version"], h["changed_by"]) for h in history["history"]] == [(1, None)]
    text = ok(folder, "history", seeded.deploy).stdout
    assert "v2  " in text and f"by {AUTHOR}  current" in text
    versions = ok_json(folder, "history", added["id"])["history"]
    assert [(h["change"], h["changed_by"]) for h in versions] == [
        ("delete", AUTHOR),
        ("restore", AUTHOR),
    ]


def test_read_only_lists_no_writing_tool(folder: Path, tmp_path: Path) -> None:
    with stdio_session(folder, "--read-only", log=tmp_path / "a.log") as client:
        assert {t.name for t in client.tools()} == READING
        assert "read-only" in client.error("delete_memory", {"id": "sem_x"})
    ok(folder, "config", "set", "mcp_read_only", "true")
    with stdio_session(folder, log=tmp_path / "b.log") as client:
        assert {t.name for t in client.tools()} == READING


def test_http_needs_the_bearer_token(folder: Path, tmp_path: Path) -> None:
    with http_server(folder, log=tmp_path / "server.log") as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
        token = ok(folder, "mcp", "token").stdout.strip()
        assert ok_json(folder, "mcp", "token") == {"token": token}
        with http_session(url, token) as client:
            assert {t.name for t in client.tools()} == READING | WRITING
            found = client.data(
                "search_memories", {"query": "deploy procedure", "types": ["semantic"]}
            )
            assert found["hits"][0]["text"].startswith("Deploy procedure")
        hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            refused = httpx2.post(url, json=hello, headers=headers, timeout=10)
            assert refused.status_code == 401
        with pytest.raises(Exception), http_session(url, None):  # noqa: B017 (the SDK's own)
            pass


def test_a_port_in_use_is_one_error_line(folder: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        error = fails(run(folder, "mcp", "--http", str(port)))
    assert f"Cannot listen on 127.0.0.1:{port}" in error
