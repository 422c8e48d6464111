"""Counting LLM calls and tokens per operation (thread-safe)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.llm.tools import Usage


@dataclass(frozen=True)
class OperationUsage:
    calls: int = 0
    """Calls that returned an answer (a retried call counts once)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    failures: int = 0
    """Calls that ended in an error, after their retries."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: OperationUsage) -> OperationUsage:
        return OperationUsage(
            self.calls + other.calls,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.failures + other.failures,
        )


class UsageCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_op: dict[str, OperationUsage] = {}

    def record(self, operation: str, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        self._add(operation, OperationUsage(1, prompt_tokens, completion_tokens, 0))

    def record_call(self, operation: str, usage: Usage) -> None:
        """One answered call, with the token counts its reply reported."""
        self.record(
            operation, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens
        )

    def record_failure(self, operation: str) -> None:
        self._add(operation, OperationUsage(failures=1))

    def _add(self, operation: str, delta: OperationUsage) -> None:
        with self._lock:
            self._by_op[operation] = self._by_op.get(operation, OperationUsage()) + delta

    def get(self, operation: str) -> OperationUsage:
        with self._lock:
            return self._by_op.get(operation, OperationUsage())

    def snapshot(self) -> dict[str, OperationUsage]:
        with self._lock:
            return dict(self._by_op)

    def total(self) -> OperationUsage:
        result = OperationUsage()
        for usage in self.snapshot().values():
            result = result + usage
        return result

    def reset(self) -> None:
        with self._lock:
            self._by_op.clear()
