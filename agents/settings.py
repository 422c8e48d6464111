"""Settings are data: one list of (name, default, help) that the code, the
``config`` command, the README (and later the settings dialog) all read.

Values live in ``DATA_DIR/settings.json``; an environment variable
``MIRIX_APP_<NAME>`` (upper case) overrides a stored value. API keys are never
settings: ``llm_api_key_env`` names the environment variable that holds one,
and otherwise the key is looked up in the OS keyring.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from agents.chat.topic import TOPIC_MODES
from agents.database_url import check_database_url, keep_password
from agents.errors import AgentError
from agents.llm import LLMSettings, LocalModelCheck, check_local_model
from agents.privacy import redact
from agents.privacy.redact import looks_random
from storage.errors import InvalidInputError
from storage.inputs import parse_json

log = logging.getLogger(__name__)

EMBEDDERS = ("minilm+use+e5", "minilm+use", "minilm", "use")
"""The text embedders the ``embedder`` setting names (agents.embeddings.text_embedder)."""

SETTINGS_FILE = "settings.json"
Value = str | float | int | bool | tuple[str, ...]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(AgentError):
    """A setting name or value that cannot be used."""


Check = Callable[[Value], str | None]
"""A setting's own rule beyond its type: the problem with a parsed value, or None."""


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
    check: Check | None = None
    """A rule of this setting's own (a valid pattern, a variable name, ...)."""
    private: bool = False
    """An error never quotes the value (a key pasted in the wrong place)."""
    keep_secret: Callable[[Path, str], str] | None = None
    """Takes a secret out of a value being saved (a password in a database URL), keeps
    it elsewhere (the OS keyring) and returns what ``settings.json`` may hold."""

    @property
    def env_var(self) -> str:
        return f"MIRIX_APP_{self.name.upper()}"

    def parse(self, raw: object) -> Value:
        """Check ``raw`` (a string from the command line, or JSON) against the schema:
        the default's type (text, a number positive or within ``minimum`` and
        ``maximum``, a switch: true/false, on/off, yes/no, 1/0, or a list of texts: a
        JSON list or comma-separated items), the ``choices`` and the setting's own
        ``check``."""
        value = self._parse_type(raw)
        problem = self.check(value) if self.check is not None else None
        if problem is not None:
            raise SettingsError(f"{self.name}: {problem}")
        return value

    def _got(self, raw: object) -> str:
        return "" if self.private else f", got {raw!r}"

    def _parse_type(self, raw: object) -> Value:
        if isinstance(self.default, bool):
            return self._parse_bool(raw)
        if isinstance(self.default, tuple):
            return self._parse_list(raw)
        kind = type(self.default)
        if kind is str:
            if not isinstance(raw, str):
                raise SettingsError(f"{self.name} must be text{self._got(raw)}.")
            if self.choices and raw.strip() not in self.choices:
                raise SettingsError(
                    f"{self.name} must be one of {', '.join(self.choices)}{self._got(raw)}."
                )
            return raw.strip()
        what = "a whole number" if kind is int else "a number"
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise SettingsError(f"{self.name} must be {what}{self._got(raw)}.")
        try:
            value: float | int = int(raw) if kind is int else float(raw)
        except (ValueError, OverflowError):
            raise SettingsError(f"{self.name} must be {what}{self._got(raw)}.") from None
        if isinstance(value, float) and not math.isfinite(value):  # nan, inf
            raise SettingsError(f"{self.name} must be a finite number{self._got(raw)}.")
        if abs(value) > MAX_NUMBER:
            raise SettingsError(f"{self.name} is too large a number: {str(raw)[:40]!r}.")
        return self._check_range(value, raw)

    def _check_range(self, value: float | int, raw: object) -> float | int:
        got = self._got(raw)
        if self.minimum is None and value <= 0:
            raise SettingsError(f"{self.name} must be positive{got}.")
        if self.minimum is not None and value < self.minimum:
            raise SettingsError(f"{self.name} must be at least {self.minimum:g}{got}.")
        if self.maximum is not None and value > self.maximum:
            raise SettingsError(f"{self.name} must be at most {self.maximum:g}{got}.")
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
                    raw = parse_json(text)
                except InvalidInputError:
                    raise SettingsError(
                        f"{self.name}: {raw!r} is not a JSON list of texts."
                    ) from None
            else:
                return tuple(item.strip() for item in text.split(",") if item.strip())
        if isinstance(raw, (list, tuple)) and all(isinstance(item, str) for item in raw):
            return tuple(item.strip() for item in raw if item.strip())
        raise SettingsError(f"{self.name} must be a list of texts, got {raw!r}.")


