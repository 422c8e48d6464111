"""The LLM client over litellm: completion, streaming, a checked tool loop, retries.

This is the only module that imports litellm, and only on first use. Every
litellm exception is mapped to an :class:`agents.errors.LLMError` with a plain
message; timeouts, 429 and 5xx are retried with exponential back-off first.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from agents.errors import (
    LLMAuthError,
    LLMBadOutputError,
    LLMContextLengthError,
    LLMError,
    LLMRateLimitError,
    LLMUnavailableError,
    ToolInputError,
)
from agents.llm.settings import LLMSettings, LocalModelSettings, resolve_api_key
from agents.llm.tools import Tool, ToolCall, Usage, check_call
from agents.llm.usage import UsageCounter
from agents.privacy.redact import redact_messages

Message = dict[str, Any]
ToolHandler = Callable[[str, dict[str, Any]], str]
T = TypeVar("T")

NO_KEY = "sk-no-key-required"
"""Sent to an ``api_base`` (a local server) when no key is configured: the OpenAI
client refuses to send a request without one."""

_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm")
_import_lock = threading.Lock()
_litellm_module: Any = None


def _litellm() -> Any:
    """Import and quieten litellm once: local cost map, no prints, no message logging."""
    global _litellm_module
    with _import_lock:
        if _litellm_module is None:
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
            import litellm

            litellm.suppress_debug_info = True
            litellm.telemetry = False
            litellm.turn_off_message_logging = True
            litellm.drop_params = True
            for name in _LOGGERS:
                logging.getLogger(name).setLevel(logging.CRITICAL)
            # pydantic warns about litellm's own types while streaming; not ours to fix,
            # and a chat in the terminal must not print it.
            warnings.filterwarnings(
                "ignore", message=r"Item '.*' on TypedDict class", category=UserWarning
            )
            _litellm_module = litellm
    return _litellm_module


@dataclass(frozen=True)
class LLMResponse:
    text: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None
    rounds: int = 1
    """Model calls made (more than one after :meth:`LLMClient.run_tools`)."""
    round_limit_hit: bool = False
    """run_tools stopped because the model still called tools after the last round."""
    invalid_calls: int = 0
    """Tool calls answered with an error instead of being run."""
    messages: list[Message] = field(default_factory=list)
    """run_tools only: the whole conversation, tool calls and results included."""


class LLMClient:
    def __init__(self, settings: LLMSettings, *, usage: UsageCounter | None = None) -> None:
        self.settings = settings
        self.usage = usage or UsageCounter()

    # -- calls ---------------------------------------------------------------------------

    def complete(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[Tool] | None = None,
        operation: str,
        tool_choice: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> LLMResponse:
        """One model call (retried on timeouts, 429 and 5xx)."""
        kwargs = self._kwargs(messages, max_tokens=max_tokens, temperature=temperature)
        if tools:
            kwargs["tools"] = [t.to_openai() for t in tools]
            # litellm 1.106 imports its MCP bridge (and the optional `mcp` package) for
            # any call with tools unless told to skip it; we never use MCP tools.
            kwargs["_skip_mcp_handler"] = True
            if tool_choice:
                kwargs["tool_choice"] = tool_choice
        raw = self._with_retries(operation, lambda: _litellm().completion(**kwargs))
        try:
            response = _parse_response(raw)
        except LLMBadOutputError:
            self.usage.record_failure(operation)
            raise
        self.usage.record_call(operation, response.usage)
        return response

    def stream(
        self,
        messages: Sequence[Message],
        *,
        operation: str,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> Iterator[str]:
        """The answer's text as it arrives. Opening the stream is retried; a break
        mid-answer is not (the caller has already shown part of it)."""
        kwargs = self._kwargs(messages, max_tokens=max_tokens, temperature=temperature)
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
        chunks = self._with_retries(operation, lambda: _litellm().completion(**kwargs))
        usage = Usage()
        failed = False
        try:
            for chunk in chunks:
                chunk_usage = getattr(chunk, "usage", None)
                if chunk_usage:
                    usage = _usage(chunk_usage)
                for choice in getattr(chunk, "choices", None) or ():
                    delta = getattr(choice, "delta", None)
                    text = getattr(delta, "content", None) if delta is not None else None
                    if text:
                        yield text
        except Exception as exc:
            failed = True
            mapped = self._map_error(exc)
            self.usage.record_failure(operation)
            if mapped is None:
                raise
            raise mapped from exc
        finally:
            if not failed:
                self.usage.record_call(operation, usage)

    def run_tools(
        self,
        messages: Sequence[Message],
        tools: Sequence[Tool],
        *,
        operation: str,
        handler: ToolHandler,
        tool_choice: str | None = None,
    ) -> LLMResponse:
        """Call the model until it answers without tool calls, at most
        ``max_tool_rounds`` rounds of tool calls.

        Every call is checked against its tool's schema first: a call with bad
        JSON, an unknown tool or wrong arguments is answered with the error (so
        the model can correct itself) and never reaches ``handler``. A handler
        may raise :class:`ToolInputError` to answer the model the same way.
        """
        conversation = list(messages)
        total = Usage()
        invalid = 0
        response = LLMResponse(text="")
        for round_no in range(1, self.settings.max_tool_rounds + 1):
            response = self.complete(
                conversation, tools=tools, operation=operation, tool_choice=tool_choice
            )
            total = total + response.usage
            if not response.tool_calls:
                conversation.append({"role": "assistant", "content": response.text})
                return replace(
                    response,
                    usage=total,
                    rounds=round_no,
                    invalid_calls=invalid,
                    messages=conversation,
                )
            conversation.append(_assistant_tool_message(response))
            for call in response.tool_calls:
                problem = check_call(call, tools)
                if problem is None:
                    try:
                        result = handler(call.name, call.arguments)
                    except ToolInputError as exc:
                        problem = f"Error: {exc}"
                if problem is not None:
                    invalid += 1
                    result = problem
                conversation.append({"role": "tool", "tool_call_id": call.id, "content": result})
            tool_choice = None  # a forced first call must not force every round
        return replace(
            response,
            usage=total,
            rounds=self.settings.max_tool_rounds,
            round_limit_hit=True,
            invalid_calls=invalid,
            messages=conversation,
        )

    # -- plumbing ------------------------------------------------------------------------

    def outgoing(self, messages: Sequence[Message]) -> list[Message]:
        """``messages`` as the model gets them: every call of this client (and of the
        embedded model's) passes here, so every text a provider reads is redacted
        (``settings.redact``) while storage keeps the original."""
        return redact_messages(messages) if self.settings.redact else list(messages)

    def _kwargs(
        self, messages: Sequence[Message], *, max_tokens: int | None, temperature: float | None
    ) -> dict[str, Any]:
        s = self.settings
        key = resolve_api_key(s)
        if key is None and s.api_base:
            key = NO_KEY
        kwargs: dict[str, Any] = {
            "model": s.model,
            "messages": self.outgoing(messages),
            "timeout": s.timeout_s,
            "num_retries": 0,  # retries are ours, with our back-off and error mapping
            "max_retries": 0,
        }
        if s.api_base:
            kwargs["api_base"] = s.api_base
        if key:
            kwargs["api_key"] = key
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if temperature is not None:
            kwargs["temperature"] = temperature
        return kwargs

    def _with_retries(self, operation: str, call: Callable[[], T]) -> T:
        retry = 0
        while True:
            try:
                return call()
            except Exception as exc:
                mapped = self._map_error(exc)
                if mapped is None:
                    raise
                if mapped.retryable and retry < self.settings.max_retries:
                    time.sleep(self.settings.backoff_s(retry))
                    retry += 1
                    continue
                self.usage.record_failure(operation)
                raise mapped from exc

    def _map_error(self, exc: Exception) -> LLMError | None:
        """Our error for a litellm/openai/httpx exception; None for anything else."""
        return map_error(exc, self.settings)


def warm_up(settings: LLMSettings) -> None:
    """Load what a provider's first call would load (litellm and its default
    tokenizer: about 220 MB and 2-3 s on two cores), without sending anything. The
    desktop app does it on a worker once it is up, so the memory is taken when the
    app starts and not in the middle of a session, and the first answer does not
    wait for the import. The embedded model is not loaded here."""
    if isinstance(settings, LocalModelSettings):
        return
    _litellm().token_counter(text="ready")


def client_for(settings: LLMSettings, *, usage: UsageCounter | None = None) -> LLMClient:
    """The one place that turns LLM settings into a client; every caller goes through
    it, so a different backend (the embedded local model) plugs in here."""
    if isinstance(settings, LocalModelSettings):
        from agents.llm.local import LocalLLMClient  # imports llama_cpp only when it runs

        return LocalLLMClient(settings, usage=usage)
    return LLMClient(settings, usage=usage)


def map_error(exc: Exception, settings: LLMSettings) -> LLMError | None:
    module = type(exc).__module__.split(".")[0]
    if isinstance(exc, LLMError):
        return exc
    if module not in ("litellm", "openai", "httpx", "httpcore", "json"):
        return None
    lit = _litellm()
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    detail = _redact(str(exc), settings)
    model = settings.model
    where = settings.api_base or settings.provider
    text = detail.lower()

    def make(kind: type[LLMError], message: str) -> LLMError:
        return kind(message, status=status, detail=detail)

    if "missing credentials" in text or ("api_key" in text and "environment variable" in text):
        return make(
            LLMAuthError,
            f"No API key for {settings.provider}: set llm_api_key_env to the environment "
            f"variable that holds it, or store it in the OS keyring (service mirix-app, "
            f"entry {settings.provider}).",
        )
    if isinstance(exc, lit.ContextWindowExceededError) or (
        status == 400 and ("context_length_exceeded" in text or "context length" in text)
    ):
        return make(LLMContextLengthError, "The conversation is too long for the model.")
    if isinstance(exc, lit.AuthenticationError | lit.PermissionDeniedError) or status in (
        401,
        403,
    ):
        return make(LLMAuthError, f"The provider refused the API key for {model}.")
    if isinstance(exc, lit.RateLimitError) or status == 429:
        return make(LLMRateLimitError, f"The provider is rate-limiting requests to {model}.")
    if isinstance(exc, lit.Timeout):
        return make(LLMUnavailableError, f"The model at {where} did not answer in time.")
    # litellm reports a refused or dropped connection as a 500 "Connection error."
    if isinstance(exc, lit.APIConnectionError) or (
        status in (None, 500) and ("connection error" in text or "connect" in text)
    ):
        if "timed out" in text or "timeout" in text:
            return make(LLMUnavailableError, f"The model at {where} did not answer in time.")
        return make(LLMUnavailableError, f"The model at {where} cannot be reached.")
    if status is not None and status >= 500:
        return make(LLMUnavailableError, f"The model at {where} had a server error.")
    if isinstance(exc, lit.NotFoundError) or status == 404:
        return make(LLMError, f"The provider does not know the model {model}.")
    if isinstance(exc, lit.APIResponseValidationError) or module == "json":
        return make(LLMBadOutputError, f"The model {model} sent an answer that cannot be read.")
    if isinstance(exc, lit.BadRequestError) or status == 400:
        return make(LLMError, f"The provider rejected the request to {model}.")
    return make(LLMError, f"The call to {model} failed.")


def _redact(text: str, settings: LLMSettings) -> str:
    key = resolve_api_key(settings)
    return text.replace(key, "***") if key and len(key) >= 4 else text


def _usage(raw: Any) -> Usage:
    prompt = getattr(raw, "prompt_tokens", 0)
    completion = getattr(raw, "completion_tokens", 0)
    return Usage(
        prompt if isinstance(prompt, int) else 0,
        completion if isinstance(completion, int) else 0,
    )


def _parse_response(raw: Any) -> LLMResponse:
    choices = getattr(raw, "choices", None)
    if not choices:
        raise LLMBadOutputError("The model sent an empty answer.")
    choice = choices[0]
    message = getattr(choice, "message", None)
    if message is None:
        raise LLMBadOutputError("The model sent an empty answer.")
    calls: list[ToolCall] = []
    for index, call in enumerate(getattr(message, "tool_calls", None) or ()):
        function = getattr(call, "function", None)
        name = getattr(function, "name", None)
        if not isinstance(name, str):
            raise LLMBadOutputError("The model sent a tool call without a name.")
        call_id = getattr(call, "id", None) or f"call_{index}"
        arguments = getattr(function, "arguments", None)
        calls.append(ToolCall.parse(str(call_id), name, arguments if arguments else None))
    content = getattr(message, "content", None)
    return LLMResponse(
        text=content if isinstance(content, str) else "",
        tool_calls=calls,
        usage=_usage(getattr(raw, "usage", None)),
        finish_reason=getattr(choice, "finish_reason", None),
    )


def _assistant_tool_message(response: LLMResponse) -> Message:
    return {
        "role": "assistant",
        "content": response.text or None,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.raw_arguments or "{}"},
            }
            for c in response.tool_calls
        ],
    }
