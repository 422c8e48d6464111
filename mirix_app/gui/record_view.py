"""The detail panel of the memory browser: one record's fields as a form, edit
(validated by the facade, whose errors are shown), delete with undo, history,
and provenance links. Vault secrets stay masked until revealed; revealing a
high-sensitivity one asks first."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from storage import HistoryEntry, Record, kind_named

LONG_FIELDS = {"summary", "details", "content", "text", "ocr_text", "steps", "caption"}
MASK = "••••••••••••"


class FieldEditor:
    """One field's input widget and how its value is read back."""

    def __init__(self, name: str, kind: str, choices: tuple[str, ...], value: Any) -> None:
        self.name, self.kind = name, kind
        self.original = value
        self.widget: QWidget
        if kind == "choice":
            box = QComboBox()
            box.addItems(["", *choices] if "" not in choices else list(choices))
            box.setCurrentText("" if value is None else str(value))
            self.widget = box
        elif kind == "list" or name in LONG_FIELDS:
            edit = QPlainTextEdit()
            text = "\n".join(value or []) if kind == "list" else str(value or "")
            edit.setPlainText(text)
            edit.setFixedHeight(180 if name == "text" else 64 if kind == "list" else 88)
            self.widget = edit
        else:
            line = QLineEdit("" if value is None else str(value))
            self.widget = line
        self.widget.setObjectName(f"field_{name}")

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QComboBox):
            return w.currentText() or None
        text = w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()  # type: ignore[attr-defined]
        if self.kind == "list":
            return [line.strip() for line in text.splitlines() if line.strip()]
        if self.kind == "int":
            text = text.strip()
            try:
                return int(text) if text else None
            except ValueError:
                return text  # the facade names the field and the problem
        return text

    def changed(self) -> bool:
        current, original = self.value(), self.original
        if self.kind == "list":
            return bool(current != list(original or []))
        return bool((current or None) != (original or None))

    def set_read_only(self, read_only: bool) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            w.setEnabled(not read_only)
        else:
            w.setReadOnly(read_only)  # type: ignore[attr-defined]