MAX_NUMBER = 2**53
"""Past this no number setting means anything (nor does every use take it: a
database LIMIT, a time span)."""


KEYRING_HINT = (
    "keep the key in the OS keyring (the Settings window stores it there; or: "
    "python -m keyring set mirix-app PROVIDER), or in an environment variable named by "
    "llm_api_key_env"
)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _variable_name(value: Value) -> str | None:
    text = str(value)
    if not text:
        return None
    if redact(text).total or looks_random(text):
        return (
            "that looks like an API key, not the name of an environment variable; "
            f"keys never go into settings.json: {KEYRING_HINT}."
        )
    if not _VARIABLE.fullmatch(text):
        return (
            "must be the name of an environment variable (letters, digits and _), "
            "like OPENAI_API_KEY."
        )
    return None


def _base_url(value: Value) -> str | None:
    text = str(value)
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL, like http://localhost:11434."
    if parts.username is not None or parts.password is not None:
        return f"must not hold credentials (user:password@ in the URL): {KEYRING_HINT}."
    rest = f"{parts.path} {parts.query}".replace("&", " ").replace("=", ": ")
    if redact(rest).total:
        return f"must not hold a key or token: {KEYRING_HINT}."
    return None


def _patterns(value: Value) -> str | None:
    for pattern in value if isinstance(value, tuple) else ():
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"{pattern!r} is not a valid regular expression ({exc})."
    return None


