"""The first run's choices of who answers and writes the memories: each says what
it needs, whether it can work on this machine now, the settings it saves, and
whether Finish must check it with one real call before closing.

The first-run dialog shows the choices of :func:`llm_choices` in order: a
provider, a model server found running on this computer, the embedded model
(where it is installed), or none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from agents.llm import LocalModelCheck, check_local_model
from agents.settings import Value
from mirix_app.gui.i18n import translate
from mirix_app.gui.local_servers import LocalServersBox
from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import label

LocalCheck = Callable[[], LocalModelCheck]


class LLMChoice:
    """One way to get a language model (or none)."""

    key = ""
    checked_by_call = False
    """Finish makes one small call (Assistant.llm_test) and closes only if it answers."""

    def title(self) -> str:
        raise NotImplementedError

    def needs(self) -> str:
        """What it takes, in a sentence the user reads before choosing."""
        raise NotImplementedError

    def form(self) -> QWidget | None:
        """Fields to fill in when chosen (shown under it), if any."""
        return None

    def problem(self) -> str | None:
        """Why it cannot be saved as filled in (checked before anything is saved)."""
        return None

    def values(self) -> dict[str, Value]:
        """The settings it saves."""
        raise NotImplementedError

    def api_key(self) -> str | None:
        return None

    def checking(self) -> str:
        """What the dialog says while the call is made."""
        return translate("FirstRun", "Checking…")


class ProviderChoice(LLMChoice):
    key = "provider"
    checked_by_call = True

    def __init__(self, model: str = "", api_base: str = "") -> None:
        self._form = QWidget()
        form = QFormLayout(self._form)
        form.setContentsMargins(SPACE["xl"], SPACE["xs"], 0, SPACE["xs"])
        form.setHorizontalSpacing(SPACE["m"])
        self.model = QLineEdit(model)
        self.model.setObjectName("model")
        self.model.setPlaceholderText("openai/gpt-4o-mini")
        self.api_base = QLineEdit(api_base)
        self.api_base.setObjectName("api_base")
        self.api_base.setPlaceholderText(
            translate("FirstRun", "only for Ollama or your own server")
        )
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("api_key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(translate("FirstRun", "kept in the OS keyring"))
        form.addRow(label(translate("FirstRun", "Model"), "muted", wrap=False), self.model)
        form.addRow(
            label(translate("FirstRun", "Server address"), "muted", wrap=False), self.api_base
        )
        form.addRow(label(translate("FirstRun", "API key"), "muted", wrap=False), self.key_edit)

    def title(self) -> str:
        return translate(
            "FirstRun",
            "A provider: OpenAI, Gemini, Anthropic, Ollama or any OpenAI-compatible server",
        )

    def needs(self) -> str:
        return translate(
            "FirstRun",
            "Needs the model's name (provider/model) and an API key, or the address of "
            "a server on your network. Screen text is redacted before it is sent.",
        )

    def form(self) -> QWidget:
        return self._form

    def problem(self) -> str | None:
        if not self.model.text().strip():
            return translate("FirstRun", "Name the provider's model, e.g. openai/gpt-4o-mini.")
        if "/" not in self.model.text().strip():
            return translate(
                "FirstRun", "Write the model as provider/model, e.g. openai/gpt-4o-mini."
            )
        return None

    def values(self) -> dict[str, Value]:
        return {
            "llm_model": self.model.text().strip(),
            "llm_api_base": self.api_base.text().strip(),
        }

    def api_key(self) -> str | None:
        return self.key_edit.text().strip() or None

    def checking(self) -> str:
        return translate("FirstRun", "Asking {0} for a one-word reply…").format(
            self.model.text().strip()
        )


class LocalServerChoice(LLMChoice):
    """A model of a server running on this computer (Ollama, LM Studio, llama.cpp,
    vLLM), found by :class:`LocalServersBox` when the dialog opens."""

    key = "local_server"
    checked_by_call = True

    def __init__(self, assistant: Any) -> None:
        self.servers = LocalServersBox(assistant)

    def title(self) -> str:
        return translate(
            "FirstRun", "A model server on this computer (Ollama, LM Studio, llama.cpp, vLLM)"
        )

    def needs(self) -> str:
        return translate(
            "FirstRun",
            "Needs the server running with a model loaded; nothing leaves this computer. "
            "The embedded model, where installed, stays the fallback.",
        )

    def form(self) -> QWidget:
        return self.servers

    def problem(self) -> str | None:
        if "llm_model" not in self.servers.settings():
            return translate(
                "FirstRun", "No model found on this computer: choose another way, or look again."
            )
        return None

    def values(self) -> dict[str, Value]:
        # The embedded model stays the fallback should the server's model be unset.
        return {"local_llm": True, **self.servers.settings()}

    def checking(self) -> str:
        model = self.servers.settings().get("llm_model", "")
        return translate("FirstRun", "Asking {0} for a one-word reply…").format(model)


class LocalChoice(LLMChoice):
    key = "local"
    checked_by_call = True

    def title(self) -> str:
        return translate("FirstRun", "The embedded model (SmolLM2, runs on this computer)")

    def needs(self) -> str:
        return translate(
            "FirstRun",
            "Installed here: needs no account and no network. A small model: its "
            "memories are few and plain, its answers often off the point.",
        )

    def values(self) -> dict[str, Value]:
        return {"llm_model": "", "llm_api_base": "", "local_llm": True}

    def checking(self) -> str:
        return translate("FirstRun", "Loading the embedded model for a one-word reply…")


class NoModelChoice(LLMChoice):
    key = "none"

    def title(self) -> str:
        return translate("FirstRun", "No language model for now")

    def needs(self) -> str:
        return translate(
            "FirstRun",
            "Needs nothing. Memories are made by simple rules (one per message) and chat "
            "lists what it finds instead of answering. Choose a provider later in Settings.",
        )

    def values(self) -> dict[str, Value]:
        return {"llm_model": "", "llm_api_base": "", "local_llm": False}


def local_model_here() -> LocalModelCheck:
    """Whether the embedded model could run here (installed), whatever local_llm says."""
    return check_local_model(enabled=True)


def llm_choices(
    *,
    model: str = "",
    api_base: str = "",
    local_check: LocalCheck = local_model_here,
    assistant: Any = None,
) -> tuple[list[LLMChoice], str | None]:
    """The choices that can work now, and why the embedded model is not one of them
    (None when it is). With an ``assistant``, the model servers running on this
    computer are one choice (looked for at once)."""
    local = local_check()
    choices: list[LLMChoice] = [ProviderChoice(model, api_base)]
    if assistant is not None:
        choices.append(LocalServerChoice(assistant))
    if local.settings is not None:
        choices.append(LocalChoice())
    choices.append(NoModelChoice())
    missing = None
    if local.settings is None:
        missing = translate(
            "FirstRun",
            "The embedded model is not offered: {0}. Install it and start mirix-app again "
            "to choose it.",
        ).format(local.reason)
    return choices, missing