class RecordView(QWidget):
    """Shows one record. Signals carry what the user asked for; the browser runs it."""

    save_requested = Signal(str, dict)
    delete_requested = Signal(str)
    history_requested = Signal(str)
    source_opened = Signal(str, str)
    """(kind, id) of a provenance link the user clicked."""

    def __init__(self) -> None:
        super().__init__()
        self.record: Record | None = None
        self.editors: dict[str, FieldEditor] = {}
        self._secret: str | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 4, 4, 4)
        self.title = QLabel("Select an item to see it here.")
        self.title.setObjectName("record_title")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 13pt; font-weight: 600")
        self.meta = QLabel()
        self.meta.setStyleSheet("color: #6b7280")
        outer.addWidget(self.title)
        outer.addWidget(self.meta)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll, 1)
        self.sources = QLabel()
        self.sources.setObjectName("sources")
        self.sources.setWordWrap(True)
        self.sources.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.sources.linkActivated.connect(self._on_link)
        outer.addWidget(self.sources)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b91c1c")
        outer.addWidget(self.error)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save changes")
        self.delete_button = QPushButton("Delete")
        self.history_button = QPushButton("History")
        for b, name in (
            (self.save_button, "save"),
            (self.delete_button, "delete"),
            (self.history_button, "history"),
        ):
            b.setObjectName(f"button_{name}")
            buttons.addWidget(b)
        buttons.addStretch(1)
        outer.addLayout(buttons)
        self.save_button.clicked.connect(self._on_save)
        self.delete_button.clicked.connect(
            lambda: self.record and self.delete_requested.emit(self.record.id)
        )
        self.history_button.clicked.connect(
            lambda: self.record and self.history_requested.emit(self.record.id)
        )
        self.show_record(None)

    # -- showing -----------------------------------------------------------------------

    def show_record(self, record: Record | None) -> None:
        self.record = record
        self.error.clear()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        self._secret = None
        editable = record is not None and kind_named(record.type).is_memory
        for b in (self.save_button, self.history_button):
            b.setVisible(editable)
        # A memory is deleted softly (Undo); a message or screenshot is forgotten for good.
        self.delete_button.setVisible(record is not None and not kind_named(record.type).fixed)
        self.delete_button.setText("Delete" if editable else "Delete for good…")
        if record is None:
            self.title.setText("Select an item to see it here.")
            self.meta.clear()
            self.sources.clear()
            return
        kind = kind_named(record.type)
        self.title.setText(self._headline(record))
        state = f"deleted {record.deleted_at[:16]}" if record.deleted_at else "live"
        self.meta.setText(
            f"{record.type} · {record.id} · version {record.version} · {state} · "
            f"updated {record.updated_at[:16].replace('T', ' ')}"
        )
        for f in kind.fields:
            if f.name in ("image_path", "thumb_path", "phash", "embedding"):
                continue
            value = record.fields.get(f.name)
            editor = FieldEditor(f.name, f.kind, f.choices, value)
            editor.set_read_only(not editable or f.name in kind.fixed_fields)
            self.editors[f.name] = editor
            label = f.name.replace("_", " ")
            if f.name in kind.secret_fields:
                self.form.addRow(label, self._secret_row(editor, value))
            else:
                self.form.addRow(label, editor.widget)
        self.sources.setText(self._sources_html(record))

    @staticmethod
    def _headline(record: Record) -> str:
        f = record.fields
        for name in ("caption", "title", "name", "summary", "label", "text", "window_title"):
            if f.get(name):
                text = str(f[name]).split("\n")[0]
                return text if len(text) < 90 else text[:89] + "…"
        return record.id

    def _sources_html(self, record: Record) -> str:
        links = []
        for s in record.sources:
            if s.id == record.id:
                continue
            label = s.external_id or s.id
            links.append(f"<a href='{s.kind}:{s.id}'>{s.kind} {label}</a>")
        if kind_named(record.type).name == "screenshot" and record.fields.get("image_path"):
            links.append(f"<a href='image:{record.fields['image_path']}'>open the image</a>")
        return ("Came from: " + ", ".join(links)) if links else ""

    def _on_link(self, href: str) -> None:
        kind, _, target = href.partition(":")
        self.source_opened.emit(kind, target)

    # -- vault secrets -----------------------------------------------------------------

    def _secret_row(self, editor: FieldEditor, value: Any) -> QWidget:
        host = QWidget()
        row = QHBoxLayout(host)
        row.setContentsMargins(0, 0, 0, 0)
        line = editor.widget
        assert isinstance(line, QLineEdit)
        self._secret = None if value is None else str(value)
        line.setEchoMode(QLineEdit.EchoMode.Password)
        reveal = QPushButton("Reveal")
        reveal.setObjectName("button_reveal")
        reveal.setCheckable(True)
        reveal.toggled.connect(lambda on: self._reveal(line, reveal, on))
        row.addWidget(line, 1)
        row.addWidget(reveal)
        return host

    def _reveal(self, line: QLineEdit, button: QPushButton, on: bool) -> None:
        record = self.record
        if on and record is not None and kind_named(record.type).withholds(record.fields):
            answer = QMessageBox.question(
                self,
                "Reveal a high-sensitivity secret?",
                "This secret is marked high sensitivity. Show it on screen?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                button.blockSignals(True)
                button.setChecked(False)
                button.blockSignals(False)
                return
        line.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        button.setText("Hide" if on else "Reveal")

    def secret_visible(self) -> bool:
        editor = self.editors.get("secret_value")
        widget = editor.widget if editor is not None else None
        return isinstance(widget, QLineEdit) and widget.echoMode() == QLineEdit.EchoMode.Normal

    # -- editing -----------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        return {n: e.value() for n, e in self.editors.items() if e.changed()}

    def _on_save(self) -> None:
        if self.record is None:
            return
        changes = self.changes()
        if not changes:
            self.show_error("Nothing changed.")
            return
        self.save_requested.emit(self.record.id, changes)

    def show_error(self, message: str) -> None:
        self.error.setText(message)


class HistoryDialog(QDialog):
    """Every previous version of a memory, oldest first, then the current one."""

    def __init__(self, current: Record, entries: list[HistoryEntry], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("history_dialog")
        self.setWindowTitle(f"History of {current.id}")
        self.resize(720, 420)
        layout = QVBoxLayout(self)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Version", "When", "Then", "Content"])
        self.tree.setRootIsDecorated(False)
        secret = set(kind_named(current.type).secret_fields)
        for e in entries:
            data = {k: (MASK if k in secret and v else v) for k, v in e.data.items()}
            self.tree.addTopLevelItem(
                QTreeWidgetItem(
                    [
                        f"v{e.version}",
                        e.changed_at[:19].replace("T", " "),
                        e.change,
                        json.dumps(data, ensure_ascii=False),
                    ]
                )
            )
        now = {k: (MASK if k in secret and v else v) for k, v in current.fields.items()}
        self.tree.addTopLevelItem(
            QTreeWidgetItem(
                [
                    f"v{current.version}",
                    current.updated_at[:19].replace("T", " "),
                    "current",
                    json.dumps(now, ensure_ascii=False),
                ]
            )
        )
        for col, width in enumerate((70, 150, 80)):
            self.tree.setColumnWidth(col, width)
        layout.addWidget(self.tree)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
