"""The LLM client, driven through litellm over real HTTP against the scripted server."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend

from agents.errors import (
    AgentError,
    LLMAuthError,
    LLMContextLengthError,
    LLMError,
    LLMRateLimitError,
    LLMUnavailableError,
    ToolInputError,
)
from agents.llm import LLMClient, LLMSettings, Tool, UsageCounter, resolve_api_key
from agents.llm.tools import ToolCall
from tests.llm_server import MODEL, ScriptedLLMServer

KEY_ENV = "MIRIX_TEST_LLM_KEY"
KEY = "sk-test-0123456789"

SAVE_NOTE = Tool(
    name="save_note",
    description="Save a note with a priority.",
    parameters={
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1},
            "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        },
        "required": ["text", "priority"],
        "additionalProperties": False,
    },
)
USER = [{"role": "user", "content": "Remember that the kitten's vaccination is on Friday."}]


def settings(server: ScriptedLLMServer, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {
        "model": MODEL,
        "api_base": server.api_base,
        "api_key_env": KEY_ENV,
        "timeout_s": 5.0,
        "max_retries": 2,
        "max_tool_rounds": 4,
        "retry_base_s": 0.01,
        "retry_max_s": 0.05,
    }
    values.update(overrides)
    return LLMSettings(**values)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


@pytest.fixture
def client(llm_server: ScriptedLLMServer) -> LLMClient:
    return LLMClient(settings(llm_server))


class Recorder:
    def __init__(self, result: str = "saved") -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.result = result

    def __call__(self, name: str, arguments: dict[str, Any]) -> str:
        self.calls.append((name, arguments))
        return self.result


def tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "tool"]


# -- plain calls -------------------------------------------------------------------------


def test_complete_returns_text_and_counts_usage(
    llm_server: ScriptedLLMServer, client: LLMClient
) -> None:
    llm_server.reply_text("Friday at ten.", usage=(12, 4)).reply_text("Again.", usage=(3, 1))

    first = client.complete(USER, operation="chat")
    client.complete(USER, operation="topic")

    assert first.text == "Friday at ten."
    assert first.tool_calls == []
    assert (first.usage.prompt_tokens, first.usage.completion_tokens) == (12, 4)
    chat = client.usage.get("chat")
    assert (chat.calls, chat.prompt_tokens, chat.completion_tokens) == (1, 12, 4)
    assert client.usage.get("topic").calls == 1
    assert client.usage.total().total_tokens == 20
    body = llm_server.bodies()[0]
    assert body["messages"] == USER
    assert body["model"] == "scripted"
    assert "tools" not in body


def test_stream_yields_deltas_and_counts_usage(
    llm_server: ScriptedLLMServer, client: LLMClient
) -> None:
    llm_server.reply_text("The vaccination is on Friday.", usage=(9, 6))

    deltas = list(client.stream(USER, operation="answer"))

    assert len(deltas) > 1
    assert "".join(deltas) == "The vaccination is on Friday."
    assert llm_server.bodies()[0]["stream"] is True
    usage = client.usage.get("answer")
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (1, 9, 6)


def test_stream_errors_are_mapped(llm_server: ScriptedLLMServer, client: LLMClient) -> None:
    llm_server.reply_error(401, "Incorrect API key provided: sk-test-0123456789.")
    with pytest.raises(LLMAuthError) as caught:
        list(client.stream(USER, operation="answer"))
    assert KEY not in caught.value.detail
    assert client.usage.get("answer").failures == 1


def test_usage_counter_is_thread_safe() -> None:
    counter = UsageCounter()

    def work() -> None:
        for _ in range(1000):
            counter.record("op", prompt_tokens=2, completion_tokens=1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter.get("op").calls == 8000
    assert counter.get("op").prompt_tokens == 16000


# -- tools -------------------------------------------------------------------------------


def test_valid_tool_call_reaches_handler_then_loop_ends_with_text(
    llm_server: ScriptedLLMServer, client: LLMClient
) -> None:
    llm_server.reply_tool_calls(("save_note", {"text": "vaccination Friday", "priority": 2}))
    llm_server.reply_text("Noted.")
    handler = Recorder("saved as n-1")

    result = client.run_tools(USER, [SAVE_NOTE], operation="semantic", handler=handler)

    assert handler.calls == [("save_note", {"text": "vaccination Friday", "priority": 2})]
    assert result.text == "Noted."
    assert (result.rounds, result.round_limit_hit, result.invalid_calls) == (2, False, 0)
    first, second = llm_server.bodies()
    assert first["tools"][0]["function"]["name"] == "save_note"
    assert first["tools"][0]["function"]["parameters"] == SAVE_NOTE.parameters
    assert tool_messages(second)[0]["content"] == "saved as n-1"
    assert client.usage.get("semantic").calls == 2
    assert result.usage.prompt_tokens == client.usage.get("semantic").prompt_tokens


@pytest.mark.parametrize(
    ("name", "arguments", "expected"),
    [
        ("save_note", '{"text": "vaccination", "priority": ', "not valid JSON"),
        ("save_note", '["vaccination", 2]', "must be a JSON object"),
        ("delete_everything", {"confirm": True}, "no tool named 'delete_everything'"),
        ("save_note", {"text": "vaccination", "priority": "high"}, "'high' is not of type"),
        ("save_note", {"text": "vaccination"}, "'priority' is a required property"),
        ("save_note", {"text": "x", "priority": 2, "extra": 1}, "Additional properties"),
    ],
    ids=["bad-json", "not-object", "unknown-tool", "wrong-type", "missing", "extra"],
)
def test_invalid_tool_calls_are_answered_with_the_error_and_not_run(
    llm_server: ScriptedLLMServer,
    client: LLMClient,
    name: str,
    arguments: dict[str, Any] | str,
    expected: str,
) -> None:
    llm_server.reply_tool_calls((name, arguments))
    llm_server.reply_tool_calls(("save_note", {"text": "vaccination Friday", "priority": 1}))
    llm_server.reply_text("Done.")
    handler = Recorder()

    result = client.run_tools(USER, [SAVE_NOTE], operation="semantic", handler=handler)

    assert handler.calls == [("save_note", {"text": "vaccination Friday", "priority": 1})]
    assert result.text == "Done."
    assert result.invalid_calls == 1
    followup = llm_server.bodies()[1]
    (answer,) = tool_messages(followup)
    assert answer["content"].startswith("Error:")
    assert expected in answer["content"]
    # The bad call itself is echoed back as the model sent it, so it can see its mistake.
    sent_call = followup["messages"][-2]["tool_calls"][0]
    assert sent_call["function"]["name"] == name
    assert sent_call["id"] == answer["tool_call_id"]


def test_handler_may_refuse_a_call_with_tool_input_error(
    llm_server: ScriptedLLMServer, client: LLMClient
) -> None:
    llm_server.reply_tool_calls(("save_note", {"text": "x", "priority": 1})).reply_text("Ok.")

    def handler(name: str, arguments: dict[str, Any]) -> str:
        raise ToolInputError("There is no memory with id sem-404.")

    result = client.run_tools(USER, [SAVE_NOTE], operation="semantic", handler=handler)

    assert result.invalid_calls == 1
    answer = tool_messages(llm_server.bodies()[1])[0]["content"]
    assert answer == "Error: There is no memory with id sem-404."


def test_tool_rounds_are_bounded(llm_server: ScriptedLLMServer) -> None:
    client = LLMClient(settings(llm_server, max_tool_rounds=3))
    for i in range(5):
        llm_server.reply_tool_calls(("save_note", {"text": f"note {i}", "priority": 1}))
    handler = Recorder()

    result = client.run_tools(USER, [SAVE_NOTE], operation="semantic", handler=handler)

    assert result.round_limit_hit
    assert result.rounds == 3
    assert len(llm_server.requests) == 3
    assert len(handler.calls) == 3
    assert llm_server.pending == 2


def test_several_calls_in_one_round_each_get_an_answer(
    llm_server: ScriptedLLMServer, client: LLMClient
) -> None:
    llm_server.reply_tool_calls(
        ("save_note", {"text": "a", "priority": 1}),
        ("save_note", {"text": "b", "priority": 9}),
    ).reply_text("Done.")
    handler = Recorder()

    client.run_tools(USER, [SAVE_NOTE], operation="semantic", handler=handler)

    assert [args["text"] for _, args in handler.calls] == ["a"]
    answers = tool_messages(llm_server.bodies()[1])
    assert answers[0]["content"] == "saved"
    assert "9 is greater than the maximum of 5" in answers[1]["content"]


def test_tool_schema_is_checked_when_the_tool_is_made() -> None:
    with pytest.raises(Exception, match="is not valid"):
        Tool(name="bad", description="", parameters={"type": "no-such-type"})


# -- errors and retries ------------------------------------------------------------------


def test_401_is_an_auth_error_without_retry(
    llm_server: ScriptedLLMServer, client: LLMClient
) -> None:
    llm_server.reply_error(401, f"Incorrect API key provided: {KEY}.", code="invalid_api_key")

    with pytest.raises(LLMAuthError) as caught:
        client.complete(USER, operation="chat")

    assert len(llm_server.requests) == 1
    error = caught.value
    assert isinstance(error, LLMError) and isinstance(error, AgentError)
    assert str(error) == f"The provider refused the API key for {MODEL}."
    assert error.status == 401
    assert KEY not in str(error) and KEY not in error.detail
    assert not error.retryable
    assert client.usage.get("chat").failures == 1
    assert client.usage.get("chat").calls == 0


def test_400_is_not_retried(llm_server: ScriptedLLMServer, client: LLMClient) -> None:
    llm_server.reply_error(400, "Invalid value for 'temperature'.")
    with pytest.raises(LLMError) as caught:
        client.complete(USER, operation="chat")
    assert type(caught.value) is LLMError
    assert len(llm_server.requests) == 1


def test_429_then_success_is_retried(llm_server: ScriptedLLMServer, client: LLMClient) -> None:
    llm_server.reply_error(429, "Rate limit reached.").reply_text("Friday.")

    response = client.complete(USER, operation="chat")

    assert response.text == "Friday."
    assert len(llm_server.requests) == 2
    assert client.usage.get("chat").calls == 1


def test_429_every_time_is_a_rate_limit_error(llm_server: ScriptedLLMServer) -> None:
    client = LLMClient(settings(llm_server, max_retries=1))
    llm_server.reply_error(429).reply_error(429)
    with pytest.raises(LLMRateLimitError):
        client.complete(USER, operation="chat")
    assert len(llm_server.requests) == 2


def test_500_after_retries_is_unavailable(llm_server: ScriptedLLMServer) -> None:
    client = LLMClient(settings(llm_server, max_retries=2, retry_base_s=0.05, retry_max_s=1))
    for _ in range(3):
        llm_server.reply_error(500, "The server had an error.")

    started = time.monotonic()
    with pytest.raises(LLMUnavailableError) as caught:
        client.complete(USER, operation="chat")

    assert len(llm_server.requests) == 3
    assert time.monotonic() - started >= 0.05 + 0.1  # back-off doubled between retries
    assert caught.value.retryable
    assert str(caught.value) == f"The model at {llm_server.api_base} had a server error."


def test_500_then_success(llm_server: ScriptedLLMServer, client: LLMClient) -> None:
    llm_server.reply_error(500).reply_error(503).reply_text("Fine now.")
    assert client.complete(USER, operation="chat").text == "Fine now."
    assert len(llm_server.requests) == 3


def test_timeout_is_unavailable(llm_server: ScriptedLLMServer) -> None:
    client = LLMClient(settings(llm_server, timeout_s=0.3, max_retries=1))
    llm_server.reply_delay(3).reply_delay(3)

    started = time.monotonic()
    with pytest.raises(LLMUnavailableError) as caught:
        client.complete(USER, operation="chat")

    assert time.monotonic() - started < 2.5
    assert len(llm_server.requests) == 2  # timed out, retried, timed out
    assert str(caught.value) == f"The model at {llm_server.api_base} did not answer in time."


def test_connection_refused_is_unavailable() -> None:
    with ScriptedLLMServer() as gone:
        api_base = gone.api_base
    client = LLMClient(
        LLMSettings(model=MODEL, api_base=api_base, max_retries=1, retry_base_s=0.01)
    )
    with pytest.raises(LLMUnavailableError, match="cannot be reached"):
        client.complete(USER, operation="chat")


def test_context_length_error(llm_server: ScriptedLLMServer, client: LLMClient) -> None:
    llm_server.reply_context_length()
    with pytest.raises(LLMContextLengthError) as caught:
        client.complete(USER, operation="chat")
    assert len(llm_server.requests) == 1
    assert str(caught.value) == "The conversation is too long for the model."


# -- the API key -------------------------------------------------------------------------


def test_key_from_env_var_is_sent_as_bearer(
    llm_server: ScriptedLLMServer, client: LLMClient
) -> None:
    llm_server.reply_text("hi")
    client.complete(USER, operation="chat")
    headers = {k.lower(): v for k, v in llm_server.requests[0].headers.items()}
    assert headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in llm_server.raw_bodies()
    assert KEY not in repr(client.settings)


class _MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, stored: dict[tuple[str, str], str], fail: bool = False) -> None:
        super().__init__()
        self.stored = stored
        self.fail = fail

    def get_password(self, service: str, username: str) -> str | None:
        if self.fail:
            raise keyring.errors.KeyringLocked("locked")
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("MIRIX_APP_KEYRING", raising=False)
    monkeypatch.delenv(KEY_ENV)
    previous = keyring.get_keyring()
    backend = _MemoryKeyring({("mirix-app", "openai"): "sk-from-keyring"})
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_key_from_keyring_when_env_var_unset(
    llm_server: ScriptedLLMServer, client: LLMClient, memory_keyring: _MemoryKeyring
) -> None:
    llm_server.reply_text("hi")
    client.complete(USER, operation="chat")
    headers = {k.lower(): v for k, v in llm_server.requests[0].headers.items()}
    assert headers["authorization"] == "Bearer sk-from-keyring"


def test_env_var_wins_over_keyring(
    monkeypatch: pytest.MonkeyPatch, llm_server: ScriptedLLMServer, memory_keyring: Any
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-env")
    assert resolve_api_key(settings(llm_server)) == "sk-env"


def test_broken_keyring_means_no_key(
    llm_server: ScriptedLLMServer, memory_keyring: _MemoryKeyring
) -> None:
    memory_keyring.fail = True
    assert resolve_api_key(settings(llm_server)) is None
    memory_keyring.fail = False
    assert resolve_api_key(settings(llm_server)) == "sk-from-keyring"


def test_keyring_off_is_respected(
    monkeypatch: pytest.MonkeyPatch, llm_server: ScriptedLLMServer, memory_keyring: Any
) -> None:
    monkeypatch.setenv("MIRIX_APP_KEYRING", "off")
    assert resolve_api_key(settings(llm_server)) is None


def test_no_key_reaches_a_local_server_with_a_placeholder(
    monkeypatch: pytest.MonkeyPatch, llm_server: ScriptedLLMServer
) -> None:
    monkeypatch.delenv(KEY_ENV)
    monkeypatch.setenv("MIRIX_APP_KEYRING", "off")
    llm_server.reply_text("hi")
    assert LLMClient(settings(llm_server)).complete(USER, operation="c").text == "hi"


# -- import cost -------------------------------------------------------------------------


def test_importing_agents_llm_does_not_import_litellm() -> None:
    code = "import sys, agents, agents.llm; print('litellm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tool_arguments_too_deep_or_with_a_lone_surrogate() -> None:
    call = ToolCall.parse("c1", "semantic_insert", '{"name": ' + "[" * 5000 + "]" * 5000 + "}")
    assert call.arguments == {} and call.parse_error is not None
    assert call.parse_error.startswith("the arguments are not usable JSON (nested deeper")
    assert ToolCall.parse("c2", "x", '{"a": "\\ud800"}').arguments == {"a": "\ufffd"}
