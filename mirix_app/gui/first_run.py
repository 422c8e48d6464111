"""The first-run dialog: embedded local model, a model server found on this
computer (see mirix_app.gui.local_servers) or a provider, the privacy
defaults (exclusions, redaction) shown and adjustable, and whether to start
capturing now (where the windows shown cannot be identified: why, and the choice
to capture anyway with the rules off). Finishing saves it all and marks the
first run done."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from agents.capture.session import OPT_IN_SETTING
from agents.settings import Value
from mirix_app.gui import settings_apply
from mirix_app.gui.errors import describe
from mirix_app.gui.local_servers import LocalServersBox
from mirix_app.gui.worker import Jobs


class FirstRunDialog(QDialog):
    finished_setup = Signal(dict)
    failed = Signal(str)

    def __init__(self, assistant: Any, *, desktop: Any = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.desktop = desktop
        self.jobs = Jobs(self)
        s = assistant.settings
        self.setObjectName("first_run")
        self.setWindowTitle("Welcome to mirix-app")
        self.resize(640, 800)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        intro = QLabel(
            "<h2>Welcome to mirix-app</h2>"
            "It remembers what you see on screen and what you say, and answers questions "
            "about it. Everything stays in a folder on this computer."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)

        brain = QGroupBox("Who writes the memories")
        b = QVBoxLayout(brain)
        self.local = QRadioButton("Embedded local model — private, no account, slower")
        self.local.setObjectName("choice_local")
        self.provider = QRadioButton("A provider (OpenAI, Gemini, Anthropic, Ollama, …)")
        self.provider.setObjectName("choice_provider")
        self.on_machine = QRadioButton(
            self.tr("A model server on this computer (Ollama, LM Studio, llama.cpp, vLLM)")
        )
        self.on_machine.setObjectName("choice_local_server")
        group = QButtonGroup(self)
        group.addButton(self.local)
        group.addButton(self.on_machine)
        group.addButton(self.provider)
        b.addWidget(self.local)
        b.addWidget(self.on_machine)
        self.servers = LocalServersBox(assistant)
        self.servers.found.connect(self.on_servers_found)
        self.on_machine.toggled.connect(self.servers.setEnabled)
        self.servers.setEnabled(False)
        b.addWidget(self.servers)
        b.addWidget(self.provider)
        self.provider_form = QWidget()
        pf = QFormLayout(self.provider_form)
        pf.setContentsMargins(24, 0, 0, 0)
        self.model = QLineEdit(s.text("llm_model"))
        self.model.setObjectName("model")
        self.model.setPlaceholderText("openai/gpt-4o-mini")
        self.api_base = QLineEdit(s.text("llm_api_base"))
        self.api_base.setPlaceholderText("only for Ollama or your own server")
        self.api_key = QLineEdit()
        self.api_key.setObjectName("api_key")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("kept in the OS keyring")
        pf.addRow("model", self.model)
        pf.addRow("API base", self.api_base)
        pf.addRow("API key", self.api_key)
        b.addWidget(self.provider_form)
        (self.provider if s.text("llm_model") else self.local).setChecked(True)
        self.provider.toggled.connect(self.provider_form.setEnabled)
        self.provider_form.setEnabled(self.provider.isChecked())
        layout.addWidget(brain)

        privacy = QGroupBox("Privacy")
        p = QFormLayout(privacy)
        self.exclude_apps = QPlainTextEdit("\n".join(s.texts("capture_exclude_apps")))
        self.exclude_apps.setObjectName("exclude_apps")
        self.exclude_titles = QPlainTextEdit("\n".join(s.texts("capture_exclude_titles")))
        self.exclude_titles.setObjectName("exclude_titles")
        for edit in (self.exclude_apps, self.exclude_titles):
            edit.setFixedHeight(88)
        p.addRow("never capture these apps", self.exclude_apps)
        p.addRow("nor windows titled", self.exclude_titles)
        note = QLabel(
            "Passwords, keys and personal details are redacted from screen text before it "
            "goes to a provider. Vault secrets are encrypted on disk."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color:#4b5563")
        p.addRow(note)
        self.redact_local = QCheckBox("Redact also for the embedded local model")
        self.redact_local.setObjectName("redact_local")
        self.redact_local.setChecked(s.flag("redact_local"))
        p.addRow(self.redact_local)
        layout.addWidget(privacy)

        self.capture_now = QCheckBox(
            "Start capturing the screen now (pause any time from the tray)"
        )
        self.capture_now.setObjectName("capture_now")
        self.capture_now.setChecked(s.flag("capture_on_start"))
        layout.addWidget(self.capture_now)
        # Where the windows shown cannot be identified, capture waits for this choice.
        self.blocked = getattr(desktop, "capture_blocked", None)
        self.capture_anyway = QCheckBox("Capture anyway, with the app and title rules off")
        self.capture_anyway.setObjectName("capture_anyway")
        if self.blocked:
            why = QLabel(self.blocked)
            why.setObjectName("capture_blocked")
            why.setWordWrap(True)
            why.setStyleSheet("color:#b45309")
            layout.addWidget(why)
            layout.addWidget(self.capture_anyway)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color:#b91c1c")
        layout.addWidget(self.message)
        layout.addStretch(1)
        box = QDialogButtonBox()
        self.finish_button = box.addButton("Finish", QDialogButtonBox.ButtonRole.AcceptRole)
        self.finish_button.setObjectName("button_finish")
        box.accepted.connect(self.finish)
        layout.addWidget(box)

    def on_servers_found(self, models: int) -> None:
        """With nothing configured yet, a model found on this computer is the offer."""
        if models and not self.assistant.settings.text("llm_model") and self.local.isChecked():
            self.on_machine.setChecked(True)

    def choices(self) -> dict[str, Value]:
        if self.on_machine.isChecked():
            # The embedded model stays the fallback should the server's model be unset.
            return {"local_llm": True, **self.servers.settings(), **self._common()}
        use_provider = self.provider.isChecked()
        return {
            "local_llm": not use_provider,
            "llm_model": self.model.text().strip() if use_provider else "",
            "llm_api_base": self.api_base.text().strip() if use_provider else "",
            **self._common(),
        }

    def _common(self) -> dict[str, Value]:
        return {
            "capture_exclude_apps": _lines(self.exclude_apps),
            "capture_exclude_titles": _lines(self.exclude_titles),
            "redact_local": self.redact_local.isChecked(),
            "capture_on_start": self.capture_now.isChecked(),
            "first_run_done": True,
            **({OPT_IN_SETTING: self.capture_anyway.isChecked()} if self.blocked else {}),
        }

    def finish(self) -> None:
        choices = self.choices()
        if self.provider.isChecked() and not choices["llm_model"]:
            self.message.setText("Name the provider's model, e.g. openai/gpt-4o-mini.")
            return
        if self.on_machine.isChecked() and "llm_model" not in choices:
            self.message.setText(
                self.tr("No model found on this computer: choose another way, or look again.")
            )
            return
        key = self.api_key.text().strip() if self.provider.isChecked() else ""
        app = self.assistant
        self.finish_button.setEnabled(False)
        self.jobs.submit(
            lambda _e: settings_apply.apply(app, choices, api_key=key or None),
            on_done=lambda _saved: self._done(choices),
            on_error=self._on_failed,
        )

    def _done(self, choices: dict[str, Value]) -> None:
        self.finished_setup.emit(choices)
        capture = getattr(self.desktop, "capture", None)
        if choices["capture_on_start"] and capture is not None and capture.state != "capturing":
            capture.toggle()
        elif choices["capture_on_start"] and choices.get(OPT_IN_SETTING):
            self.desktop.make_capture(start=True)  # the choice is saved: capture may start
        self.accept()

    def _on_failed(self, exc: Exception) -> None:
        self.finish_button.setEnabled(True)
        message = describe(exc)
        self.message.setText(message)
        self.failed.emit(message)


def _lines(edit: QPlainTextEdit) -> tuple[str, ...]:
    return tuple(x.strip() for x in edit.toPlainText().splitlines() if x.strip())
