"""The memory browser: a tab per memory type plus raw messages and screenshots,
a search box and a time filter, the selected item's detail panel, export and
import. Every facade call runs on a worker (``self.jobs``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mirix_app.gui.errors import describe
from mirix_app.gui.forget import Forgetter, forgot_text
from mirix_app.gui.record_view import HistoryDialog, RecordView
from mirix_app.gui.worker import Jobs
from storage import Hit, Record, kind_named, kind_of_id
from storage.kinds import ALL_KINDS

TABS: tuple[tuple[str, str], ...] = tuple((k.name, k.plural) for k in ALL_KINDS)
"""(type, tab title) of each tab: the memory types, then messages and screenshots."""
PERIODS: tuple[tuple[str, timedelta | None], ...] = (
    ("Any time", None),
    ("Last 24 hours", timedelta(days=1)),
    ("Last 7 days", timedelta(days=7)),
    ("Last 30 days", timedelta(days=30)),
    ("Last year", timedelta(days=365)),
)
ID_ROLE = Qt.ItemDataRole.UserRole


def row_text(record: Record) -> str:
    return kind_named(record.type).list_text(record.fields) or record.id


class MemoryBrowser(QMainWindow):
    listed = Signal(str, int)
    """(type, rows) after a list or search is shown."""
    shown = Signal(str)
    """An item's id after its detail is shown."""
    changed = Signal(str, str)
    """(what, id) after a save, delete, restore or forget: 'saved', 'deleted',
    'restored', 'forgotten'."""
    failed = Signal(str)
    transferred = Signal(str)
    """A one-line report after an export or import."""
    history_dialog_shown = Signal(str)

    def __init__(self, assistant: Any, *, desktop: Any = None) -> None:
        super().__init__()
        self.assistant = assistant
        self.desktop = desktop
        self.jobs = Jobs(self)
        self.forgetter = Forgetter(assistant, self, window=self)
        self.forgetter.forgotten.connect(self._after_forget)
        self.forgetter.failed.connect(self.detail_error)
        self.setObjectName("memory_browser")
        self.setWindowTitle("Memories — mirix-app")
        self.resize(1100, 680)
        self._last_deleted: str | None = None
        self._build()
        self._search_timer = QTimer(self, singleShot=True, interval=300)
        self._search_timer.timeout.connect(self.reload)
        self.reload()

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 12, 12, 8)
        bar = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setObjectName("search")
        self.search_box.setPlaceholderText("Search this type by words or meaning…")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_box.returnPressed.connect(self.reload)
        self.period = QComboBox()
        self.period.setObjectName("period")
        for label, _delta in PERIODS:
            self.period.addItem(label)
        self.period.currentIndexChanged.connect(lambda _i: self.reload())
        export_button = QPushButton("Export…")
        import_button = QPushButton("Import…")
        export_button.clicked.connect(self._ask_export)
        import_button.clicked.connect(self._ask_import)
        bar.addWidget(self.search_box, 1)
        bar.addWidget(self.period)
        bar.addWidget(export_button)
        bar.addWidget(import_button)
        layout.addLayout(bar)

        self.undo_bar = QWidget()
        undo_row = QHBoxLayout(self.undo_bar)
        undo_row.setContentsMargins(8, 4, 8, 4)
        self.undo_label = QLabel()
        self.undo_button = QPushButton("Undo")
        self.undo_button.setObjectName("button_undo")
        self.undo_button.clicked.connect(self.undo_delete)
        undo_row.addWidget(self.undo_label, 1)
        undo_row.addWidget(self.undo_button)
        self.undo_bar.setStyleSheet("background: #fef3c7; border-radius: 6px")
        self.undo_bar.hide()
        layout.addWidget(self.undo_bar)

        split = QSplitter()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.lists: dict[str, QTreeWidget] = {}
        for type_name, label in TABS:
            tree = QTreeWidget()
            tree.setObjectName(f"list_{type_name}")
            tree.setHeaderLabels(["When", "Item"])
            tree.setRootIsDecorated(False)
            tree.setUniformRowHeights(True)
            tree.setAlternatingRowColors(True)
            tree.setColumnWidth(0, 130)
            tree.currentItemChanged.connect(self._on_current)
            self.lists[type_name] = tree
            self.tabs.addTab(tree, label)
        self.tabs.currentChanged.connect(lambda _i: self.reload())
        self.detail = RecordView()
        self.detail.save_requested.connect(self.save)
        self.detail.delete_requested.connect(self.delete)
        self.detail.history_requested.connect(self.show_history)
        self.detail.source_opened.connect(self._on_source)
        split.addWidget(self.tabs)
        split.addWidget(self.detail)
        split.setSizes([700, 480])
        layout.addWidget(split, 1)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setStyleSheet("color: #6b7280")
        layout.addWidget(self.status)
        self.setCentralWidget(body)

    # -- lists -------------------------------------------------------------------------

    @property
    def current_type(self) -> str:
        return TABS[self.tabs.currentIndex()][0]

    def select_type(self, type_name: str) -> None:
        self.tabs.setCurrentIndex([t for t, _ in TABS].index(type_name))

    def _since(self) -> str | None:
        delta = PERIODS[self.period.currentIndex()][1]
        if delta is None:
            return None
        return (datetime.now(UTC) - delta).strftime("%Y-%m-%dT%H:%M:%SZ")

    def reload(self) -> None:
        type_name, query, since = self.current_type, self.search_box.text().strip(), self._since()
        app = self.assistant

        def fetch(_emit: Any) -> Any:
            if query:
                return app.search(query, types=[type_name], since=since, limit=100)
            return app.browse(type_name, since=since, limit=500)

        self.status.setText("Loading…")
        self.jobs.submit(
            fetch,
            on_done=lambda rows: self._show_rows(type_name, rows),
            on_error=self._on_error,
        )

    def _show_rows(self, type_name: str, rows: list[Any]) -> None:
        tree = self.lists[type_name]
        tree.clear()
        for row in rows:
            if isinstance(row, Hit):
                when, text = row.at, row.text
            else:
                when = str(row.fields.get("occurred_at") or row.fields.get("at") or row.created_at)
                text = row_text(row)
            item = QTreeWidgetItem([when[:16].replace("T", " "), text.replace("\n", " ")])
            item.setData(0, ID_ROLE, row.id)
            item.setToolTip(1, text[:500])
            tree.addTopLevelItem(item)
        if type_name == self.current_type:  # a slower load of another tab keeps its count
            noun = "match" if self.search_box.text().strip() else "item"
            self.status.setText(
                f"{len(rows)} {noun}{'es' if noun == 'match' else 's'}"
                if len(rows) != 1
                else f"1 {noun}"
            )
        self.listed.emit(type_name, len(rows))

    def _on_current(self, item: QTreeWidgetItem | None, _previous: Any) -> None:
        if item is not None:
            self.open_item(str(item.data(0, ID_ROLE)), select=False)

    def open_item(self, item_id: str, *, select: bool = True) -> None:
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.show(item_id),
            on_done=lambda record: self._show_record(record, select),
            on_error=self._on_error,
        )

    def _show_record(self, record: Record, select: bool) -> None:
        if select and record.type != self.current_type:
            self.tabs.blockSignals(True)
            self.select_type(record.type)
            self.tabs.blockSignals(False)
            self.reload()
        self.detail.show_record(record)
        self.shown.emit(record.id)

    def _on_source(self, kind: str, target: str) -> None:
        if kind == "image":
            if self.desktop is not None:
                path = Path(target)
                if not path.is_absolute():  # kept relative to the data directory
                    path = self.assistant.storage.data_dir / path
                self.desktop.open_image(str(path))
            return
        self.open_item(target)

    # -- changes -----------------------------------------------------------------------

    def save(self, item_id: str, changes: dict[str, Any]) -> None:
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.edit(item_id, changes),
            on_done=lambda record: self._after_change("saved", record),
            on_error=self._on_detail_error,
        )

    def delete(self, item_id: str) -> None:
        """Delete a memory (Undo brings it back), or forget a message or screenshot
        for good after a confirmation that says what goes with it."""
        if not kind_of_id(item_id).is_memory:
            self.forgetter.ask("Delete for good?", ids=[item_id])
            return
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.delete(item_id),
            on_done=lambda record: self._after_change("deleted", record),
            on_error=self._on_detail_error,
        )

    def _after_forget(self, report: Any) -> None:
        self.detail.show_record(None)
        self.status.setText(forgot_text(report))
        for item_id in report.plan.to_dict()["ids"]:
            self.changed.emit("forgotten", item_id)
        self.reload()

    def undo_delete(self) -> None:
        item_id = self._last_deleted
        if item_id is None:
            return
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.restore(item_id),
            on_done=lambda record: self._after_change("restored", record),
            on_error=self._on_detail_error,
        )

    def _after_change(self, what: str, record: Record) -> None:
        if what == "deleted":
            self._last_deleted = record.id
            self.undo_label.setText(f"Deleted “{row_text(record)[:60]}”.")
            self.undo_bar.show()
            self.detail.show_record(None)
        else:
            if what == "restored":
                self._last_deleted = None
                self.undo_bar.hide()
            self.detail.show_record(record)
        self.status.setText(f"{what.capitalize()} {record.id} (version {record.version}).")
        self.changed.emit(what, record.id)
        self.reload()

    def show_history(self, item_id: str) -> None:
        app = self.assistant
        self.jobs.submit(
            lambda _e: (app.show(item_id), app.history(item_id)),
            on_done=lambda pair: self._show_history(*pair),
            on_error=self._on_detail_error,
        )

    def _show_history(self, current: Record, entries: list[Any]) -> None:
        self.history_dialog = HistoryDialog(current, entries, self)
        self.history_dialog.show()
        self.history_dialog_shown.emit(current.id)

    # -- export / import ---------------------------------------------------------------

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export everything", "mirix-export.jsonl")
        if path:
            self.export_to(Path(path))

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import an export file", "", "*.jsonl")
        if path:
            self.import_from(Path(path))

    def export_to(self, path: Path) -> None:
        app = self.assistant
        self.status.setText(f"Exporting to {path}…")
        self.jobs.submit(
            lambda _e: app.export(path),
            on_done=lambda n: self._transferred(f"Exported {n} records to {path}."),
            on_error=self._on_error,
        )

    def import_from(self, path: Path) -> None:
        app = self.assistant
        self.status.setText(f"Importing {path}…")

        def report(counts: dict[str, int]) -> None:
            parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            self._transferred(f"Imported {parts or 'nothing'} from {path}.")
            self.reload()

        self.jobs.submit(
            lambda _e: app.import_export(path), on_done=report, on_error=self._on_error
        )

    def _transferred(self, text: str) -> None:
        self.status.setText(text)
        self.transferred.emit(text)

    # -- errors ------------------------------------------------------------------------

    def _on_error(self, exc: Exception) -> None:
        message = describe(exc)
        self.status.setText(message)
        self.failed.emit(message)

    def _on_detail_error(self, exc: Exception) -> None:
        self.detail_error(describe(exc))

    def detail_error(self, message: str) -> None:
        self.detail.show_error(message)
        self.failed.emit(message)
