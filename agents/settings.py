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
from agents.llm import LLMSettings, LocalModelCheck, check_local_model

SETTINGS_FILE = "settings.json"
Value = str | float | int | bool | tuple[str, ...]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(AgentError):
    """A setting name or value that cannot be used."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Value
    help: str
    choices: tuple[str, ...] = ()  # for a text setting: the only values accepted
    minimum: float | None = None
    """For a number: the smallest value accepted (None: any positive number)."""
    maximum: float | None = None
    """For a number: the largest value accepted (None: no limit)."""

    @property
    def env_var(self) -> str:
        return f"MIRIX_APP_{self.name.upper()}"

    def parse(self, raw: object) -> Value:
        """Check ``raw`` (a string from the command line, or JSON) against the default's
        type: text, a number (positive, or within ``minimum`` and ``maximum``), a switch
        (true/false, on/off, yes/no, 1/0) or a list of texts (a JSON list, or one string
        of comma-separated items)."""
        if isinstance(self.default, bool):
            return self._parse_bool(raw)
        if isinstance(self.default, tuple):
            return self._parse_list(raw)
        kind = type(self.default)
        if kind is str:
            if not isinstance(raw, str):
                raise SettingsError(f"{self.name} must be text, got {raw!r}.")
            if self.choices and raw.strip() not in self.choices:
                raise SettingsError(
                    f"{self.name} must be one of {', '.join(self.choices)}, got {raw!r}."
                )
            return raw.strip()
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise SettingsError(f"{self.name} must be a number, got {raw!r}.")
        try:
            value: float | int = int(raw) if kind is int else float(raw)
        except ValueError:
            raise SettingsError(f"{self.name} must be a number, got {raw!r}.") from None
        return self._check_range(value, raw)

    def _check_range(self, value: float | int, raw: object) -> float | int:
        if self.minimum is None and value <= 0:
            raise SettingsError(f"{self.name} must be positive, got {raw!r}.")
        if self.minimum is not None and value < self.minimum:
            raise SettingsError(f"{self.name} must be at least {self.minimum:g}, got {raw!r}.")
        if self.maximum is not None and value > self.maximum:
            raise SettingsError(f"{self.name} must be at most {self.maximum:g}, got {raw!r}.")
        return value

    def _parse_bool(self, raw: object) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise SettingsError(f"{self.name} must be true or false, got {raw!r}.")

    def _parse_list(self, raw: object) -> tuple[str, ...]:
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("["):
                try:
                    raw = json.loads(text)
                except ValueError:
                    raise SettingsError(
                        f"{self.name}: {raw!r} is not a JSON list of texts."
                    ) from None
            else:
                return tuple(item.strip() for item in text.split(",") if item.strip())
        if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
            return tuple(item.strip() for item in raw if item.strip())
        raise SettingsError(f"{self.name} must be a list of texts, got {raw!r}.")


SETTINGS: tuple[Setting, ...] = (
    # -- LLM and memory agents ---------------------------------------------------------
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
    Setting(
        "batch_minutes",
        10.0,
        "A batch that has waited this many minutes goes to the memory agents even when "
        "it holds fewer than batch_items observations.",
    ),
    Setting(
        "local_llm",
        True,
        "With no llm_model configured, use the embedded SmolLM2-135M model (the [local] "
        "extra) when it is installed; off: the rule-based floor writes the memories.",
    ),
    Setting(
        "vision_key_frames",
        0,
        "Key frames of each screen batch sent as images with the meta-agent's call, only "
        "to a provider whose model litellm lists as vision-capable (never to the embedded "
        "model); the memory agents get text only. 0: off, no image leaves the machine. "
        "Images cannot be redacted like text: only the lines OCR read and redaction "
        "recognised (keys, passwords, e-mails, cards, phone numbers) are blacked out; "
        "anything else on the screen goes to the provider as it is.",
        minimum=0,
        maximum=4,
    ),
    Setting(
        "llm_images",
        "auto",
        "Whether the provider's model takes images (for vision_key_frames): auto asks "
        "litellm's bundled model list; yes for a vision model it does not list (say "
        "gemini/gemini-2.0-flash, ollama/llava, or one behind an OpenAI-compatible "
        "server); no never sends images. The embedded model never gets images.",
        choices=("auto", "yes", "no"),
    ),
    Setting(
        "chat_topic",
        "auto",
        "How the chat finds the topic to search memories for: keywords (the message's "
        "own words, no LLM call), llm (one short LLM call per message), or auto "
        "(keywords, and the call only for a short follow-up that refers back).",
        choices=("auto", "keywords", "llm"),
    ),
    Setting(
        "chat_memories_per_type",
        3,
        "Memories of each type (and raw messages, and screenshots) put into the chat prompt.",
    ),
    Setting(
        "embedder_backend",
        "auto",
        "How the text embedder (all-MiniLM-L6-v2) runs: numpy (float32, no torch in the "
        "process: about 480 MB less memory), torch (sentence-transformers, bfloat16 where "
        "the CPU has it: 2.3-3x faster in bulk, for large imports), or auto (numpy).",
        choices=("auto", "numpy", "torch"),
    ),
    # -- capture and screenshots -------------------------------------------------------
    Setting("capture_interval_s", 2.0, "Seconds between screen grabs while the screen changes."),
    Setting(
        "capture_max_interval_s",
        30.0,
        "Longest interval the capture backs off to while the screen is static or the "
        "user is idle; it returns to capture_interval_s at the first change.",
    ),
    Setting(
        "capture_keyframe_s",
        300.0,
        "A frame is kept at least this often even when it looks like the previous one.",
    ),
    Setting(
        "capture_monitors",
        (),
        "Monitors to capture, by number (1 is the first); empty: all monitors.",
    ),
    Setting(
        "capture_exclude_apps",
        (
            "keepassxc",
            "keepass",
            "1password",
            "bitwarden",
            "lastpass",
            "dashlane",
            "enpass",
            "proton pass",
            "seahorse",
            "kwalletmanager",
        ),
        "Applications never captured (case-insensitive names of the active application).",
    ),
    Setting(
        "capture_exclude_titles",
        (
            "private browsing",
            "incognito",
            "inprivate",
            "private window",
        ),
        "Window titles never captured: case-insensitive regular expressions searched "
        "in the active window's title.",
    ),
    Setting(
        "redact_local",
        False,
        "Redact secrets and personal data from screen text also for the embedded local "
        "LLM (text sent to a provider is always redacted).",
    ),
    Setting("screenshot_quality", 80, "WebP quality (1-100) of stored screenshots."),
    Setting(
        "storage_budget_gb",
        10.0,
        "Disk space for screenshot image files; past it the oldest images are deleted "
        "(their text, embeddings and memories stay).",
    ),
    Setting(
        "clip_checkpoint",
        "",
        "Path of an open_clip checkpoint for text-to-image screenshot search; empty: "
        "image search is unavailable and search uses the screen text.",
    ),
    Setting("clip_model", "ViT-B-32", "The open_clip architecture of clip_checkpoint."),
    # -- desktop app --------------------------------------------------------------------
    Setting(
        "capture_on_start",
        True,
        "Start capturing the screen when the desktop app starts (pause it from the tray).",
    ),
    Setting(
        "start_at_login",
        False,
        "Start the desktop app when you log in (writes an XDG autostart entry on Linux).",
    ),
    Setting(
        "theme",
        "system",
        "The desktop app's colours: system (light or dark as the desktop is set, "
        "following its changes), light or dark.",
        choices=("system", "light", "dark"),
    ),
    Setting(
        "first_run_done",
        False,
        "Set when the first-run dialog has been completed; false opens it at the next start.",
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

    # Typed readers, so callers need no casts (each raises KeyError for an unknown name).
    def text(self, name: str) -> str:
        return str(self.values[name])

    def number(self, name: str) -> float:
        value = self.values[name]
        assert isinstance(value, (int, float)) and not isinstance(value, bool), name
        return float(value)

    def integer(self, name: str) -> int:
        return int(self.number(name))

    def flag(self, name: str) -> bool:
        value = self.values[name]
        assert isinstance(value, bool), name
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        value = self.values[name]
        assert isinstance(value, tuple), name
        return value

    def llm(self) -> LLMSettings | None:
        """The configured provider's settings; with none, the embedded model's when it
        can run here (see :meth:`local_llm`); None: the rule-based floor."""
        model = self.text("llm_model")
        if not model:
            return self.local_llm().settings
        return LLMSettings(
            model=model,
            api_base=str(self.values["llm_api_base"]) or None,
            api_key_env=str(self.values["llm_api_key_env"]) or None,
            timeout_s=self.number("llm_timeout_s"),
        )

    def local_llm(self) -> LocalModelCheck:
        """Whether the embedded model can run (installed and ``local_llm`` on), and why."""
        return check_local_model(
            enabled=self.flag("local_llm"), timeout_s=self.number("llm_timeout_s")
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
