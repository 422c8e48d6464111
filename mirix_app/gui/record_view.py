"""The detail pane of the memory browser: one record's fields as a form, edit
(validated by the facade, whose errors are shown), a new memory of a type,
delete with undo, history, and provenance links. Vault secrets stay masked
until revealed; revealing a high-sensitivity one asks first.

The pane says what happened to the record it shows ("Saved: version 3",
"Deleted", "Restored") and keeps saying it until another record is shown, so a
message always belongs to the memory on screen."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mirix_app.gui import theme
from mirix_app.gui.i18n import QT_TRANSLATE_NOOP
from mirix_app.gui.labels import field_label, kind_label
from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import EmptyState, IconLabel, button, label, shorten
from storage import HistoryEntry, Record, kind_named

CHANGES = {
    "update": QT_TRANSLATE_NOOP("HistoryDialog", "edited"),
    "delete": QT_TRANSLATE_NOOP("HistoryDialog", "deleted"),
    "restore": QT_TRANSLATE_NOOP("HistoryDialog", "restored"),
}
"""What ended a version, in words (the history table's change names)."""
LONG_FIELDS = {"summary", "details", "content", "text", "ocr_text", "steps", "caption"}
HIDDEN_FIELDS = {"image_path", "thumb_path", "phash", "embedding"}
MASK = "••••••••••••"


class GrowingText(QPlainTextEdit):
    """A text box as tall as its text, between ``lines`` and ``most`` lines: no
    fixed block of empty space under a one-line caption."""

    def __init__(self, text: str, *, lines: int = 2, most: int = 12) -> None:
        super().__init__()
        self._lines, self._most = lines, most
        self.setPlainText(text)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.textChanged.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        line = self.fontMetrics().lineSpacing()
        count = max(self._lines, min(self._most, self.document().lineCount() + 1))
        margins = self.contentsMargins()
        self.setFixedHeight(count * line + margins.top() + margins.bottom() + 14)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()


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
            text = "\n".join(value or []) if kind == "list" else str(value or "")
            edit = GrowingText(text, lines=3 if name in ("text", "ocr_text") else 2)
            if kind == "list":
                edit.setPlaceholderText(QCoreApplication.translate("RecordView", "one per line"))
            self.widget = edit
        else:
            self.widget = QLineEdit("" if value is None else str(value))
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
    """Shows one record, or a new one being written. Signals carry what the user
    asked for; the browser runs it and reports back with :meth:`show_message`."""

    save_requested = Signal(str, dict)
    add_requested = Signal(str, dict)
    """(type, fields) of a new memory."""
    delete_requested = Signal(str)
    restore_requested = Signal(str)
    history_requested = Signal(str)
    source_opened = Signal(str, str)
    """(kind, id) of a provenance link the user clicked."""

    def __init__(self) -> None:
        super().__init__()
        self.record: Record | None = None
        self.new_type: str | None = None
        """The type of the new memory being written (no record yet)."""
        self.editors: dict[str, FieldEditor] = {}
        self._secret: str | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.empty = EmptyState("memories")
        self.empty.show_text(
            self.tr("Nothing selected"), self.tr("Choose an item on the left to see it here.")
        )
        outer.addWidget(self.empty, 1)
        self.body = QFrame()
        theme.set_role(self.body, "panel")
        outer.addWidget(self.body, 1)
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(SPACE["l"], SPACE["l"], SPACE["l"], SPACE["m"])
        layout.setSpacing(SPACE["s"])

        head = QHBoxLayout()
        head.setSpacing(SPACE["s"])
        self.kind_icon = IconLabel(22)
        self.kind_name = label("", "caption", wrap=False)
        head.addWidget(self.kind_icon)
        head.addWidget(self.kind_name)
        head.addStretch(1)
        layout.addLayout(head)
        self.title = label("", "title")
        self.title.setObjectName("record_title")
        self.meta = label("", "caption")
        self.meta.setObjectName("record_meta")
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        self.message = label()
        self.message.setObjectName("message")
        self.message.hide()
        layout.addWidget(self.message)
        # Kept for callers that read the error line (the message is it, in red).
        self.error = self.message

        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, SPACE["s"], SPACE["s"], 0)
        self.form.setHorizontalSpacing(SPACE["m"])
        self.form.setVerticalSpacing(SPACE["s"])
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout.addWidget(scroll, 1)
        self.sources = label()
        self.sources.setObjectName("sources")
        self.sources.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.sources.linkActivated.connect(self._on_link)
        layout.addWidget(self.sources)

        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(SPACE["s"])
        self.history_button = button(self.tr("History"), "history", name="button_history")
        self.delete_button = button(
            self.tr("Delete"), "delete", role="danger", name="button_delete"
        )
        self.restore_button = button(self.tr("Undo delete"), "undo", name="button_restore")
        self.save_button = button(self.tr("Save"), "save", role="primary", name="button_save")
        for b in (self.history_button, self.delete_button, self.restore_button):
            self.buttons.addWidget(b)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.save_button)
        layout.addLayout(self.buttons)
        self.save_button.clicked.connect(self._on_save)
        self.delete_button.clicked.connect(
            lambda: self.record and self.delete_requested.emit(self.record.id)
        )
        self.restore_button.clicked.connect(
            lambda: self.record and self.restore_requested.emit(self.record.id)
        )
        self.history_button.clicked.connect(
            lambda: self.record and self.history_requested.emit(self.record.id)
        )
        self.show_record(None)

    # -- showing -----------------------------------------------------------------------

    def show_empty(self, title: str, hint: str, icon: str = "memories") -> None:
        """No record: say why (nothing selected, an empty list)."""
        self.show_record(None)
        self.empty.set_icon(icon)
        self.empty.show_text(title, hint)

    def show_record(self, record: Record | None, *, message: str = "", kind: str = "") -> None:
        """Show ``record`` (None: the empty state) with an optional message about it."""
        self.record = record
        self.new_type = None
        self._clear_form()
        if record is None:
            self.body.hide()
            self.empty.show()
            self.empty.set_icon("memories")
            self.empty.show_text(
                self.tr("Nothing selected"), self.tr("Choose an item on the left to see it here.")
            )
            return
        self.empty.hide()
        self.body.show()
        kind_info = kind_named(record.type)
        editable = kind_info.is_memory and not record.deleted
        self.history_button.setVisible(kind_info.is_memory)
        self.save_button.setVisible(kind_info.is_memory)
        self.save_button.setEnabled(editable)
        self.save_button.setText(self.tr("Save"))
        can_delete = kind_info.is_memory and not kind_info.fixed
        # A memory is deleted softly (Undo); a message or screenshot is forgotten for good.
        self.delete_button.setVisible(
            (can_delete or not kind_info.is_memory) and not record.deleted
        )
        self.delete_button.setText(
            self.tr("Delete") if kind_info.is_memory else self.tr("Delete for good…")
        )
        self.restore_button.setVisible(can_delete and record.deleted)
        self._header(record.type)
        self.title.setText(self._headline(record))
        when = record.updated_at[:16].replace("T", " ")
        meta = [record.id, self.tr("version {0}").format(record.version)]
        meta.append(
            self.tr("deleted {0}").format(record.deleted_at[:16].replace("T", " "))
            if record.deleted_at
            else self.tr("updated {0}").format(when)
        )
        self.meta.setText(" · ".join(meta))
        for f in kind_info.fields:
            if f.name in HIDDEN_FIELDS:
                continue
            value = record.fields.get(f.name)
            if not kind_info.is_memory and value in (None, ""):
                continue  # a raw source shows what it has
            editor = FieldEditor(f.name, f.kind, f.choices, value)
            editor.set_read_only(not editable or f.name in kind_info.fixed_fields)
            self._add_editor(editor, secret=f.name in kind_info.secret_fields, value=value)
        self.sources.setText(self._sources_html(record))
        self.sources.setVisible(bool(self.sources.text()))
        self.show_message(message, kind or "success")

    def show_new(self, type_name: str) -> None:
        """An empty form for a new memory of ``type_name``; Save adds it."""
        self.show_record(None)
        self.empty.hide()
        self.body.show()
        self.new_type = type_name
        kind_info = kind_named(type_name)
        self._header(type_name)
        self.title.setText(self.tr("New {0}").format(kind_label(type_name).lower()))
        self.meta.setText(self.tr("Fields marked * are required."))
        for f in kind_info.fields:
            if f.name in HIDDEN_FIELDS:
                continue
            editor = FieldEditor(f.name, f.kind, f.choices, None)
            self._add_editor(editor, secret=f.name in kind_info.secret_fields, value=None)
            if f.required:
                host = self.form.labelForField(self._row_widget(f.name))
                if isinstance(host, QLabel):
                    host.setText(host.text() + " *")
        self.sources.hide()
        for b in (self.history_button, self.delete_button, self.restore_button):
            b.hide()
        self.save_button.show()
        self.save_button.setEnabled(True)
        self.save_button.setText(self.tr("Add"))
        first = next(iter(self.editors.values()), None)
        if first is not None:
            first.widget.setFocus()

    def show_message(self, text: str, kind: str = "success") -> None:
        """A line about the record shown: kind is success, error or muted."""
        theme.set_role(self.message, {"error": "error", "muted": "muted"}.get(kind, "success"))
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def show_error(self, message: str) -> None:
        self.show_message(message, "error")

    def _header(self, type_name: str) -> None:
        self.kind_icon.set_icon(theme.kind_icon(type_name))
        self.kind_name.setText(kind_label(type_name).upper())

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        self._secret = None
        self.message.clear()
        self.message.hide()

    def _add_editor(self, editor: FieldEditor, *, secret: bool, value: Any) -> None:
        self.editors[editor.name] = editor
        name = label(field_label(editor.name), "muted", wrap=False)
        row = self._secret_row(editor, value) if secret else editor.widget
        self.form.addRow(name, row)

    def _row_widget(self, name: str) -> QWidget:
        widget = self.editors[name].widget
        parent = widget.parentWidget()
        return parent if parent is not None and parent is not self.form_host else widget

    @staticmethod
    def _headline(record: Record) -> str:
        f = record.fields
        for name in ("caption", "title", "name", "summary", "label", "text", "window_title"):
            if f.get(name):
                text = str(f[name]).split("\n")[0]
                return shorten(text, 90)
        return record.id

    def _sources_html(self, record: Record) -> str:
        colour = theme.colors().accent
        links = []
        for s in record.sources:
            if s.id == record.id:
                continue
            text = f"{kind_label(s.kind)} {s.external_id or s.id}"
            links.append(
                f"<a style='color:{colour}; text-decoration:none' href='{s.kind}:{s.id}'>"
                f"{html.escape(text)}</a>"
            )
        if kind_named(record.type).name == "screenshot" and record.fields.get("image_path"):
            links.append(
                f"<a style='color:{colour}; text-decoration:none' "
                f"href='image:{record.fields['image_path']}'>{self.tr('open the image')}</a>"
            )
        if not links:
            return ""
        return self.tr("Came from: {0}").format(" · ".join(links))

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
        reveal = button(self.tr("Reveal"), "reveal", name="button_reveal")
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
                self.tr("Reveal a high-sensitivity secret?"),
                self.tr("This secret is marked high sensitivity. Show it on screen?"),
            )
            if answer != QMessageBox.StandardButton.Yes:
                button.blockSignals(True)
                button.setChecked(False)
                button.blockSignals(False)
                return
        line.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        button.setText(self.tr("Hide") if on else self.tr("Reveal"))

    def secret_visible(self) -> bool:
        editor = self.editors.get("secret_value")
        widget = editor.widget if editor is not None else None
        return isinstance(widget, QLineEdit) and widget.echoMode() == QLineEdit.EchoMode.Normal

    # -- editing -----------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        return {n: e.value() for n, e in self.editors.items() if e.changed()}

    def _on_save(self) -> None:
        if self.new_type is not None:
            values = {n: v for n, v in self.changes().items() if v not in (None, "", [])}
            self.add_requested.emit(self.new_type, values)
            return
        if self.record is None:
            return
        changes = self.changes()
        if not changes:
            self.show_message(self.tr("Nothing changed."), "muted")
            return
        self.save_requested.emit(self.record.id, changes)


