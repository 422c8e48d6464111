"""The first-run dialog: who answers and writes the memories (only the choices
that can work on this machine now, each saying what it needs), the privacy
defaults (exclusions, redaction) shown and adjustable, and whether to start
capturing now (where the windows shown cannot be identified: why, and the choice
to capture anyway with the rules off).

Finish saves it all and, for a language model, checks it with one small call
before closing: a refused key or a server that does not answer is said there,
not later in the chat. The first run is marked done only once that passed (or
the user chose to keep the setting anyway)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from agents.capture.session import OPT_IN_SETTING
from agents.settings import Value
from mirix_app.gui import assets, settings_apply, theme
from mirix_app.gui.errors import describe
from mirix_app.gui.first_run_choices import (
    LLMChoice,
    LocalCheck,
    LocalServerChoice,
    llm_choices,
    local_model_here,
)
from mirix_app.gui.local_servers import LocalServersBox
from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import IconLabel, button, label
from mirix_app.gui.worker import Jobs


class ChoiceCard(QFrame):
    """One choice: its radio button, what it needs, and its fields when chosen."""

    def __init__(self, choice: LLMChoice) -> None:
        super().__init__()
        self.choice = choice
        self.setObjectName(f"choice_card_{choice.key}")
        theme.set_role(self, "choice")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE["m"], SPACE["s"], SPACE["m"], SPACE["s"])
        layout.setSpacing(SPACE["xs"])
        self.radio = QRadioButton(choice.title())
        self.radio.setObjectName(f"choice_{choice.key}")
        self.radio.setStyleSheet("font-weight: 600")
        self.needs = label(choice.needs(), "caption")
        self.needs.setContentsMargins(SPACE["xl"], 0, 0, 0)
        layout.addWidget(self.radio)
        layout.addWidget(self.needs)
        self.form = choice.form()
        if self.form is not None:
            layout.addWidget(self.form)
        self.radio.toggled.connect(self._chosen)
        self._chosen(False)

    def _chosen(self, on: bool) -> None:
        theme.set_flag(self, "selected", on)
        if self.form is not None:
            self.form.setVisible(on)

    def mousePressEvent(self, event: Any) -> None:
        self.radio.setChecked(True)
        super().mousePressEvent(event)


class FirstRunDialog(QDialog):
    finished_setup = Signal(dict)
    failed = Signal(str)
    checked = Signal(str)
    """The check of the chosen language model passed (its reply)."""

    def __init__(
        self,
        assistant: Any,
        *,
        desktop: Any = None,
        local_check: LocalCheck = local_model_here,
    ) -> None:
        super().__init__()
        self.assistant = assistant
        self.desktop = desktop
        self.jobs = Jobs(self)
        s = assistant.settings
        self.setObjectName("first_run")
        self.setWindowTitle(self.tr("Welcome to mirix-app"))
        self.resize(700, 780)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, SPACE["m"])
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(SPACE["xl"], SPACE["xl"], SPACE["xl"], SPACE["s"])
        layout.setSpacing(SPACE["l"])
        scroll.setWidget(page)
        outer.addWidget(scroll, 1)

        head = QHBoxLayout()
        head.setSpacing(SPACE["m"])
        logo = IconLabel(48)
        logo.set_icon(assets.app_icon())
        titles = QVBoxLayout()
        titles.setSpacing(SPACE["xs"])
        titles.addWidget(label(self.tr("Welcome to mirix-app"), "display"))
        titles.addWidget(
            label(
                self.tr(
                    "It remembers what you see on screen and what you say, and answers "
                    "questions about it. Everything stays in a folder on this computer."
                ),
                "muted",
            )
        )
        head.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(titles, 1)
        layout.addLayout(head)

        layout.addWidget(label(self.tr("Who answers and writes the memories"), "heading"))
        self.llm_choices, missing = llm_choices(
            model=s.text("llm_model"),
            api_base=s.text("llm_api_base"),
            local_check=local_check,
            assistant=assistant,
        )
        self.cards: dict[str, ChoiceCard] = {}
        group = QButtonGroup(self)
        for choice in self.llm_choices:
            card = ChoiceCard(choice)
            group.addButton(card.radio)
            self.cards[choice.key] = card
            layout.addWidget(card)
        self.not_offered = label(missing or "", "caption")
        self.not_offered.setObjectName("not_offered")
        self.not_offered.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.not_offered.setVisible(bool(missing))
        layout.addWidget(self.not_offered)
        self._preselect(s)
        self.servers.found.connect(self.on_servers_found)

        privacy = QGroupBox(self.tr("Privacy"))
        p = QFormLayout(privacy)
        p.setHorizontalSpacing(SPACE["m"])
        p.setVerticalSpacing(SPACE["s"])
        self.exclude_apps = QPlainTextEdit("\n".join(s.texts("capture_exclude_apps")))
        self.exclude_apps.setObjectName("exclude_apps")
        self.exclude_titles = QPlainTextEdit("\n".join(s.texts("capture_exclude_titles")))
        self.exclude_titles.setObjectName("exclude_titles")
        for edit in (self.exclude_apps, self.exclude_titles):
            edit.setFixedHeight(84)
        p.addRow(label(self.tr("Never capture these apps"), wrap=False), self.exclude_apps)
        p.addRow(label(self.tr("Nor windows titled"), wrap=False), self.exclude_titles)
        p.addRow(
            label(
                self.tr(
                    "Passwords, keys and personal details are redacted from screen text "
                    "before it goes to a provider. Vault secrets are encrypted on disk."
                ),
                "caption",
            )
        )
        self.redact_local = QCheckBox(self.tr("Redact also for the embedded model"))
        self.redact_local.setObjectName("redact_local")
        self.redact_local.setChecked(s.flag("redact_local"))
        p.addRow(self.redact_local)
        layout.addWidget(privacy)

        capture = QGroupBox(self.tr("Screen capture"))
        self.capture_options = QVBoxLayout(capture)
        """Capture choices, one a row (where a platform needs one more, it goes here)."""
        self.capture_now = QCheckBox(
            self.tr("Start capturing the screen now (pause any time from the tray)")
        )
        self.capture_now.setObjectName("capture_now")
        self.capture_now.setChecked(s.flag("capture_on_start"))
        self.capture_options.addWidget(self.capture_now)
        # Where the windows shown cannot be identified, capture waits for this choice.
        self.blocked: str | None = getattr(desktop, "capture_blocked", None)
        self.capture_anyway = QCheckBox(self.tr("Capture anyway, with the app and title rules off"))
        self.capture_anyway.setObjectName("capture_anyway")
        if self.blocked:
            why = label(self.blocked, "warning")
            why.setObjectName("capture_blocked")
            self.capture_options.addWidget(why)
            self.capture_options.addWidget(self.capture_anyway)
        layout.addWidget(capture)
        layout.addStretch(1)

        bottom = QHBoxLayout()
        bottom.setContentsMargins(SPACE["xl"], 0, SPACE["xl"], 0)
        bottom.setSpacing(SPACE["s"])
        self.message = label()
        self.message.setObjectName("message")
        self.keep_button = button(self.tr("Keep it anyway"), name="button_keep")
        self.keep_button.setToolTip(
            self.tr("Save this language model although the check failed; fix it later in Settings")
        )
        self.keep_button.clicked.connect(self._keep_anyway)
        self.keep_button.hide()
        self.finish_button = button(self.tr("Finish"), "save", role="primary", name="button_finish")
        self.finish_button.setDefault(True)
        self.finish_button.clicked.connect(self.finish)
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.keep_button)
        bottom.addWidget(self.finish_button)
        outer.addLayout(bottom)

    # -- the language model --------------------------------------------------------------

    def _preselect(self, settings: Any) -> None:
        if settings.text("llm_model"):
            key = "provider"
        elif "local" in self.cards and settings.flag("local_llm"):
            key = "local"
        else:
            key = "none"
        self.cards[key].radio.setChecked(True)

    def on_servers_found(self, models: int) -> None:
        """With nothing configured yet, a model found on this computer is the offer."""
        unset = not self.assistant.settings.text("llm_model")
        if models and unset and self.chosen.key in ("local", "none"):
            self.on_machine.setChecked(True)

    @property
    def chosen(self) -> LLMChoice:
        return next(c.choice for c in self.cards.values() if c.radio.isChecked())

    # Attributes the desktop's tests and the screenshot script reach for.
    @property
    def provider(self) -> QRadioButton:
        return self.cards["provider"].radio

    @property
    def model(self) -> Any:
        return self.cards["provider"].choice.model  # type: ignore[attr-defined]

    @property
    def on_machine(self) -> QRadioButton:
        return self.cards["local_server"].radio

    @property
    def local(self) -> QRadioButton:
        return self.cards["local"].radio

    @property
    def servers(self) -> LocalServersBox:
        choice = self.cards["local_server"].choice
        assert isinstance(choice, LocalServerChoice)
        return choice.servers

    def choices(self) -> dict[str, Value]:
        return {
            **self.chosen.values(),
            "capture_exclude_apps": _lines(self.exclude_apps),
            "capture_exclude_titles": _lines(self.exclude_titles),
            "redact_local": self.redact_local.isChecked(),
            "capture_on_start": self.capture_now.isChecked(),
            **({OPT_IN_SETTING: self.capture_anyway.isChecked()} if self.blocked else {}),
        }

    def finish(self) -> None:
        """Save the choices, then (for a language model) check it with one call."""
        choice = self.chosen
        problem = choice.problem()
        if problem:
            self._say(problem, "error")
            return
        choices, key, app = self.choices(), choice.api_key(), self.assistant
        self.finish_button.setEnabled(False)
        self.keep_button.hide()
        self._say(self.tr("Saving…"), "muted")
        self.jobs.submit(
            lambda _e: settings_apply.apply(app, choices, api_key=key),
            on_done=lambda _saved: self._check(choice, choices),
            on_error=self._on_failed,
        )

    def _check(self, choice: LLMChoice, choices: dict[str, Value]) -> None:
        if not choice.checked_by_call:
            self._mark_done(choices)
            return
        self._say(choice.checking(), "muted")
        app = self.assistant

        def passed(result: dict[str, Any]) -> None:
            self.checked.emit(str(result["reply"]))
            self._mark_done(choices)

        self.jobs.submit(lambda _e: app.llm_test(), on_done=passed, on_error=self._check_failed)

    def _keep_anyway(self) -> None:
        self.keep_button.hide()
        self._mark_done(self.choices())

    def _mark_done(self, choices: dict[str, Value]) -> None:
        app = self.assistant
        self.jobs.submit(
            lambda _e: settings_apply.apply(app, {"first_run_done": True}),
            on_done=lambda _saved: self._done({**choices, "first_run_done": True}),
            on_error=self._on_failed,
        )

    def _done(self, choices: dict[str, Value]) -> None:
        self.finished_setup.emit(choices)
        capture = getattr(self.desktop, "capture", None)
        if choices["capture_on_start"] and capture is not None and capture.state != "capturing":
            capture.toggle()
        elif capture is None and choices["capture_on_start"] and choices.get(OPT_IN_SETTING):
            self.desktop.make_capture(start=True)  # the choice is saved: capture may start
        self.accept()

    def _on_failed(self, exc: Exception) -> None:
        self.finish_button.setEnabled(True)
        message = describe(exc)
        self._say(message, "error")
        self.failed.emit(message)

    def _check_failed(self, exc: Exception) -> None:
        """Saved, but the model did not answer: say why; fix and Finish, or keep it."""
        self.finish_button.setEnabled(True)
        self.keep_button.show()
        message = self.tr("It did not answer: {0} Change it and press Finish again.").format(
            describe(exc)
        )
        self._say(message, "error")
        self.failed.emit(message)

    def _say(self, text: str, role: str) -> None:
        theme.set_role(self.message, role)
        self.message.setText(text)


def _lines(edit: QPlainTextEdit) -> tuple[str, ...]:
    return tuple(x.strip() for x in edit.toPlainText().splitlines() if x.strip())
