"""Settings are data: one list of (name, default, help) that the code, the
``config`` command, the README (and later the settings dialog) all read.

Values live in ``DATA_DIR/settings.json``; an environment variable
``MIRIX_APP_<NAME>`` (upper case) overrides a stored value. API keys are never
settings: ``llm_api_key_env`` names the environment variable that holds one,
and otherwise the key is looked up in the OS keyring.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agents.errors import AgentError
from agents.llm import LLMSettings

SETTINGS_FILE = "settings.json"
Value = str | float | int


class SettingsError(AgentError):
    """A setting name or value that cannot be used."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Value
    help: str

    @property
    def env_var(self) -> str:
        return f"MIRIX_APP_{self.name.upper()}"

    def parse(self, raw: object) -> Value:
        """Check ``raw`` (a string from the command line or JSON) against the default's type."""
        kind = type(self.default)
        if kind is str:
            if not isinstance(raw, str):
                raise SettingsError(f"{self.name} must be text, got {raw!r}.")
            return raw.strip()
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise SettingsError(f"{self.name} must be a number, got {raw!r}.")
        try:
            value: float | int = int(raw) if kind is int else float(raw)
        except ValueError:
            raise SettingsError(f"{self.name} must be a number, got {raw!r}.") from None
        if value <= 0:
            raise SettingsError(f"{self.name} must be positive, got {raw!r}.")
        return value


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "llm_model",
        "",
        "The LLM, as a litellm model name: openai/gpt-4o-mini, gemini/gemini-2.0-flash, "
        "anthropic/claude-3-5-haiku-latest, ollama/llama3.2, or openai/NAME with "
        "llm_api_base for any OpenAI-compatible server. Empty: no LLM (the rule-based "
        "floor writes the memories).",
    ),
    Setting(
        "llm_api_base",
        "",
        "Base URL of the provider, for Ollama (http://localhost:11434) or an "
        "OpenAI-compatible server (http://host:port/v1); empty for the provider's default.",
    ),
    Setting(
        "llm_api_key_env",
        "",
        "Name of the environment variable holding the API key (e.g. OPENAI_API_KEY). "
        "Empty: the key is read from the OS keyring (service mirix-app, entry = provider).",
    ),
    Setting("llm_timeout_s", 60.0, "Seconds to wait for one LLM reply before retrying."),
    Setting(
        "batch_items",
        20,
        "Observations per batch for the memory agents: with an LLM configured, imported "
        "messages are queued in batches of this many, absorbed by 'mirix-app absorb'.",
    ),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def setting_named(name: str) -> Setting:
    try:
        return BY_NAME[name]
    except KeyError:
        known = ", ".join(BY_NAME)
        raise SettingsError(f"Unknown setting {name!r}; settings are: {known}.") from None


@dataclass(frozen=True)
class Settings:
    values: Mapping[str, Value]
    sources: Mapping[str, str]
    """Where each value came from: default, file or environment."""

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    def llm(self) -> LLMSettings | None:
        """The LLM provider's settings, or None when no model is configured."""
        model = str(self.values["llm_model"])
        if not model:
            return None
        return LLMSettings(
            model=model,
            api_base=str(self.values["llm_api_base"]) or None,
            api_key_env=str(self.values["llm_api_key_env"]) or None,
            timeout_s=float(self.values["llm_timeout_s"]),
        )


def load_settings(data_dir: Path) -> Settings:
    stored = _read_file(data_dir / SETTINGS_FILE)
    values: dict[str, Value] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        values[s.name], sources[s.name] = s.default, "default"
        if s.name in stored:
            values[s.name], sources[s.name] = s.parse(stored[s.name]), "file"
        if s.env_var in os.environ:
            values[s.name], sources[s.name] = s.parse(os.environ[s.env_var]), "environment"
    return Settings(values, sources)


def save_setting(data_dir: Path, name: str, raw: str) -> Value:
    """Validate and store one setting (atomically; the file is user-only)."""
    setting = setting_named(name)
    value = setting.parse(raw)
    path = data_dir / SETTINGS_FILE
    stored = _read_file(path)
    stored[name] = value
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as out:
        json.dump(stored, out, indent=2, sort_keys=True)
    tmp.replace(path)
    return value


def _read_file(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SettingsError(f"Cannot read {path}: {exc}; fix or delete it.") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path} is not a JSON object; fix or delete it.")
    unknown = sorted(set(data) - set(BY_NAME))
    if unknown:
        raise SettingsError(f"{path} has unknown setting(s): {', '.join(unknown)}.")
    return data
