"""The settings dialog, built from the one schema in agents.settings.SETTINGS:
a widget per setting chosen by its default's type, its help as the tooltip and
caption. The API key goes to the OS keyring; "Test connection" saves the LLM
fields and calls Assistant.llm_test on a worker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agents.settings import SETTINGS, Setting, Value
from mirix_app.gui import settings_apply
from mirix_app.gui.errors import describe
from mirix_app.gui.local_servers import LocalServersBox
from mirix_app.gui.worker import Jobs

PAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Language model", ("llm_", "local_llm", "local_server", "batch_", "vision_")),
    ("Capture && privacy", ("capture_", "redact_", "screenshot_", "storage_", "clip_")),
    ("Desktop", ("start_at_login",)),
)
HIDDEN = {"first_run_done"}
LLM_FIELDS = ("llm_model", "llm_api_base", "llm_api_key_env", "llm_timeout_s")


def page_of(setting: Setting) -> str:
    for page, prefixes in PAGES:
        if setting.name.startswith(prefixes):
            return page
    return "Desktop"


def _range(setting: Setting, smallest: float) -> tuple[float, float]:
    """A spin box's range: the setting's own bounds (a 0 must stay 0, not become the
    box's minimum), else ``smallest`` (a positive number) to a million."""
    low = smallest if setting.minimum is None else setting.minimum
    high = 1_000_000 if setting.maximum is None else setting.maximum
    return low, high


class SettingField:
    """A setting's input widget, read back in the setting's own type."""

    def __init__(self, setting: Setting, value: Value) -> None:
        self.setting = setting
        self.original = value
        d = setting.default
        self.widget: QWidget
        if isinstance(d, bool):
            box = QCheckBox()
            box.setChecked(bool(value))
            self.widget = box
        elif isinstance(d, tuple):
            edit = QPlainTextEdit("\n".join(value if isinstance(value, tuple) else ()))
            edit.setFixedHeight(84)
            edit.setPlaceholderText("one per line")
            self.widget = edit
        elif isinstance(d, int):
            spin = QSpinBox()
            low, high = _range(setting, 1)
            spin.setRange(int(low), int(high))
            spin.setValue(int(value))  # type: ignore[arg-type]
            self.widget = spin
        elif isinstance(d, float):
            dspin = QDoubleSpinBox()
            dspin.setRange(*_range(setting, 0.01))
            dspin.setDecimals(2)
            dspin.setValue(float(value))  # type: ignore[arg-type]
            self.widget = dspin
        else:
            self.widget = QLineEdit(str(value))
        self.widget.setObjectName(f"setting_{setting.name}")
        self.widget.setToolTip(setting.help)

    def value(self) -> Value:
        w = self.widget
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QPlainTextEdit):
            return tuple(x.strip() for x in w.toPlainText().splitlines() if x.strip())
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


class SettingsDialog(QDialog):
    saved = Signal(list)
    tested = Signal(str)
    failed = Signal(str)
    use_shown = Signal(str)

    def __init__(self, assistant: Any, *, desktop: Any = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.desktop = desktop
        self.jobs = Jobs(self)
        self.fields: dict[str, SettingField] = {}
        self.setObjectName("settings_dialog")
        self.setWindowTitle("Settings — mirix-app")
        self.resize(720, 640)
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget()
        forms: dict[str, QFormLayout] = {}
        for page, _prefixes in PAGES:
            host = QWidget()
            form = QFormLayout(host)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setVerticalSpacing(4)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(host)
            self.tabs.addTab(scroll, page)
            forms[page] = form
        rows = {r["name"]: r for r in assistant.config()}
        for setting in SETTINGS:
            if setting.name in HIDDEN:
                continue
            row = rows[setting.name]
            field = SettingField(setting, row["value"])
            self.fields[setting.name] = field
            form = forms[page_of(setting)]
            if row["source"] == "environment":
                field.widget.setEnabled(False)
            label = setting.name.replace("_", " ")
            form.addRow(label, field.widget)
            note = setting.help
            if row["source"] == "environment":
                note += f" (Set by {setting.env_var}; change it there.)"
            caption = QLabel(note)
            caption.setWordWrap(True)
            caption.setStyleSheet("color:#6b7280; font-size:8.5pt; margin-bottom:6px")
            form.addRow("", caption)
            if setting.name == "llm_api_key_env":
                self._add_key_row(form)
            if setting.name == "storage_budget_gb":
                self.use_label = QLabel("Measuring…")
                self.use_label.setObjectName("data_use")
                form.addRow("in use now", self.use_label)
        self._add_local_servers(forms["Language model"])
        self._add_data_folder(forms["Desktop"])
        layout.addWidget(self.tabs, 1)
        self.message = QLabel()
        self.message.setObjectName("message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        box.accepted.connect(self.save)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        self.jobs.submit(
            lambda _e: settings_apply.data_use(assistant),
            on_done=self._show_use,
            on_error=self._on_failed,
        )

    def _add_key_row(self, form: QFormLayout) -> None:
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        self.api_key = QLineEdit()
        self.api_key.setObjectName("api_key")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("stored in the OS keyring; leave empty to keep")
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("button_test")
        self.test_button.clicked.connect(self.test_connection)
        row.addWidget(self.api_key, 1)
        row.addWidget(self.test_button)
        form.addRow("API key", host)

    def _add_local_servers(self, form: QFormLayout) -> None:
        """Model servers found on this computer; "Use this model" fills in the LLM
        fields (Save or Test connection stores them)."""
        self.servers = LocalServersBox(self.assistant)
        use = QPushButton(self.tr("Use this model"))
        use.setObjectName("button_use_local")
        use.clicked.connect(self.use_local_model)
        self.servers.found.connect(lambda n: use.setEnabled(n > 0))
        use.setEnabled(False)
        form.insertRow(0, self.servers)
        form.insertRow(1, "", use)

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
        open_button = QPushButton("Open")
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(folder)))
        row.addWidget(path, 1)
        row.addWidget(open_button)
        form.addRow("data folder", host)
        note = QLabel("Chosen with --data-dir or MIRIX_APP_HOME when the app starts.")
        note.setStyleSheet("color:#6b7280; font-size:8.5pt")
        form.addRow("", note)

    def _show_use(self, use: dict[str, Any]) -> None:
        text = (
            f"screenshots {use['image_bytes'] / 2**30:,.2f} GB of "
            f"{use['budget_bytes'] / 2**30:,.0f} GB; "
            f"database {use['database_bytes'] / 1e6:,.1f} MB; "
            f"{use['total_bytes'] / 1e6:,.1f} MB in all"
        )
        self.use_label.setText(text)
        self.use_shown.emit(text)

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
        self.message.setText("Saving…")
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
        self.message.setStyleSheet("color:#15803d")
        self.message.setText("Saved." if saved else "Nothing changed.")
        self.saved.emit(saved)

    def test_connection(self) -> None:
        changes, key, app = self.changes(LLM_FIELDS), self._key(), self.assistant
        self.message.setStyleSheet("")
        self.message.setText("Testing the connection…")
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
        text = f"{result['model']} answered “{result['reply']}” in {result['seconds']:.2f} s."
        self.message.setStyleSheet("color:#15803d")
        self.message.setText(text)
        self.tested.emit(text)

    def _on_failed(self, exc: Exception) -> None:
        self.test_button.setEnabled(True)
        message = describe(exc)
        self.message.setStyleSheet("color:#b91c1c")
        self.message.setText(message)
        self.failed.emit(message)