class HistoryDialog(QDialog):
    """Every version of a memory, newest first: pick one to read it whole, its
    changed fields marked against the version before."""

    def __init__(self, current: Record, entries: list[HistoryEntry], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("history_dialog")
        self.setWindowTitle(self.tr("History of {0}").format(current.id))
        self.resize(820, 480)
        kind = kind_named(current.type)
        secret = set(kind.secret_fields)
        names = [f.name for f in kind.fields if f.name not in HIDDEN_FIELDS]

        def shown(data: dict[str, Any]) -> dict[str, Any]:
            """The kind's fields in order (the stored row also holds its bookkeeping)."""
            return {n: (MASK if n in secret and data.get(n) else data.get(n)) for n in names}

        self.versions: list[tuple[int, str, str, dict[str, Any]]] = [
            (e.version, e.changed_at, e.change, shown(e.data)) for e in entries
        ]
        self.versions.append(
            (current.version, current.updated_at, "current", shown(current.fields))
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(SPACE["l"], SPACE["l"], SPACE["l"], SPACE["m"])
        split = QSplitter()
        self.list = QListWidget()
        self.list.setObjectName("versions")
        self.page = QTextBrowser()
        self.page.setObjectName("version_page")
        self.page.setOpenLinks(False)
        for version, at, change, _data in reversed(self.versions):
            what = (
                self.tr("current")
                if change == "current"
                else self.tr("until {0}").format(self._change(change))
            )
            item = QListWidgetItem(f"v{version} · {what}\n{at[:16].replace('T', ' ')}")
            item.setData(Qt.ItemDataRole.UserRole, version)
            self.list.addItem(item)
        self.list.currentRowChanged.connect(self._show)
        split.addWidget(self.list)
        split.addWidget(self.page)
        split.setSizes([220, 600])
        layout.addWidget(split, 1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        layout.addWidget(box)
        self.list.setCurrentRow(0)

    def _change(self, change: str) -> str:
        return self.tr(CHANGES[change]) if change in CHANGES else change

    def text_of(self, version: int) -> str:
        """The page shown for ``version`` as plain text (what a reader sees)."""
        for n, (v, *_rest) in enumerate(self.versions):
            if v == version:
                return _plain(self._html(n))
        raise KeyError(version)

    def _show(self, row: int) -> None:
        if row < 0:
            return
        self.page.setHtml(self._html(len(self.versions) - 1 - row))

    def _html(self, index: int) -> str:
        c = theme.colors()
        version, at, change, data = self.versions[index]
        before = self.versions[index - 1][3] if index > 0 else {}
        rows = []
        for name, value in data.items():
            if value in (None, "", []):
                continue
            text = (
                "<br>".join(html.escape(str(v)) for v in value)
                if isinstance(value, list)
                else (html.escape(str(value)).replace("\n", "<br>"))
            )
            changed = index > 0 and before.get(name) != value
            mark = (
                f" <span style='color:{c.accent}; font-size:small'>{self.tr('changed')}</span>"
                if changed
                else ""
            )
            rows.append(
                f"<tr><td style='color:{c.muted}; padding:4px 14px 4px 0' valign='top'>"
                f"{html.escape(field_label(name))}</td><td style='padding:4px 0'>{text}{mark}"
                "</td></tr>"
            )
        head = (
            self.tr("Version {0}, current").format(version)
            if change == "current"
            else self.tr("Version {0}, until it was {1}").format(version, self._change(change))
        )
        return (
            f"<div style='color:{c.text}'><h3>{html.escape(head)}</h3>"
            f"<p style='color:{c.muted}'>{html.escape(at[:19].replace('T', ' '))}</p>"
            f"<table cellspacing='0'>{''.join(rows)}</table></div>"
        )


def _plain(markup: str) -> str:
    doc = QTextDocument()
    doc.setHtml(markup)
    return doc.toPlainText()
