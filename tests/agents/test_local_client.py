"""LocalLLMClient's own logic with a scripted stand-in for the llama.cpp model: how
tries are sampled, replies cut off at the token limit, and a retried batch that does
not repeat its failed greedy reply. The real model runs in test_local_llm.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents import Assistant
from agents.errors import LLMBadOutputError
from agents.llm import LocalModelSettings, client_for, local
from agents.llm.local import CALL_TEMPERATURES
from agents.memory_agents import Absorber, tools_for
from tests.fakes import FakeEmbedder


class ScriptedModel:
    """Answers create_chat_completion with the next scripted text; records kwargs."""

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)
        self.calls: list[dict[str, Any]] = []

    def create_chat_completion(self, chat: list[dict[str, str]], **kwargs: Any) -> dict[str, Any]:
        self.calls.append({"chat": chat, **kwargs})
        if not self.texts:
            raise AssertionError("the scripted model ran out of replies")
        text = self.texts.pop(0)
        cut = len(text) >= 200 and not text.rstrip().endswith("}")
        return {
            "choices": [
                {"message": {"content": text}, "finish_reason": "length" if cut else "stop"}
            ],
            "usage": {"prompt_tokens": 100, "completion_tokens": len(text) // 4},
        }


@pytest.fixture
def settings() -> LocalModelSettings:
    return LocalModelSettings(
        model="local/test", model_path=MODEL_PATH, context_tokens=8192, threads=1, max_retries=1
    )


MODEL_PATH = "/nonexistent/scripted.gguf"


def scripted(monkeypatch: pytest.MonkeyPatch, *texts: str) -> ScriptedModel:
    """Put a scripted model where llama.cpp's loaded model is kept, so the client's
    own code runs unchanged and finds it loaded."""
    model = ScriptedModel(*texts)
    monkeypatch.setitem(local._models, (MODEL_PATH, 8192, 1), model)
    return model


def calls_reply(*calls: tuple[str, dict[str, Any]]) -> str:
    return json.dumps({"tool_calls": [{"name": n, "arguments": a} for n, a in calls]})


INSERT = ("semantic_insert", {"name": "Maya", "summary": "Ann's sister, a nurse in Lisbon"})
SEMANTIC_ASK = [
    {"role": "system", "content": "Store the facts: Maya is a nurse."},
    {"role": "user", "content": "Go."},
]


def test_the_first_try_is_greedy_and_an_unreadable_reply_is_sampled_again(
    settings: LocalModelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = scripted(monkeypatch, '{"tool_calls": [', calls_reply(INSERT))
    client = client_for(settings)
    reply = client.complete(
        SEMANTIC_ASK, tools=tools_for("semantic"), operation="agent", tool_choice="required"
    )
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [INSERT]
    assert [(c["temperature"], c["seed"]) for c in model.calls] == [
        (CALL_TEMPERATURES[0], 0),
        (CALL_TEMPERATURES[1], 1),
    ]
    assert all(c["response_format"]["type"] == "json_object" for c in model.calls)
    assert client.usage.get("agent").calls == 1

    scripted(monkeypatch, "{", "{")
    with pytest.raises(LLMBadOutputError, match="could not be read as tool calls"):
        client.complete(
            SEMANTIC_ASK, tools=tools_for("semantic"), operation="agent", tool_choice="required"
        )
    assert client.usage.get("agent").failures == 1


def test_a_reply_cut_off_at_the_token_limit_keeps_its_finished_calls(
    settings: LocalModelSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = ("semantic_insert", {"name": "Miso", "summary": "x" * 300})
    whole = calls_reply(INSERT, second)
    model = scripted(monkeypatch, whole[: whole.index('"Miso"') + 40])
    reply = client_for(settings).complete(
        SEMANTIC_ASK, tools=tools_for("semantic"), operation="agent", tool_choice="required"
    )
    assert len(model.calls) == 1  # no second try: the finished call is used
    assert reply.finish_reason == "length"
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [INSERT]


def test_a_retried_batch_does_not_repeat_the_greedy_reply_that_failed(
    assistant: Assistant,
    embedder: FakeEmbedder,
    settings: LocalModelSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "My sister Maya lives in Lisbon and works as a nurse."
    at = "2024-03-01T10:00:00Z"
    msg = assistant.storage.messages.add({"role": "user", "speaker": "Ann", "text": text, "at": at})
    batch = assistant.storage.batches.enqueue(
        [{"kind": "message", "source_id": msg.id, "at": at, "text": text, "speaker": "Ann"}]
    )
    absorber = Absorber(assistant.storage, embedder, settings)

    model = scripted(monkeypatch, "{", "{")  # both tries of the meta call unreadable
    (failed,) = absorber.absorb().batches
    assert failed.status == "pending" and "could not be read" in str(failed.error)
    assert [c["seed"] for c in model.calls] == [0, 1]

    model = scripted(monkeypatch, calls_reply(INSERT))
    (done,) = absorber.absorb().batches
    assert (done.status, done.memories_written) == ("done", 1)
    assert [(c["temperature"], c["seed"]) for c in model.calls] == [(CALL_TEMPERATURES[1], 1)]
    (memory,) = assistant.storage.memories["semantic"].list()
    assert [s.id for s in memory.sources] == [msg.id]
    assert assistant.storage.batches.get(batch.id).attempts == 2