def _monitor_numbers(value: Value) -> str | None:
    for item in value if isinstance(value, tuple) else ():
        # ASCII digits only ('²' is a digit to isdigit, not to int), and few of them
        # (int() refuses a string of thousands of digits with an exception of its own).
        if not (item.isascii() and item.isdigit()) or len(item) > 3 or int(item) < 1:
            return f"{item[:20]!r} is not a monitor number (1 is the first monitor)."
    return None


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
        "OpenAI-compatible server (http://host:port/v1); empty for the provider's default. "
        "Never with a key or user:password in it (keys go to the OS keyring).",
        check=_base_url,
        private=True,
    ),
    Setting(
        "llm_api_key_env",
        "",
        "Name of the environment variable holding the API key (e.g. OPENAI_API_KEY). "
        "Empty: the key is read from the OS keyring (service mirix-app, entry = provider). "
        "The variable's name, never the key itself.",
        check=_variable_name,
        private=True,
    ),
    Setting(
        "llm_timeout_s",
        60.0,
        "Seconds to wait for one LLM reply before retrying.",
        maximum=3600,
    ),
    Setting(
        "batch_items",
        20,
        "Observations per batch for the memory agents: with an LLM configured, imported "
        "messages are queued in batches of this many, absorbed by 'mirix-app absorb'.",
        minimum=1,
        maximum=500,
    ),
    Setting(
        "batch_minutes",
        10.0,
        "A batch that has waited this many minutes goes to the memory agents even when "
        "it holds fewer than batch_items observations.",
        maximum=7 * 24 * 60,
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
        choices=TOPIC_MODES,
    ),
    Setting(
        "chat_memories_per_type",
        3,
        "Memories of each type (and raw messages, and screenshots) put into the chat prompt.",
        minimum=1,
        maximum=50,
    ),
    Setting(
        "embedder",
        "minilm+use+e5",
        "The text embedding model for meaning search: minilm+use+e5 (their similarities "
        "fused: English read by MiniLM, Chinese, Japanese and Korean by multilingual-e5, "
        "USE multilingual beside both and across languages), minilm+use (without e5: "
        "CJK read by USE alone, cheaper), minilm (all-MiniLM-L6-v2, English only) or "
        "use (USE multilingual v3 alone). After a change, run mirix-app reindex.",
        choices=EMBEDDERS,
    ),
    Setting(
        "embedder_backend",
        "auto",
        "How all-MiniLM-L6-v2 runs: numpy (float32, no torch in the "
        "process: about 480 MB less memory), torch (sentence-transformers, bfloat16 where "
        "the CPU has it: 2.3-3x faster in bulk, for large imports), or auto (numpy).",
        choices=("auto", "numpy", "torch"),
    ),
    Setting(
        "local_server_ports",
        ("11434", "1234", "8080", "8000"),
        "Ports on this computer (127.0.0.1 only) where the first run, Settings and "
        "'mirix-app llm list' look for a model server: Ollama (11434), LM Studio (1234), a "
        "llama.cpp server (8080) or vLLM (8000), through Ollama's own model list or the "
        "OpenAI-compatible /v1/models.",
    ),
    # -- capture and screenshots -------------------------------------------------------
    Setting(
        "capture_interval_s",
        2.0,
        "Seconds between screen grabs while the screen changes.",
        minimum=0.1,
        maximum=3600,
    ),
    Setting(
        "capture_max_interval_s",
        30.0,
        "Longest interval the capture backs off to while the screen is static or the "
        "user is idle; it returns to capture_interval_s at the first change.",
        minimum=0.1,
        maximum=24 * 3600,
    ),
    Setting(
        "capture_keyframe_s",
        300.0,
        "A frame is kept at least this often even when it looks like the previous one.",
        minimum=1,
    ),
    Setting(
        "capture_monitors",
        (),
        "Monitors to capture, by number (1 is the first); empty: all monitors.",
        check=_monitor_numbers,
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
        "Applications never captured (case-insensitive names, WM_CLASS): while one is the "
        "active window nothing is grabbed; a visible one that is not active is blacked out "
        "of the frame.",
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
        "in a window's title.",
        check=_patterns,
    ),
    Setting(
        "redact_provider",
        True,
        "Redact secrets and personal data (API keys, tokens, passwords, card numbers, "
        "e-mail addresses, phone numbers) from every text sent to an LLM provider: chat, "
        "imported messages, screen text and memories; what is stored stays as it was.",
    ),
    Setting(
        "capture_without_window_rules",
        False,
        "Capture also where mirix-app cannot tell which window is shown (GNOME or KDE on "
        "Wayland without a supported window interface, macOS, Windows): the app and title "
        "rules cannot apply there, so capture waits for this explicit choice; screen text "
        "is still redacted.",
    ),
    Setting(
        "redact_local",
        False,
        "Redact the same also from what the embedded local model reads (it runs in this "
        "process: nothing leaves the machine).",
    ),
    Setting(
        "screenshot_quality",
        80,
        "WebP quality (1-100) of stored screenshots.",
        minimum=1,
        maximum=100,
    ),
    Setting(
        "storage_budget_gb",
        10.0,
        "Disk space for screenshot image files; past it the oldest images are deleted "
        "(their text, embeddings and memories stay).",
    ),
    Setting(
        "database_url",
        "",
        "Where the memory lives: empty for the SQLite database in the data folder, or a "
        "PostgreSQL server with pgvector that several devices share, as "
        "postgresql://USER@HOST:5432/DATABASE (a socket: ?host=/run/postgresql). A password "
        "in the URL goes to the OS keyring (or DATA_DIR/pgpass, 0600, where there is none), "
        "never into settings.json. See 'Sharing one memory between devices'.",
        check=check_database_url,
        private=True,
        keep_secret=keep_password,
    ),
    Setting(
        "clip_checkpoint",
        "",
        "Path of an open_clip checkpoint for text-to-image screenshot search; empty: "
        "image search is unavailable and search uses the screen text.",
    ),
    Setting("clip_model", "ViT-B-32", "The open_clip architecture of clip_checkpoint."),
    # -- other AI tools (the MCP server) -------------------------------------------------
    Setting(
        "mcp_read_only",
        False,
        "The MCP server (mirix-app mcp) offers other AI tools only its reading tools: no "
        "tool may add, edit or delete a memory (as with mirix-app mcp --read-only).",
    ),
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
        "language",
        "system",
        "The desktop app's language: system (Simplified Chinese where the system's "
        "language is, English otherwise), en or zh_CN; used from the next start.",
        choices=("system", "en", "zh_CN"),
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


