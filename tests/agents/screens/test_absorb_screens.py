"""Screen batches through the memory agents, over real HTTP to the scripted
server: planted secrets never reach a request, and memories link back to the
screenshots they came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents import Assistant
from agents.screens.batching import ScreenBatcher, screen_observations
from agents.screens.ocr import RapidOcr
from agents.screens.service import ScreenService
from storage.screens import unbatched
from tests.llm_server import MODEL, ScriptedLLMServer
from tests.screens_data import save_screen, write_manifest

SECRETS = {
    "api key": "sk-proj-4fJ9aQ2mZ7xK1pL8vN3bT6yR0wE5uH2c",
    "token": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "password": "Tr0ub4dor&3xyz",
    "card": "4111 1111 1111 1111",
    "email": "jane.doe@example.com",
    "phone": "+1 415 555 0132",
}
SCREEN_WITH_SECRETS = "\n".join(
    [
        "Deploy settings for Orion",
        f"API key {SECRETS['api key']}",
        f"Authorization: Bearer {SECRETS['token']}",
        f"Password: {SECRETS['password']}",
        f"Card number {SECRETS['card']}",
        f"Contact {SECRETS['email']} or call {SECRETS['phone']}",
    ]
)


@pytest.fixture
def with_llm(assistant: Assistant, llm_server: ScriptedLLMServer) -> Assistant:
    assistant.set_config("llm_model", MODEL)
    assistant.set_config("llm_api_base", llm_server.api_base)
    assistant.set_config("batch_items", "2")
    assistant.screen_service = ScreenService(
        assistant.storage, assistant.embedder, assistant.settings, ocr=RapidOcr()
    )
    return assistant


def planted_screenshot(assistant: Assistant) -> str:
    """A screenshot whose OCR text holds one secret of each kind."""
    record = assistant.storage.screenshots.add(
        {
            "at": "2024-06-01T10:00:00Z",
            "app": "terminal",
            "window_title": f"ssh {SECRETS['email']}",
            "ocr_text": SCREEN_WITH_SECRETS,
        },
        embedding=assistant.embedder.embed([SCREEN_WITH_SECRETS])[0],
    )
    return record.id


def test_no_planted_secret_reaches_the_llm(
    with_llm: Assistant, llm_server: ScriptedLLMServer
) -> None:
    planted_screenshot(with_llm)
    assert ScreenBatcher(with_llm.storage, batch_items=2, batch_minutes=10).poll(force=True) == 1
    llm_server.reply_tool_calls(
        ("dispatch", {"assignments": [{"memory_type": "semantic", "instruction": "Note it."}]})
    )
    llm_server.reply_tool_calls(("semantic_insert", {"name": "Orion", "summary": "A project"}))
    report = with_llm.absorb()
    assert (report.done, report.failed) == (1, 0)

    sent = [request.raw for request in llm_server.requests]
    assert len(sent) == 2
    for raw in sent:
        assert "Deploy settings for Orion" in raw  # the screen text itself was sent
        for kind, secret in SECRETS.items():
            assert secret not in raw, kind
            assert secret.replace(" ", "") not in raw, kind
        for placeholder in ("[API_KEY]", "[TOKEN]", "[PASSWORD]", "[CARD]", "[EMAIL]", "[PHONE]"):
            assert placeholder in raw


def test_imported_screens_are_batched_and_memories_link_to_them(
    with_llm: Assistant, llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    entries = []
    for n, text in enumerate(["Trip to Kyoto itinerary", "Kyoto hotel booking confirmed"]):
        save_screen(tmp_path / f"{n}.png", [text], shade=210 + 30 * n)
        entries.append({"path": f"{n}.png", "at": f"2024-07-0{n + 1}T08:00:00Z", "app": "firefox"})
    report = with_llm.import_screens(write_manifest(tmp_path / "m.jsonl", entries))
    assert (report.imported, report.batches) == (2, 1)
    (batch,) = with_llm.storage.batches.pending()
    screenshot_ids = [item["source_id"] for item in batch.items]
    assert [item["kind"] for item in batch.items] == ["screenshot", "screenshot"]
    assert "Kyoto hotel booking confirmed" in batch.items[1]["text"]

    llm_server.reply_tool_calls(
        ("dispatch", {"assignments": [{"memory_type": "episodic", "instruction": "Log it."}]})
    )
    llm_server.reply_tool_calls(
        ("episodic_insert", {"occurred_at": "2024-07-02", "summary": "Booked a hotel in Kyoto"})
    )
    assert with_llm.absorb().memories_written == 1
    memory = with_llm.search("hotel in Kyoto", types=["episodic"])[0]
    assert [(s.kind, s.id) for s in memory.sources] == [("screenshot", i) for i in screenshot_ids]
    shown = with_llm.show(screenshot_ids[1])
    assert "Kyoto hotel" in str(shown.fields["ocr_text"])


def test_observations_carry_only_new_lines_of_a_window(assistant: Assistant) -> None:
    for n, text in enumerate(["Inbox\nHello Ann", "Inbox\nHello Ann\nLunch at noon?"]):
        assistant.storage.screenshots.add(
            {
                "at": f"2024-01-01T00:00:0{n}Z",
                "app": "mail",
                "window_title": "Inbox",
                "ocr_text": text,
            },
            embedding=assistant.embedder.embed([text])[0],
        )
    with assistant.storage._db.reading() as conn:
        rows = unbatched(conn, 0, 10)
    first, second = screen_observations(rows)
    assert first["text"] == "Inbox\nHello Ann"
    assert second["text"] == "Lunch at noon?"
    assert (second["app"], second["title"]) == ("mail", "Inbox")
