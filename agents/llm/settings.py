"""LLM settings and where the API key comes from.

The key is never part of the settings: they name an environment variable, and
failing that the key is looked up in the OS keyring under ``("mirix-app",
provider)``. A key is never read from, or written to, a config file.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

KEYRING_SERVICE = "mirix-app"
KEYRING_ENV = "MIRIX_APP_KEYRING"
"""``MIRIX_APP_KEYRING=off`` skips the keyring (tests, headless machines)."""


@dataclass(frozen=True, kw_only=True)
class LLMSettings:
    model: str
    """A litellm model name, ``provider/model``: ``openai/gpt-4o-mini``, ``ollama/llama3``."""
    api_base: str | None = None
    api_key_env: str | None = None
    """Name of the environment variable holding the key (not the key itself)."""
    timeout_s: float = 60.0
    max_retries: int = 3
    """Retries after the first attempt, on timeouts, 429 and 5xx."""
    max_tool_rounds: int = 8
    retry_base_s: float = 0.5
    """Back-off before retry n is ``retry_base_s * 2**n``, capped at ``retry_max_s``."""
    retry_max_s: float = 8.0
    redact: bool = True
    """Redact secrets and personal data from every text sent (the ``redact_provider``
    setting; see :func:`agents.privacy.redact_messages`)."""

    def __post_init__(self) -> None:
        if not self.model.strip():
            raise ValueError("The LLM model name is empty.")
        if self.timeout_s <= 0:
            raise ValueError("The LLM timeout must be positive.")
        if self.max_retries < 0 or self.max_tool_rounds < 1:
            raise ValueError("max_retries must be >= 0 and max_tool_rounds >= 1.")
        if self.retry_base_s < 0 or self.retry_max_s < 0:
            raise ValueError("Retry delays cannot be negative.")

    @property
    def provider(self) -> str:
        """The provider part of the model name (``openai`` in ``openai/gpt-4o``)."""
        head, sep, _ = self.model.partition("/")
        return head if sep else "openai"

    def backoff_s(self, retry: int) -> float:
        return float(min(self.retry_max_s, self.retry_base_s * (2**retry)))


@dataclass(frozen=True, kw_only=True)
class LocalModelSettings(LLMSettings):
    """The embedded model, run in this process by llama-cpp-python (see
    :mod:`agents.llm.local`); :func:`agents.llm.client_for` routes on this type."""

    model_path: str
    """The GGUF file."""
    context_tokens: int = 8192
    threads: int | None = None
    """CPU threads for generation; None: half the cores (at least one)."""
    max_call_tokens: int = 768
    """Upper bound of one constrained (tool-call) reply, so a call always ends."""
    redact: bool = False
    """The text never leaves this process: redacted only with ``redact_local``."""
    sample_offset: int = 0
    """Where a tool call's tries start in the sampling ladder (greedy first, then
    sampled with a seed): a batch that failed is retried with its attempt count
    here, so it does not repeat the greedy reply that failed."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.context_tokens < 512 or self.max_call_tokens < 64:
            raise ValueError("The local model needs context_tokens >= 512, max_call_tokens >= 64.")
        if self.sample_offset < 0:
            raise ValueError("sample_offset cannot be negative.")


def resolve_api_key(settings: LLMSettings) -> str | None:
    """The API key: the settings' environment variable, else the OS keyring, else None.

    A missing or broken keyring backend is not an error: there is simply no key.
    """
    if settings.api_key_env:
        value = os.environ.get(settings.api_key_env, "").strip()
        if value:
            return value
    if os.environ.get(KEYRING_ENV, "").strip().lower() in ("off", "0", "false", "no"):
        return None
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, settings.provider)
    except Exception:  # no backend, locked or broken keyring: treat as "no key stored"
        return None
    return stored or None


def store_api_key(provider: str, key: str) -> None:
    """Save ``key`` for ``provider`` in the OS keyring (an empty key removes it).

    Keys never go to the settings file; raises AgentError with a plain message
    when the keyring is switched off or has no usable backend.
    """
    from agents.errors import AgentError

    if not provider.strip():
        raise AgentError("Choose an LLM model before saving its API key.")
    if os.environ.get(KEYRING_ENV, "").strip().lower() in ("off", "0", "false", "no"):
        raise AgentError(
            f"The OS keyring is switched off ({KEYRING_ENV}); put the key in an environment "
            "variable and name it in llm_api_key_env instead."
        )
    try:
        import keyring
        import keyring.errors

        if key:
            keyring.set_password(KEYRING_SERVICE, provider, key)
        else:
            # Nothing stored is as good as removed.
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password(KEYRING_SERVICE, provider)
    except Exception as exc:  # no backend, locked keyring: the user must choose another way
        raise AgentError(
            f"Cannot store the API key in the OS keyring ({exc}); put it in an environment "
            "variable and name it in llm_api_key_env instead."
        ) from exc
