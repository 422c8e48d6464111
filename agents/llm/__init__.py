"""The LLM client: the only code that talks to a language model (through litellm).

``litellm`` is imported lazily, on the first call, so that importing ``agents``
(and ``mirix-app --help``) stays fast; only :mod:`agents.llm.client` imports it.
"""

from agents.llm.client import LLMClient, LLMResponse, client_for
from agents.llm.settings import KEYRING_SERVICE, LLMSettings, resolve_api_key, store_api_key
from agents.llm.tools import Tool, ToolCall, Usage
from agents.llm.usage import OperationUsage, UsageCounter

__all__ = [
    "KEYRING_SERVICE",
    "LLMClient",
    "LLMResponse",
    "LLMSettings",
    "OperationUsage",
    "Tool",
    "ToolCall",
    "Usage",
    "UsageCounter",
    "client_for",
    "resolve_api_key",
    "store_api_key",
]