class SettingsSource(Protocol):
    """Where a long-running part reads its settings: :class:`LiveSettings` (follows
    changes), or a fixed :class:`Settings` snapshot."""

    def current(self) -> Settings: ...


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

    def current(self) -> Settings:
        """A fixed snapshot is its own current value (see :class:`LiveSettings`)."""
        return self

    def llm(self) -> LLMSettings | None:
        """The configured provider's settings; with none, the embedded model's when it
        can run here (see :meth:`local_llm`); None: the rule-based floor. Either way
        ``redact`` says whether the texts sent to it are redacted."""
        model = self.text("llm_model")
        if not model:
            local = self.local_llm().settings
            return replace(local, redact=self.flag("redact_local")) if local else None
        return LLMSettings(
            model=model,
            api_base=str(self.values["llm_api_base"]) or None,
            api_key_env=str(self.values["llm_api_key_env"]) or None,
            timeout_s=self.number("llm_timeout_s"),
            redact=self.flag("redact_provider"),
        )

    def local_llm(self) -> LocalModelCheck:
        """Whether the embedded model can run (installed and ``local_llm`` on), and why."""
        return check_local_model(
            enabled=self.flag("local_llm"), timeout_s=self.number("llm_timeout_s")
        )


def load_settings(data_dir: Path) -> Settings:
    """The settings: defaults, then ``settings.json``, then ``MIRIX_APP_<NAME>``.

    A stored value the schema refuses (written by an older version, or by hand) is
    not used: the setting keeps its default and its source says why, so every
    command, ``config set`` included, still runs. A refused environment value is
    an error (only unsetting it helps)."""
    stored = _read_file(data_dir / SETTINGS_FILE)
    values: dict[str, Value] = {}
    sources: dict[str, str] = {}
    for s in SETTINGS:
        values[s.name], sources[s.name] = s.default, "default"
        if s.name in stored:
            try:
                values[s.name], sources[s.name] = s.parse(stored[s.name]), "file"
            except SettingsError as exc:
                sources[s.name] = f"default: the stored value was refused ({exc})"
                log.warning("%s is not used: %s", s.name, exc)
        if s.env_var in os.environ:
            values[s.name], sources[s.name] = s.parse(os.environ[s.env_var]), "environment"
    return Settings(values, sources)


class LiveSettings:
    """The one settings object of a running process: :meth:`current` is read where a
    value is used and follows ``settings.json`` as it changes, whether this process
    wrote it (:meth:`set`) or another one did (``mirix-app config set`` while the
    desktop app or ``capture run`` runs). A look costs one ``stat`` of the file."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / SETTINGS_FILE
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._current = load_settings(data_dir)
        self._listeners: list[Callable[[Settings], None]] = []

    def current(self) -> Settings:
        stamp = self._file_stamp()
        with self._lock:
            if stamp == self._stamp:
                return self._current
            try:
                fresh = load_settings(self.data_dir)
            except SettingsError as exc:  # a half-edited file: keep what worked
                log.warning("%s; the settings in use stay as they were", exc)
                self._stamp = stamp
                return self._current
            self._stamp, self._current = stamp, fresh
            listeners = list(self._listeners)
        for listener in listeners:
            listener(fresh)
        return fresh

    def set(self, name: str, raw: str) -> Value:
        """Validate and store one setting; it is in use from the next look."""
        value = save_setting(self.data_dir, name, raw)
        self.current()
        return value

    def subscribe(self, listener: Callable[[Settings], None]) -> None:
        """Call ``listener`` with the new settings whenever a change is seen."""
        with self._lock:
            self._listeners.append(listener)

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)


def save_setting(data_dir: Path, name: str, raw: str) -> Value:
    """Validate and store one setting (atomically; the file is user-only)."""
    setting = setting_named(name)
    value = setting.parse(raw)
    if setting.keep_secret is not None:
        value = setting.keep_secret(data_dir, str(value))
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
        data = parse_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, InvalidInputError) as exc:
        raise SettingsError(f"Cannot read {path}: {exc}; fix or delete it.") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path} is not a JSON object; fix or delete it.")
    unknown = sorted(set(data) - set(BY_NAME))
    if unknown:
        raise SettingsError(f"{path} has unknown setting(s): {', '.join(unknown)}.")
    return data
