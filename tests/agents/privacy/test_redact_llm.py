"""Planted secrets on screen never reach a request to the LLM provider (real HTTP
to the scripted server)."""

from __future__ import annotations

from agents import Assistant
from agents.llm import LLMSettings
from agents.memory_agents import Absorber
from tests.fakes import FakeEmbedder
from tests.llm_server import MODEL, ScriptedLLMServer

SECRETS = {
    "API_KEY": "sk-proj-Zx8Qm2Lk9Vb7Tn4Rp1Ws6Yd3Hf0Jg5Ac",
    "JWT": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36P",
    "TOKEN": "abcDEF123456ghiJKL789mno",
    "SECRET": "9fK2mQ7xLp4Rt8Vz1Wb6Yc3N",
    "PASSWORD": "Tr0ub4dor&3",
    "CARD": "4111 1111 1111 1111",
    "EMAIL": "jane.doe@example.com",
    "PHONE": "+44 20 7946 0958",
}
SCREEN = (
    "Terminal\n"
    f"$ export OPENAI_API_KEY={SECRETS['API_KEY']}\n"
    f"curl -H 'Authorization: Bearer {SECRETS['TOKEN']}' https://api.example.com\n"
    f"session cookie {SECRETS['JWT']}\n"
    f"client_secret: {SECRETS['SECRET']}\n"
    f"Password: {SECRETS['PASSWORD']}\n"
    f"Card {SECRETS['CARD']} for the order of 2024-05-01, build 1.2.3\n"
    f"Mail {SECRETS['EMAIL']} or call {SECRETS['PHONE']}"
)


def test_no_planted_secret_reaches_the_provider(
    assistant: Assistant, embedder: FakeEmbedder, llm_server: ScriptedLLMServer
) -> None:
    shot = assistant.storage.screenshots.add(
        {
            "at": "2024-05-01T09:00:00Z",
            "app": "Terminal",
            "window_title": f"ssh {SECRETS['EMAIL']}",
            "ocr_text": SCREEN,
        }
    )
    item = {
        "kind": "screenshot",
        "source_id": shot.id,
        "at": "2024-05-01T09:00:00Z",
        "app": "Terminal",
        "title": f"ssh {SECRETS['EMAIL']}",
        "text": SCREEN,
    }
    assistant.storage.batches.enqueue([item])
    llm_server.reply_tool_calls(
        ("dispatch", {"assignments": [{"memory_type": "episodic", "instruction": "Log it."}]})
    )
    llm_server.reply_tool_calls(
        ("episodic_insert", {"occurred_at": "2024-05-01", "summary": "Used the terminal"})
    )
    settings = LLMSettings(model=MODEL, api_base=llm_server.api_base, timeout_s=5.0, max_retries=1)
    report = Absorber(assistant.storage, embedder, settings).absorb()
    assert report.done == 1, report.to_dict()

    sent = llm_server.raw_bodies()
    assert len(llm_server.bodies()) == 2  # the meta-agent and the episodic agent
    for kind, secret in SECRETS.items():
        assert secret not in sent, kind
        assert f"[{kind}]" in sent, kind
    # What is not secret still reaches the model.
    for kept in ("Terminal", "2024-05-01", "1.2.3", "https://api.example.com"):
        assert kept in sent
