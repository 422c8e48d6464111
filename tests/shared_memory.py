"""A data folder seeded for the tests of what other AI tools see of the memory
(agents/tool_access.py and the MCP server): chat messages, memories with their
sources, two vault items (one of high sensitivity), the core profile, and
screens of a morning's work, one showing an API key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agents import Assistant
from storage import SourceRef
from tests.fakes import write_jsonl
from tests.screens_data import keep_text_frame

HIGH_SECRET = "PIN-SECRET-4242"
HIGH_CAPTION = "zebrafish bank card PIN"
LOW_SECRET = "WIFI-SECRET-7781"
LOW_CAPTION = "Office wifi password"
API_KEY = "sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
NEVER_SHOWN = (HIGH_SECRET, HIGH_CAPTION.split()[0], LOW_SECRET, API_KEY)
"""Nothing another AI tool gets may contain these."""

MESSAGES = (
    {
        "external_id": "chat-1",
        "speaker": "Sam",
        "role": "user",
        "text": "Our deploy procedure: run the tests, then make deploy, then watch Grafana.",
        "at": "2024-06-01T09:30:00Z",
        "session": "work",
    },
    {
        "external_id": "chat-2",
        "speaker": "Sam",
        "role": "user",
        "text": "Remind me that the staging database is called orchid.",
        "at": "2024-06-01T10:02:00Z",
        "session": "work",
    },
)


@dataclass(frozen=True)
class Seeded:
    deploy: str
    """A semantic memory made from both chat messages."""
    low_vault: str
    high_vault: str
    terminal: tuple[str, str]
    """Two frames of one terminal window, 30 s apart."""
    grafana: str
    """A browser frame showing the API key."""


def seed(assistant: Assistant, tmp: Path) -> Seeded:
    assistant.import_messages(write_jsonl(tmp / "chat.jsonl", MESSAGES))
    messages = {m.fields["external_id"]: m.id for m in assistant.browse("message")}
    deploy = assistant.add(
        "semantic",
        {
            "name": "Deploy procedure",
            "summary": "Deploys: run the tests, then make deploy, then watch the Grafana board.",
            "tree_path": ["work", "deploys"],
        },
        sources=[
            SourceRef("message", messages["chat-1"]),
            SourceRef("message", messages["chat-2"]),
        ],
    )
    low = assistant.add(
        "knowledge_vault",
        {
            "entry_type": "password",
            "sensitivity": "low",
            "caption": LOW_CAPTION,
            "secret_value": LOW_SECRET,
        },
    )
    high = assistant.add(
        "knowledge_vault",
        {
            "entry_type": "pin",
            "sensitivity": "high",
            "caption": HIGH_CAPTION,
            "secret_value": HIGH_SECRET,
        },
    )
    assistant.core_append("human", "Name: Sam, a site reliability engineer.")
    first = keep_text_frame(
        assistant,
        "t1",
        "$ make test\n42 passed",
        app="Terminal",
        title="deploy — bash",
        at="2024-06-01T10:00:00Z",
    )
    second = keep_text_frame(
        assistant,
        "t2",
        "$ make test\n42 passed\n$ make deploy\ndeployed release 7 to production",
        app="Terminal",
        title="deploy — bash",
        at="2024-06-01T10:00:30Z",
    )
    grafana = keep_text_frame(
        assistant,
        "g1",
        f"Grafana dashboard: request latency p95 120 ms\nexport GRAFANA_TOKEN={API_KEY}",
        app="Firefox",
        title="Grafana — latency",
        at="2024-06-01T10:05:00Z",
    )
    return Seeded(deploy.id, low.id, high.id, (first, second), grafana)
