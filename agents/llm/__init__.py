"""The LLM client: the only code that talks to a language model (through litellm).

``litellm`` is imported lazily, on the first call, so that importing ``agents``
(and ``mirix-app --help``) stays fast; only :mod:`agents.llm.client` imports it.
The embedded model (:mod:`agents.llm.local`, the only importer of ``llama_cpp``)
is reached the same way, through :func:`client_for`.
"""

from agents.llm.client import LLMClient, LLMResponse, client_for, warm_up
from agents.llm.discovery import LocalModel, LocalServer, find_local_servers, parse_ports
from agents.llm.local_model import LocalModelCheck, check_local_model
from agents.llm.settings import (
    KEYRING_SERVICE,
    LLMSettings,
    LocalModelSettings,
    resolve_api_key,
    store_api_key,
)
from agents.llm.tools import Tool, ToolCall, Usage
from agents.llm.usage import OperationUsage, UsageCounter
from agents.llm.vision import image_part, supports_images

__all__ = [
    "KEYRING_SERVICE",
    "LLMClient",
    "LLMResponse",
    "LLMSettings",
    "LocalModel",
    "LocalModelCheck",
    "LocalModelSettings",
    "LocalServer",
    "OperationUsage",
    "Tool",
    "ToolCall",
    "Usage",
    "UsageCounter",
    "check_local_model",
    "client_for",
    "find_local_servers",
    "image_part",
    "parse_ports",
    "resolve_api_key",
    "store_api_key",
    "supports_images",
    "warm_up",
]
