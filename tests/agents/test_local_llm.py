"""The embedded model (agents/llm/local.py) for real: SmolLM2-135M in this process.

Slow (a minute or more on two busy cores) and run in CI, which installs the
``[local]`` extra and sets MIRIX_APP_REQUIRE_LOCAL_LLM=1 so that a missing model
fails instead of skipping. Elsewhere the tests skip when the model is not installed.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from agents import open_assistant
from agents.llm import LocalModelSettings, check_local_model, client_for
from agents.llm.local import LocalLLMClient
from agents.llm.tools import check_call
from agents.memory_agents import tools_for
from storage import MEMORY_TYPE_NAMES, kind_named
from storage.kinds import index_text
from tests.fakes import FakeEmbedder, write_jsonl
from tests.mirix_app.clirun import ok, ok_json

pytestmark = pytest.mark.slow

CHAT = (
    "My sister Maya lives in Lisbon and works as a nurse.",
    "I adopted a kitten called Miso last Saturday.",
    "Miso's first vaccination is on March 12 at the Green Vet clinic.",
)


@pytest.fixture(scope="module")
def local() -> LocalModelSettings:
    check = check_local_model()
    if check.settings is None:
        if os.environ.get("MIRIX_APP_REQUIRE_LOCAL_LLM"):
            pytest.fail(f"The embedded model must run here: {check.reason}")
        pytest.skip(check.reason)
    return check.settings


def ask_ready() -> list[dict[str, str]]:
    return [{"role": "user", "content": "Reply with the single word: ready"}]


def test_the_local_client_answers_streams_and_counts_usage(local: LocalModelSettings) -> None:
    client = client_for(local)
    assert isinstance(client, LocalLLMClient)
    reply = client.complete(ask_ready(), operation="check", max_tokens=8)
    assert reply.text.strip()
    used = client.usage.get("check")
    assert (used.calls, used.failures) == (1, 0)
    assert used.prompt_tokens > 0 and 0 < used.completion_tokens <= 8

    streamed = list(client.stream(ask_ready(), operation="stream", max_tokens=8))
    assert "".join(streamed).strip()
    used = client.usage.get("stream")
    assert used.calls == 1 and used.prompt_tokens > 0 and used.completion_tokens == len(streamed)


def test_constrained_tool_calls_always_parse_and_fit_their_schemas(
    local: LocalModelSettings,
) -> None:
    client = client_for(local)
    tools = tools_for("semantic")
    for text in CHAT:
        messages = [
            {"role": "system", "content": f"Store the facts in this message: {text}"},
            {"role": "user", "content": "Process the message now, using your tools."},
        ]
        reply = client.complete(messages, tools=tools, operation="agent", tool_choice="required")
        assert reply.tool_calls
        for call in reply.tool_calls:
            assert call.parse_error is None
            assert check_call(call, tools) is None, call
    assert client.usage.get("agent").calls == len(CHAT)


def test_threads_share_the_one_model(local: LocalModelSettings) -> None:
    answers: list[str] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            answers.append(
                client_for(local).complete(ask_ready(), operation="t", max_tokens=4).text
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(answers) == 3


def test_three_chat_messages_become_a_memory_that_ask_cites(
    local: LocalModelSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIRIX_APP_LOCAL_LLM", "on")
    monkeypatch.setenv("MIRIX_APP_BATCH_ITEMS", "3")
    rows = [
        {"speaker": "Ann", "role": "user", "text": text, "at": f"2024-03-01T10:0{n}:00Z"}
        for n, text in enumerate(CHAT)
    ]
    app = open_assistant(tmp_path / "data", embedder=FakeEmbedder())
    try:
        assert app.status()["llm"]["mode"] == "local"
        imported = app.import_messages(write_jsonl(tmp_path / "chat.jsonl", rows))
        assert (imported.imported, imported.batches) == (3, 1)
        messages = {r.id for r in app.storage.messages.list()}

        # A batch the model fails stays queued and its retry samples differently (a
        # greedy reply differs between CPUs): as in the app, absorb again, at most twice.
        reports = [app.absorb()]
        while reports[-1].failed and len(reports) < 3:
            reports.append(app.absorb())
        assert (reports[-1].done, reports[-1].failed) == (1, 0), [r.to_dict() for r in reports]
        assert sum(r.memories_written for r in reports) >= 1, [r.to_dict() for r in reports]

        # The agents link every write to all of the batch's messages (ingest's own
        # episodic memories link one message each).
        written = [
            record
            for type_name in MEMORY_TYPE_NAMES
            for record in app.storage.memories[type_name].list(limit=100)
            if messages <= {ref.id for ref in record.sources}
        ]
        assert written, "no memory with the batch as provenance"
        memory = written[0]
        about = index_text(kind_named(memory.type), memory.fields)

        answer = app.ask(f"What do you remember about {about}?")
        assert answer.answered and answer.answer.strip()
        assert memory.id in [hit.id for hit in answer.memories]
        assert messages <= {ref["id"] for ref in answer.sources()}
    finally:
        app.close()


def test_status_and_llm_test_use_the_embedded_model(
    local: LocalModelSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("MIRIX_APP_LOCAL_LLM", "on")
    status = ok(data, "status").stdout
    assert "LLM: embedded local/SmolLM2-135M-Instruct" in status
    result = ok_json(data, "llm", "test")
    assert result["model"] == "local/SmolLM2-135M-Instruct" and result["reply"]

    monkeypatch.setenv("MIRIX_APP_LOCAL_LLM", "off")
    assert "rule-based floor (no llm_model configured, and local_llm is off)" in (
        ok(data, "status").stdout
    )
