"""Errors raised by the agents layer.

Hierarchy (storage errors pass through unchanged)::

    AgentError                 base
    ├── ModelUnavailableError  a model's package or weights are missing
    └── IngestError            an input file cannot be imported as a whole;
                               ``problems`` lists (line, message) pairs
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
