"""Planted secrets on screen never reach a request to the LLM provider (real HTTP
to the scripted server)."""

from __future__ import annotations

import json
from pathlib import Path

from agents import Assistant
from agents.llm import LLMSettings
from agents.memory_agents import Absorber
from tests.fakes import FakeEmbedder, write_jsonl
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


# The nine kinds a user found going to the provider verbatim from chat and
# imported messages (each value as written, and the part of it checked for).
NINE = {
    "OpenAI key": "sk-proj-Zx8Qm2Lk9Vb7Tn4Rp1Ws6Yd3Hf0Jg5Ac",
    "AWS key": "AKIAIOSFODNN7EXAMPLE",
    "GitHub token": "ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78",
    "card": "4111 1111 1111 1111",
    "password": "Tr0ub4dor&3",
    "JWT": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36P",
    "PEM key": "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
    "e-mail": "sam.rivers@example.com",
    "phone": "+44 20 7946 0958",
}
MESSAGE = (
    "Sam here, everything for the vet portal. Miso's first vaccination is on Friday.\n"
    f"password: {NINE['password']}\n"
    f"Keys: {NINE['OpenAI key']} and {NINE['AWS key']}, GitHub {NINE['GitHub token']}\n"
    f"Card {NINE['card']}, session {NINE['JWT']}\n"
    f"Mail {NINE['e-mail']} or call {NINE['phone']}\n"
    "-----BEGIN PRIVATE KEY-----\n"
    f"{NINE['PEM key']}\n"
    "-----END PRIVATE KEY-----"
)


def test_secrets_in_messages_reach_no_provider_in_absorb_or_ask(
    assistant: Assistant, llm_server: ScriptedLLMServer, tmp_path: Path
) -> None:
    assistant.set_config("llm_model", MODEL)
    assistant.set_config("llm_api_base", llm_server.api_base)
    assistant.set_config("chat_topic", "keywords")
    lines = [
        {"external_id": "v1", "speaker": "Sam", "text": MESSAGE, "at": "2024-05-01T09:00:00Z"},
        {
            "external_id": "v2",
            "speaker": "Ann",
            "text": "Thanks Sam!",
            "at": "2024-05-01T09:01:00Z",
        },
    ]
    report = assistant.import_messages(write_jsonl(tmp_path / "m.jsonl", lines))
    assert report.batches == 1
    llm_server.reply_tool_calls(
        ("episodic_insert", {"occurred_at": "2024-05-01", "summary": "Sam sent the vet details"})
    )
    assert assistant.absorb().done == 1
    llm_server.reply_text("Miso's first vaccination is on Friday.")
    answer = assistant.ask("When is Miso's first vaccination? What did Sam send?")
    assert answer.answered

    sent = llm_server.raw_bodies()
    assert len(llm_server.bodies()) == 2  # the meta-agent's call, and the answer
    assert "vet portal" in sent and "Miso" in sent  # the message itself went, redacted
    for kind, secret in NINE.items():
        assert secret not in sent, kind
        assert json.dumps(secret)[1:-1] not in sent, kind  # nor JSON-escaped
    for placeholder in ("[API_KEY]", "[CARD]", "[PASSWORD]", "[JWT]", "[PRIVATE_KEY]", "[EMAIL]"):
        assert placeholder in sent, placeholder
    # Stored as it came: redaction is only on the way out.
    [stored] = [r for r in assistant.browse("message") if r.fields["external_id"] == "v1"]
    assert stored.fields["text"] == MESSAGE


def test_redaction_for_the_provider_can_be_turned_off(
    assistant: Assistant, llm_server: ScriptedLLMServer
) -> None:
    assistant.set_config("llm_model", MODEL)
    assistant.set_config("llm_api_base", llm_server.api_base)
    assistant.set_config("chat_topic", "keywords")
    assistant.set_config("redact_provider", "false")
    llm_server.reply_text("Noted.")
    assistant.ask(f"Remember my mail {NINE['e-mail']}")
    assert NINE["e-mail"] in llm_server.raw_bodies()
