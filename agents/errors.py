"""Errors raised by the agents layer.

Hierarchy (storage errors pass through unchanged)::

    AgentError                 base
    ├── ModelUnavailableError  a model's package or weights are missing
    ├── IngestError            an input file cannot be imported as a whole;
    │                          ``problems`` lists (line, message) pairs
    ├── ToolInputError         a tool handler refuses a call (unknown id, bad value);
    │                          the LLM client answers the model with the message
    └── LLMError               the language model could not give a usable answer
        ├── LLMAuthError           the provider refused the key (401/403)
        ├── LLMRateLimitError      still rate-limited (429) after retries
        ├── LLMUnavailableError    timeout, connection refused, 5xx after retries
        ├── LLMContextLengthError  the prompt is too long for the model
        └── LLMBadOutputError      the answer could not be understood

Every ``LLMError`` message is one plain sentence for a user; the provider's own
text (with the API key blanked) is kept in ``detail`` for logs.
"""

from __future__ import annotations


class AgentError(Exception):
    """Base of every error the agents layer raises on purpose."""


class ModelUnavailableError(AgentError):
    pass


class IngestError(AgentError):
    def __init__(self, message: str, problems: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class ToolInputError(AgentError):
    """Raised by a tool handler to tell the model its call cannot be carried out."""


class LLMError(AgentError):
    """The language model could not give a usable answer.

    ``retryable`` says whether trying again later may help; ``status`` is the HTTP
    status when there was one; ``detail`` is the provider's text, for logs only.
    """

    retryable = False

    def __init__(self, message: str, *, status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class LLMAuthError(LLMError):
    pass


class LLMRateLimitError(LLMError):
    retryable = True


class LLMUnavailableError(LLMError):
    retryable = True


class LLMContextLengthError(LLMError):
    pass


class LLMBadOutputError(LLMError):
    pass
