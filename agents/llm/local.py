"""The embedded model: SmolLM2-135M-Instruct run in this process by llama-cpp-python.

This is the only module that imports ``llama_cpp``, and only on the first call.
:class:`LocalLLMClient` has :class:`~agents.llm.client.LLMClient`'s interface and
inherits its tool loop (``run_tools``), so a tool call is checked the same way
whichever model made it. What differs is how a call is produced: with tools on
offer, the model's reply is constrained (llama.cpp grammar from a JSON schema, see
:mod:`agents.llm.local_calls`) to ``{"tool_calls": [...]}`` where each entry can
only be a call of one of the offered tools, so its calls always parse.

One model is loaded per process, lazily, and every generation holds one lock: a
llama.cpp context cannot serve two threads at once, and the memory agents, the
chat and the CLI may call from several.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from agents.errors import LLMBadOutputError, LLMContextLengthError, LLMError, LLMUnavailableError
from agents.llm.client import LLMClient, LLMResponse, Message
from agents.llm.local_calls import (
    call_schema,
    chat_messages,
    parse_calls,
    with_tool_instructions,
)
from agents.llm.settings import LocalModelSettings
from agents.llm.tools import Tool, Usage
from agents.llm.usage import UsageCounter

TEXT_TOKENS = 512
"""Reply length when the caller names none."""
TEXT_TEMPERATURE = 0.2
TEXT_REPEAT_PENALTY = 1.15
"""A 135M model loops on its own sentences without some penalty."""
CALL_TEMPERATURES = (0.0, 0.4)
"""First try greedy; a retry after an unreadable reply, or of a batch that failed
(``sample_offset``), samples a little."""

_lock = threading.Lock()
_models: dict[tuple[str, int, int], Any] = {}


@dataclass(frozen=True)
class _Generated:
    text: str
    usage: Usage
    finish_reason: str | None


class LocalLLMClient(LLMClient):
    """An :class:`LLMClient` whose model runs in this process (no network, no key)."""

    settings: LocalModelSettings

    def __init__(self, settings: LocalModelSettings, *, usage: UsageCounter | None = None) -> None:
        super().__init__(settings, usage=usage)

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
        messages = self.outgoing(messages)
        try:
            if tools and tool_choice != "none":
                response = self._complete_calls(
                    messages, tools, required=tool_choice == "required", max_tokens=max_tokens
                )
            else:
                generated = self._generate(
                    chat_messages(messages),
                    max_tokens=max_tokens or TEXT_TOKENS,
                    temperature=TEXT_TEMPERATURE if temperature is None else temperature,
                    repeat_penalty=TEXT_REPEAT_PENALTY,
                )
                response = LLMResponse(
                    generated.text, usage=generated.usage, finish_reason=generated.finish_reason
                )
        except LLMError:
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
        """The reply's text as it is generated (the model stays locked meanwhile)."""
        chat = chat_messages(self.outgoing(messages))
        completion = 0
        with _lock:
            try:
                model = self._model()
                chunks = model.create_chat_completion(
                    chat,
                    stream=True,
                    max_tokens=max_tokens or TEXT_TOKENS,
                    temperature=TEXT_TEMPERATURE if temperature is None else temperature,
                    repeat_penalty=TEXT_REPEAT_PENALTY,
                )
                for chunk in chunks:
                    for choice in chunk.get("choices") or ():
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            completion += 1
                            yield text
            except Exception as exc:
                self.usage.record_failure(operation)
                raise _mapped(exc) from exc
            # The context holds the prompt and the reply; a streamed chunk is one token.
            prompt = max(0, int(model.n_tokens) - completion)
        self.usage.record(operation, prompt_tokens=prompt, completion_tokens=completion)

    # -- tool calls ----------------------------------------------------------------------

    def _complete_calls(
        self,
        messages: Sequence[Message],
        tools: Sequence[Tool],
        *,
        required: bool,
        max_tokens: int | None,
    ) -> LLMResponse:
        """A reply constrained to calls of ``tools``; an unreadable one is tried again
        (``max_retries`` times) before it is an error."""
        schema = call_schema(tools, required=required)
        chat = chat_messages(with_tool_instructions(messages, tools, required=required))
        total = Usage()
        problem = ""
        for attempt in range(self.settings.max_retries + 1):
            step = attempt + self.settings.sample_offset
            generated = self._generate(
                chat,
                max_tokens=max_tokens or self.settings.max_call_tokens,
                temperature=CALL_TEMPERATURES[min(step, len(CALL_TEMPERATURES) - 1)],
                schema=schema,
                seed=step,
            )
            total = total + generated.usage
            # The last try accepts calls that only the grammar could not hold to the
            # schema (a minimum, say): run_tools then answers them like any bad call.
            last = attempt == self.settings.max_retries
            calls, problem = parse_calls(generated.text, schema, strict=not last)
            if calls is not None:
                return LLMResponse(
                    "", tool_calls=calls, usage=total, finish_reason=generated.finish_reason
                )
        raise LLMBadOutputError(
            f"The embedded model's reply could not be read as tool calls ({problem}).",
            detail=problem,
        )

    # -- the model -----------------------------------------------------------------------

    def _generate(
        self,
        chat: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        repeat_penalty: float = 1.0,
        schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> _Generated:
        kwargs: dict[str, Any] = {
            "max_tokens": max_tokens,
            "temperature": temperature,
            "repeat_penalty": repeat_penalty,
        }
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        if seed is not None:
            kwargs["seed"] = seed
        with _lock:
            model = self._model()
            try:
                raw = model.create_chat_completion(chat, **kwargs)
            except Exception as exc:
                raise _mapped(exc) from exc
        choice = raw["choices"][0]
        usage = raw.get("usage") or {}
        return _Generated(
            str(choice["message"].get("content") or ""),
            Usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))),
            choice.get("finish_reason"),
        )

    def _model(self) -> Any:
        """The loaded model (loaded on first use; call with ``_lock`` held)."""
        s = self.settings
        # Half the cores: llama.cpp threads spin while they wait, and on a busy machine
        # all cores run several times slower than half of them.
        threads = s.threads or max(1, (os.cpu_count() or 2) // 2)
        key = (s.model_path, s.context_tokens, threads)
        if key not in _models:
            try:
                import llama_cpp
            except ImportError as exc:
                raise LLMUnavailableError(
                    "llama-cpp-python is not installed: "
                    "pip install -e '.[local]' (in the mirix-app checkout)."
                ) from exc
            if not _models:
                atexit.register(_close_models)
            try:
                _models[key] = llama_cpp.Llama(
                    model_path=s.model_path,
                    n_ctx=s.context_tokens,
                    n_threads=threads,
                    n_threads_batch=threads,
                    verbose=False,
                )
            except Exception as exc:  # a missing or corrupt file, too little memory
                raise LLMUnavailableError(
                    f"The embedded model cannot be loaded from {s.model_path}.", detail=str(exc)
                ) from exc
        return _models[key]


def _close_models() -> None:
    """Free the models before the interpreter tears down the modules their
    destructors need (otherwise a TypeError is printed at every exit)."""
    with _lock:
        for model in _models.values():
            model.close()
        _models.clear()


def _mapped(exc: Exception) -> LLMError:
    if isinstance(exc, LLMError):
        return exc
    text = str(exc)
    if "context window" in text or "exceed context" in text:
        return LLMContextLengthError(
            "The conversation is too long for the embedded model.", detail=text
        )
    return LLMError(f"The embedded model failed: {type(exc).__name__}.", detail=text)
