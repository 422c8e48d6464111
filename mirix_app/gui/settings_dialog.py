"""The settings dialog, built from the one schema in agents.settings.SETTINGS: a
widget per setting chosen by the schema (a switch, a list, a number within its
bounds, one of its fixed choices, or text), its name in words and its help
under it. The API key goes to the OS keyring; "Test connection" saves the LLM
fields and calls Assistant.llm_test on a worker.

Nothing changes unless the user meant it: the mouse wheel scrolls the page and
only changes a number or a choice that has the keyboard focus, and closing the
dialog discards what was not saved."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agents.settings import SETTINGS, Setting, Value
from mirix_app.gui import settings_apply, theme
from mirix_app.gui.errors import describe
from mirix_app.gui.i18n import QT_TRANSLATE_NOOP
from mirix_app.gui.labels import choice_label, setting_help, setting_label
from mirix_app.gui.local_servers import LocalServersBox
from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import button, label
from mirix_app.gui.worker import Jobs

PAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        QT_TRANSLATE_NOOP("SettingsDialog", "Language model"),
        "chat",
        ("llm_", "local_llm", "local_server", "batch_", "vision_", "chat_", "embedder"),
    ),
    (
        QT_TRANSLATE_NOOP("SettingsDialog", "Capture && privacy"),
        "screenshot",
        ("capture_", "redact_", "screenshot_", "storage_", "clip_"),
    ),
    (
        QT_TRANSLATE_NOOP("SettingsDialog", "Desktop"),
        "settings",
        ("start_at_login", "theme", "language", "mcp_"),
    ),
)
HIDDEN = {"first_run_done"}
LLM_FIELDS = ("llm_model", "llm_api_base", "llm_api_key_env", "llm_timeout_s")
DESKTOP_PAGE = PAGES[-1][0]


def page_of(setting: Setting) -> str:
    for page, _icon, prefixes in PAGES:
        if setting.name.startswith(prefixes):
            return page
    return DESKTOP_PAGE


def _range(setting: Setting, smallest: float) -> tuple[float, float]:
    """A spin box's range: the setting's own bounds (a 0 must stay 0, not become the
    box's minimum), else ``smallest`` (a positive number) to a million."""
    low = smallest if setting.minimum is None else setting.minimum
    high = 1_000_000 if setting.maximum is None else setting.maximum
    return low, high


class _WheelOnlyWhenFocused:
    """A number or choice box ignores the mouse wheel unless it has the keyboard
    focus, so scrolling the page over it scrolls the page; and the wheel alone
    never gives it the focus (Qt's default for spin boxes)."""

    def _guard(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # type: ignore[attr-defined]

    def wheelEvent(self, event: QWheelEvent) -> None:
        if not self.hasFocus():  # type: ignore[attr-defined]
            event.ignore()  # the scroll area behind takes it
            return
        super().wheelEvent(event)  # type: ignore[misc]


class NumberBox(_WheelOnlyWhenFocused, QSpinBox):
    def __init__(self) -> None:
        super().__init__()
        self._guard()


class DecimalBox(_WheelOnlyWhenFocused, QDoubleSpinBox):
    def __init__(self) -> None:
        super().__init__()
        self._guard()


class ChoiceBox(_WheelOnlyWhenFocused, QComboBox):
    def __init__(self) -> None:
        super().__init__()
        self._guard()


class SettingField:
    """A setting's input widget, read back in the setting's own type."""

    def __init__(self, setting: Setting, value: Value) -> None:
        self.setting = setting
        self.original = value
        d = setting.default
        self.widget: QWidget
        if isinstance(d, bool):
            self.widget = QCheckBox()
        elif isinstance(d, tuple):
            edit = QPlainTextEdit()
            edit.setFixedHeight(92)
            edit.setPlaceholderText(QCoreApplication.translate("SettingsDialog", "one per line"))
            self.widget = edit
        elif setting.choices:
            box = ChoiceBox()
            for choice in setting.choices:
                box.addItem(choice_label(choice), choice)
            self.widget = box
        elif isinstance(d, int):
            spin = NumberBox()
            low, high = _range(setting, 1)
            spin.setRange(int(low), int(high))
            self.widget = spin
        elif isinstance(d, float):
            dspin = DecimalBox()
            dspin.setRange(*_range(setting, 0.01))
            dspin.setDecimals(2)
            self.widget = dspin
        else:
            self.widget = QLineEdit()
        self.widget.setObjectName(f"setting_{setting.name}")
        self.widget.setToolTip(setting_help(setting.help))
        self.show(value)

    def show(self, value: Value) -> None:
        """Put ``value`` in the widget (as loaded, or back after a discard)."""
        w = self.widget
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText("\n".join(value if isinstance(value, tuple) else ()))
        elif isinstance(w, QComboBox):
            index = w.findData(str(value))
            if index < 0:  # a value from before the choices were fixed: show it as it is
                w.addItem(str(value), str(value))
                index = w.count() - 1
            w.setCurrentIndex(index)
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))  # type: ignore[arg-type]
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(float(value))  # type: ignore[arg-type]
        else:
            assert isinstance(w, QLineEdit)
            w.setText(str(value))

    def value(self) -> Value:
        w = self.widget
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QPlainTextEdit):
            return tuple(x.strip() for x in w.toPlainText().splitlines() if x.strip())
        if isinstance(w, QComboBox):
            return str(w.currentData())
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        assert isinstance(w, QLineEdit)
        return w.text().strip()

    def set_value(self, raw: str) -> None:
        """Show ``raw`` (a value as ``config set`` takes it), checked by the setting."""
        value = self.setting.parse(raw)
        w = self.widget
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText("\n".join(value if isinstance(value, tuple) else ()))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))  # type: ignore[arg-type]
        elif isinstance(w, QDoubleSpinBox):
            w.setValue(float(value))  # type: ignore[arg-type]
        elif isinstance(w, QLineEdit):
            w.setText(str(value))

    def changed(self) -> bool:
        return self.value() != self.original

    def discard(self) -> None:
        self.show(self.original)

    def connect_changed(self, slot: Any) -> None:
        w = self.widget
        signal = (
            w.toggled
            if isinstance(w, QCheckBox)
            else w.textChanged
            if isinstance(w, (QPlainTextEdit, QLineEdit))
            else w.currentIndexChanged
            if isinstance(w, QComboBox)
            else w.valueChanged  # type: ignore[attr-defined]
        )
        signal.connect(lambda *_a: slot())


