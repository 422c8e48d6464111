"""The brain, no Qt: the Assistant facade, ingest, embedders (and, from issue 3,
the memory agents and the LLM client)."""

from agents.assistant import SEARCHABLE_TYPES, Assistant, open_assistant
from agents.errors import AgentError, IngestError, ModelUnavailableError

__all__ = [
    "SEARCHABLE_TYPES",
    "AgentError",
    "Assistant",
    "IngestError",
    "ModelUnavailableError",
    "open_assistant",
]