class SettingsDialog(QDialog):
    saved = Signal(list)
    tested = Signal(str)
    failed = Signal(str)
    use_shown = Signal(str)
    discarded = Signal(int)
    """How many unsaved edits closing the dialog threw away."""

    def __init__(self, assistant: Any, *, desktop: Any = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.desktop = desktop
        self.jobs = Jobs(self)
        self.fields: dict[str, SettingField] = {}
        self.setObjectName("settings_dialog")
        self.setWindowTitle(self.tr("Settings — mirix-app"))
        self.resize(760, 680)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE["l"], SPACE["l"], SPACE["l"], SPACE["m"])
        layout.setSpacing(SPACE["m"])
        self.tabs = QTabWidget()
        forms: dict[str, QFormLayout] = {}
        for page, icon, _prefixes in PAGES:
            host = QWidget()
            form = QFormLayout(host)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            form.setContentsMargins(SPACE["s"], SPACE["l"], SPACE["l"], SPACE["l"])
            form.setHorizontalSpacing(SPACE["l"])
            form.setVerticalSpacing(SPACE["xs"])
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(host)
            title = QCoreApplication.translate("SettingsDialog", page)
            self.tabs.addTab(scroll, theme.icon(icon), title)
            forms[page] = form
        rows = {r["name"]: r for r in assistant.config()}
        for setting in SETTINGS:
            if setting.name in HIDDEN:
                continue
            row = rows[setting.name]
            field = SettingField(setting, row["value"])
            field.connect_changed(self._show_pending)
            self.fields[setting.name] = field
            form = forms[page_of(setting)]
            if row["source"] == "environment":
                field.widget.setEnabled(False)
            name = label(setting_label(setting.name), wrap=False)
            name.setBuddy(field.widget)
            form.addRow(name, field.widget)
            note = setting_help(setting.help)
            if row["source"] == "environment":
                note += " " + self.tr("(Set by {0}; change it there.)").format(setting.env_var)
            caption = label(note, "caption")
            caption.setContentsMargins(0, 0, 0, SPACE["m"])
            form.addRow("", caption)
            if setting.name == "llm_api_key_env":
                self._add_key_row(form)
            if setting.name == "storage_budget_gb":
                self.use_label = label(self.tr("Measuring…"), "muted")
                self.use_label.setObjectName("data_use")
                form.addRow(label(self.tr("In use now"), wrap=False), self.use_label)
        self._add_local_servers(forms[PAGES[0][0]])
        self._add_data_folder(forms[DESKTOP_PAGE])
        layout.addWidget(self.tabs, 1)
        self.message = label()
        self.message.setObjectName("message")
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.pending = label("", "caption", wrap=False)
        self.pending.setObjectName("pending")
        close = button(self.tr("Close"), name="button_close", slot=self.reject)
        close.setToolTip(self.tr("Close; changes not saved are discarded"))
        self.save_button = button(self.tr("Save"), "save", role="primary", name="button_save")
        self.save_button.clicked.connect(self.save)
        self.save_button.setDefault(True)
        row.addWidget(self.pending, 1)
        row.addWidget(close)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self._show_pending()
        self.jobs.submit(
            lambda _e: settings_apply.data_use(assistant),
            on_done=self._show_use,
            on_error=self._on_failed,
        )

    def _add_key_row(self, form: QFormLayout) -> None:
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(SPACE["s"])
        self.api_key = QLineEdit()
        self.api_key.setObjectName("api_key")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(self.tr("stored in the OS keyring; leave empty to keep"))
        self.api_key.textChanged.connect(self._show_pending)
        self.test_button = button(self.tr("Test connection"), "plug", name="button_test")
        self.test_button.clicked.connect(self.test_connection)
        row.addWidget(self.api_key, 1)
        row.addWidget(self.test_button)
        form.addRow(label(self.tr("API key"), wrap=False), host)
        form.addRow(
            "",
            label(
                self.tr(
                    "Saved to the OS keyring for the provider of the model above; never to "
                    "the settings file. Test connection saves the fields above and makes one "
                    "small call."
                ),
                "caption",
            ),
        )

    def _add_local_servers(self, form: QFormLayout) -> None:
        """Model servers found on this computer; "Use this model" fills in the LLM
        fields (Save or Test connection stores them)."""
        self.servers = LocalServersBox(self.assistant)
        use = button(self.tr("Use this model"), "plug", name="button_use_local")
        use.clicked.connect(self.use_local_model)

        def offer(models: int) -> None:
            use.setEnabled(models > 0)
            use.setVisible(models > 0)

        self.servers.found.connect(offer)
        offer(0)
        self.servers.add_action(use)
        form.insertRow(0, self.servers)

    def use_local_model(self) -> None:
        for name, value in self.servers.settings().items():
            if name in self.fields and self.fields[name].widget.isEnabled():
                self.fields[name].set_value(value)

    def _add_data_folder(self, form: QFormLayout) -> None:
        folder = str(self.assistant.storage.data_dir)
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        path = QLineEdit(folder)
        path.setReadOnly(True)
        path.setObjectName("data_folder")
        open_button = button(self.tr("Open"), "folder")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(folder)))
        row.addWidget(path, 1)
        row.addWidget(open_button)
        form.addRow(label(self.tr("Data folder"), wrap=False), host)
        form.addRow(
            "",
            label(
                self.tr(
                    "Chosen when the app starts: mirix-app --data-dir FOLDER, or the "
                    "MIRIX_APP_HOME environment variable."
                ),
                "caption",
            ),
        )

    def _show_use(self, use: dict[str, Any]) -> None:
        text = self.tr(
            "screenshots {0:,.2f} GB of {1:,.0f} GB; database {2:,.1f} MB; {3:,.1f} MB in all"
        ).format(
            use["image_bytes"] / 2**30,
            use["budget_bytes"] / 2**30,
            use["database_bytes"] / 1e6,
            use["total_bytes"] / 1e6,
        )
        self.use_label.setText(text)
        self.use_shown.emit(text)

    # -- unsaved edits -----------------------------------------------------------------

    def unsaved(self) -> int:
        key = 1 if self.api_key.text().strip() else 0
        return len(self.changes()) + key

    def _show_pending(self) -> None:
        n = self.unsaved()
        if n == 0:
            self.pending.setText("")
        else:
            self.pending.setText(
                self.tr("%n unsaved change", "", n)
                if n == 1
                else self.tr("%n unsaved changes", "", n)
            )

    def discard(self) -> int:
        """Put every field back to its saved value; how many edits that dropped."""
        dropped = self.unsaved()
        for field in self.fields.values():
            field.discard()
        self.api_key.clear()
        self.message.clear()
        self._show_pending()
        return dropped

    def reject(self) -> None:
        """Close (the button, Esc, the window's own close): unsaved edits are dropped."""
        self.discarded.emit(self.discard())
        super().reject()

    # -- saving ------------------------------------------------------------------------

    def changes(self, names: tuple[str, ...] | None = None) -> dict[str, Value]:
        return {
            n: f.value()
            for n, f in self.fields.items()
            if f.changed() and f.widget.isEnabled() and (names is None or n in names)
        }

    def _key(self) -> str | None:
        key = self.api_key.text().strip()
        return key or None

    def save(self) -> None:
        changes, key, app = self.changes(), self._key(), self.assistant
        self._say(self.tr("Saving…"), "muted")
        self.jobs.submit(
            lambda _e: settings_apply.apply(app, changes, api_key=key),
            on_done=self._on_saved,
            on_error=self._on_failed,
        )

    def _on_saved(self, saved: list[str]) -> None:
        for name in saved:
            if name in self.fields:
                self.fields[name].original = self.fields[name].value()
        self.api_key.clear()
        said = self.tr("Saved.") if saved else self.tr("Nothing changed.")
        if "language" in saved:
            said = self.tr("Saved. The new language shows when mirix-app starts again.")
        self._say(said, "success")
        self._show_pending()
        if "theme" in saved and self.desktop is not None:
            self.desktop.apply_theme()
        self.saved.emit(saved)

    def test_connection(self) -> None:
        changes, key, app = self.changes(LLM_FIELDS), self._key(), self.assistant
        self._say(self.tr("Testing the connection…"), "muted")
        self.test_button.setEnabled(False)

        def test(_e: Any) -> dict[str, Any]:
            settings_apply.apply(app, changes, api_key=key)
            result: dict[str, Any] = app.llm_test()
            return result

        self.jobs.submit(test, on_done=self._on_tested, on_error=self._on_failed)

    def _on_tested(self, result: dict[str, Any]) -> None:
        self.test_button.setEnabled(True)
        for name in LLM_FIELDS:
            self.fields[name].original = self.fields[name].value()
        self.api_key.clear()
        text = self.tr("{0} answered “{1}” in {2:.2f} s.").format(
            result["model"], result["reply"], result["seconds"]
        )
        self._say(text, "success")
        self._show_pending()
        self.tested.emit(text)

    def _on_failed(self, exc: Exception) -> None:
        self.test_button.setEnabled(True)
        message = describe(exc)
        self._say(message, "error")
        self.failed.emit(message)

    def _say(self, text: str, role: str) -> None:
        theme.set_role(self.message, role)
        self.message.setText(text)
