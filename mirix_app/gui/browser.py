"""The memory browser: the memory types, raw messages and screenshots in a side
list, a search box and a time filter over the chosen one, its items, the
selected item's detail pane, a new memory, export and import. Every facade call
runs on a worker (``self.jobs``).

What the user acts on stays put: after a save the list is reloaded and the
saved row is selected again (its message shown in the detail pane); a deleted
memory stays on screen, marked deleted, with Undo; switching to another type
never leaves the previous type's item in the detail pane."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mirix_app.gui import theme
from mirix_app.gui.errors import describe
from mirix_app.gui.forget import Forgetter, forgot_text
from mirix_app.gui.i18n import QT_TRANSLATE_NOOP
from mirix_app.gui.labels import kind_label, kind_noun
from mirix_app.gui.record_view import HistoryDialog, RecordView
from mirix_app.gui.theme import SPACE
from mirix_app.gui.widgets import Banner, EmptyState, button, label
from mirix_app.gui.worker import Jobs
from storage import Hit, Record, kind_of_id
from storage.kinds import ALL_KINDS

TYPES: tuple[str, ...] = tuple(k.name for k in ALL_KINDS)
"""The memory types, then messages and screenshots (the kinds, in their order)."""
TABS: tuple[tuple[str, str], ...] = tuple((t, t) for t in TYPES)
"""(type, type) pairs, kept for callers that walk the types in order."""
ADDABLE = {k.name for k in ALL_KINDS if k.is_memory and not k.fixed}
"""Types a user can add by hand (core has its two fixed blocks; raw sources are
imported or captured)."""
PERIODS: tuple[tuple[str, timedelta | None], ...] = (
    (QT_TRANSLATE_NOOP("MemoryBrowser", "Any time"), None),
    (QT_TRANSLATE_NOOP("MemoryBrowser", "Last 24 hours"), timedelta(days=1)),
    (QT_TRANSLATE_NOOP("MemoryBrowser", "Last 7 days"), timedelta(days=7)),
    (QT_TRANSLATE_NOOP("MemoryBrowser", "Last 30 days"), timedelta(days=30)),
    (QT_TRANSLATE_NOOP("MemoryBrowser", "Last year"), timedelta(days=365)),
)
ID_ROLE = Qt.ItemDataRole.UserRole
EMPTY_HINTS = {
    "core": QT_TRANSLATE_NOOP(
        "MemoryBrowser", "Core memory holds who you are and how the assistant should answer."
    ),
    "episodic": QT_TRANSLATE_NOOP(
        "MemoryBrowser",
        "Episodes are what happened and when. They come from your chats, imported "
        "messages and screen captures; or add one with New.",
    ),
    "semantic": QT_TRANSLATE_NOOP(
        "MemoryBrowser",
        "Facts about people, places and things appear as the memory agents read your "
        "chats and screens; or add one with New.",
    ),
    "procedural": QT_TRANSLATE_NOOP(
        "MemoryBrowser", "How-tos are workflows, guides and scripts. Add one with New."
    ),
    "resource": QT_TRANSLATE_NOOP(
        "MemoryBrowser", "Resources are documents, links and files worth keeping. Add one with New."
    ),
    "knowledge_vault": QT_TRANSLATE_NOOP(
        "MemoryBrowser",
        "The vault keeps credentials, numbers and addresses, encrypted on disk. Add one with New.",
    ),
    "message": QT_TRANSLATE_NOOP(
        "MemoryBrowser",
        "Messages are your chats and imported conversations (mirix-app import messages).",
    ),
    "screenshot": QT_TRANSLATE_NOOP(
        "MemoryBrowser",
        "Screenshots appear while capture runs (tray menu: Start capture).",
    ),
}


def tr(text: str) -> str:
    return QCoreApplication.translate("MemoryBrowser", text)


def row_text(record: Record) -> str:
    f = record.fields
    if record.type == "knowledge_vault":
        return f"{f.get('caption') or ''} ({f.get('entry_type')}, {f.get('sensitivity')})"
    if record.type == "message":
        return f"{f.get('speaker') or f.get('role')}: {f.get('text')}"
    if record.type == "screenshot":
        return f"{f.get('app') or ''} — {f.get('window_title') or ''}"
    if record.type == "core":
        text = str(f.get("text") or QCoreApplication.translate("MemoryBrowser", "(empty)")).replace(
            chr(10), " · "
        )
        return f"{f.get('label')}: {text}"
    for name in ("title", "name"):
        if f.get(name):
            return f"{f[name]} — {f.get('summary') or ''}"
    return str(f.get("summary") or record.id)


class MemoryBrowser(QMainWindow):
    listed = Signal(str, int)
    """(type, rows) after a list or search is shown."""
    shown = Signal(str)
    """An item's id after its detail is shown."""
    changed = Signal(str, str)
    """(what, id) after a save, add, delete, restore or forget: 'saved', 'added',
    'deleted', 'restored', 'forgotten'."""
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
        self.setWindowTitle(self.tr("Memories — mirix-app"))
        self.resize(1180, 720)
        self._last_deleted: str | None = None
        self._keep: str | None = None
        """The id to select again once the current type's list is reloaded."""
        self._build()
        self._search_timer = QTimer(self, singleShot=True, interval=300)
        self._search_timer.timeout.connect(self.reload)
        self.reload()

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        body = QWidget()
        outer = QHBoxLayout(body)
        outer.setContentsMargins(SPACE["m"], SPACE["m"], SPACE["m"], SPACE["m"])
        outer.setSpacing(SPACE["m"])

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("types")
        theme.set_role(self.sidebar, "sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setFixedWidth(176)
        for type_name in TYPES:
            item = QListWidgetItem(theme.kind_icon(type_name), kind_label(type_name))
            item.setData(ID_ROLE, type_name)
            self.sidebar.addItem(item)
        self.sidebar.setCurrentRow(0)
        self.sidebar.currentRowChanged.connect(self._on_type)
        outer.addWidget(self.sidebar)

        middle = QVBoxLayout()
        middle.setSpacing(SPACE["s"])
        bar = QHBoxLayout()
        bar.setSpacing(SPACE["s"])
        self.search_box = QLineEdit()
        self.search_box.setObjectName("search")
        self.search_box.addAction(
            theme.icon("search", "muted"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_box.returnPressed.connect(self.reload)
        self.period = QComboBox()
        self.period.setObjectName("period")
        for text, _delta in PERIODS:
            self.period.addItem(tr(text))
        self.period.currentIndexChanged.connect(lambda _i: self.reload())
        self.new_button = button(self.tr("New"), "add", role="primary", name="button_new")
        self.new_button.clicked.connect(self.new_memory)
        more = QPushButton()
        more.setObjectName("button_more")
        more.setIcon(theme.icon("folder"))
        more.setToolTip(self.tr("Export or import everything"))
        menu = QMenu(more)
        menu.addAction(theme.icon("export"), self.tr("Export everything…"), self._ask_export)
        menu.addAction(theme.icon("import"), self.tr("Import an export file…"), self._ask_import)
        more.setMenu(menu)
        bar.addWidget(self.search_box, 1)
        bar.addWidget(self.period)
        bar.addWidget(self.new_button)
        bar.addWidget(more)
        middle.addLayout(bar)

        self.undo_bar = Banner(action=self.tr("Undo"), name="undo_bar")
        self.undo_button = self.undo_bar.button
        self.undo_button.setObjectName("button_undo")
        self.undo_button.setIcon(theme.icon("undo"))
        self.undo_bar.acted.connect(self.undo_delete)
        self.undo_label = self.undo_bar.text
        middle.addWidget(self.undo_bar)
        self.count = label("", "caption")
        self.count.setObjectName("count")
        middle.addWidget(self.count)

        split = QSplitter()
        split.setChildrenCollapsible(False)
        self.list_pages = QStackedWidget()
        self.lists: dict[str, QTreeWidget] = {}
        for type_name in TYPES:
            tree = QTreeWidget()
            tree.setObjectName(f"list_{type_name}")
            tree.setHeaderLabels([self.tr("When"), self.tr("Item")])
            tree.setRootIsDecorated(False)
            tree.setUniformRowHeights(True)
            tree.setColumnWidth(0, 128)
            tree.currentItemChanged.connect(self._on_current)
            self.lists[type_name] = tree
            self.list_pages.addWidget(tree)
        self.list_empty = EmptyState("memories", action=self.tr("New"))
        self.list_empty.acted.connect(self.new_memory)
        self.list_pages.addWidget(self.list_empty)
        self.detail = RecordView()
        self.detail.save_requested.connect(self.save)
        self.detail.add_requested.connect(self.add)
        self.detail.delete_requested.connect(self.delete)
        self.detail.restore_requested.connect(self.restore)
        self.detail.history_requested.connect(self.show_history)
        self.detail.source_opened.connect(self._on_source)
        split.addWidget(self.list_pages)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        middle.addWidget(split, 1)
        self.status = label("", "caption")
        self.status.setObjectName("status")
        middle.addWidget(self.status)
        outer.addLayout(middle, 1)
        self.setCentralWidget(body)
        self._show_type_chrome()

    # -- lists -------------------------------------------------------------------------

    @property
    def current_type(self) -> str:
        return TYPES[max(0, self.sidebar.currentRow())]

    def select_type(self, type_name: str) -> None:
        self.sidebar.setCurrentRow(TYPES.index(type_name))

    def _on_type(self, _row: int) -> None:
        self._keep = None
        self._show_type_chrome()
        self.detail.show_record(None)
        self.reload()

    def _show_type_chrome(self) -> None:
        type_name = self.current_type
        self.list_pages.setCurrentWidget(self.lists[type_name])
        self.search_box.setPlaceholderText(
            self.tr("Search {0} by words or meaning…").format(kind_noun(type_name))
        )
        self.new_button.setEnabled(type_name in ADDABLE)
        self.new_button.setToolTip(
            self.tr("Add a memory of this type by hand")
            if type_name in ADDABLE
            else self.tr("{0} cannot be added by hand").format(kind_label(type_name))
        )

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

        self.count.setText(self.tr("Loading…"))
        self.jobs.submit(
            fetch,
            on_done=lambda rows: self._show_rows(type_name, query, rows),
            on_error=self._on_error,
        )

    def _show_rows(self, type_name: str, query: str, rows: list[Any]) -> None:
        tree = self.lists[type_name]
        # Filling the list must not open its first row in the detail pane.
        tree.blockSignals(True)
        tree.clear()
        keep: QTreeWidgetItem | None = None
        for row in rows:
            if isinstance(row, Hit):
                when, text = row.at, row.text
            else:
                when = str(row.fields.get("occurred_at") or row.fields.get("at") or row.created_at)
                text = row_text(row)
            item = QTreeWidgetItem([when[:16].replace("T", " "), " ".join(text.split())])
            item.setData(0, ID_ROLE, row.id)
            item.setToolTip(1, text[:500])
            tree.addTopLevelItem(item)
            if row.id == self._keep:
                keep = item
        if keep is not None:
            tree.setCurrentItem(keep)
        tree.blockSignals(False)
        if type_name != self.current_type:
            self.listed.emit(type_name, len(rows))
            return  # a slower load of another type keeps to itself
        self._show_count(type_name, query, len(rows))
        if rows:
            self.list_pages.setCurrentWidget(tree)
        else:
            self._show_list_empty(type_name, query)
        shown = self.detail.record
        if keep is None and shown is not None and shown.type == type_name and not shown.deleted:
            self.detail.show_record(None)  # it is not in this list (any more)
        self.listed.emit(type_name, len(rows))

    def _show_count(self, type_name: str, query: str, n: int) -> None:
        if query:
            text = (
                self.tr("%n match for “{0}”", "", n)
                if n == 1
                else self.tr("%n matches for “{0}”, best first", "", n)
            ).format(query)
        else:
            text = self.tr("%n item", "", n) if n == 1 else self.tr("%n items, newest first", "", n)
        self.count.setText(text)

    def _show_list_empty(self, type_name: str, query: str) -> None:
        self.list_empty.set_icon(type_name)
        if query:
            self.list_empty.show_text(
                self.tr("No {0} match “{1}”").format(kind_noun(type_name), query),
                self.tr("Try other words, or a longer time range."),
                action="",
            )
        else:
            self.list_empty.show_text(
                self.tr("No {0} yet").format(kind_noun(type_name)),
                tr(EMPTY_HINTS[type_name]),
                action=self.tr("New") if type_name in ADDABLE else "",
            )
        self.list_pages.setCurrentWidget(self.list_empty)
        if self.detail.new_type is None and not (self.detail.record and self.detail.record.deleted):
            self.detail.show_empty(
                self.tr("Nothing to show"), self.tr("This list is empty."), type_name
            )

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
            self.sidebar.blockSignals(True)
            self.select_type(record.type)
            self.sidebar.blockSignals(False)
            self._show_type_chrome()
        self._keep = record.id
        if select:
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

    def new_memory(self) -> None:
        if self.current_type not in ADDABLE:
            return
        tree = self.lists[self.current_type]
        tree.blockSignals(True)
        tree.setCurrentItem(None)  # type: ignore[call-overload]
        tree.clearSelection()
        tree.blockSignals(False)
        self.detail.show_new(self.current_type)

    def add(self, type_name: str, values: dict[str, Any]) -> None:
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.add(type_name, values),
            on_done=lambda record: self._after_change("added", record),
            on_error=self._on_detail_error,
        )

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
            self.forgetter.ask(self.tr("Delete for good?"), ids=[item_id])
            return
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.delete(item_id),
            on_done=lambda record: self._after_change("deleted", record),
            on_error=self._on_detail_error,
        )

    def _after_forget(self, report: Any) -> None:
        self.detail.show_record(None)
        self._status(forgot_text(report))
        for item_id in report.plan.to_dict()["ids"]:
            self.changed.emit("forgotten", item_id)
        self.reload()

    def undo_delete(self) -> None:
        """The undo bar: bring back the memory deleted last."""
        if self._last_deleted is not None:
            self.restore(self._last_deleted)

    def restore(self, item_id: str) -> None:
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.restore(item_id),
            on_done=lambda record: self._after_change("restored", record),
            on_error=self._on_detail_error,
        )

    def _after_change(self, what: str, record: Record) -> None:
        messages = {
            "saved": self.tr("Saved: version {0}.").format(record.version),
            "added": self.tr("Added."),
            "deleted": self.tr("Deleted. Undo brings it back."),
            "restored": self.tr("Restored: version {0}.").format(record.version),
        }
        if what == "deleted":
            self._last_deleted = record.id
            self.undo_bar.show_message(
                self.tr("Deleted “{0}”.").format(row_text(record)[:60]), kind="warning", action=True
            )
            self._keep = None
        else:
            if what == "restored" and record.id == self._last_deleted:
                self._last_deleted = None
                self.undo_bar.hide()
            self._keep = record.id
        self.detail.show_record(record, message=messages[what])
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
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export everything"), "mirix-export.jsonl"
        )
        if path:
            self.export_to(Path(path))

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import an export file"), "", "*.jsonl")
        if path:
            self.import_from(Path(path))

    def export_to(self, path: Path) -> None:
        app = self.assistant
        self._status(self.tr("Exporting to {0}…").format(path))
        self.jobs.submit(
            lambda _e: app.export(path),
            on_done=lambda n: self._transferred(
                self.tr("Exported {0} records to {1}.").format(n, path)
            ),
            on_error=self._on_error,
        )

    def import_from(self, path: Path) -> None:
        app = self.assistant
        self._status(self.tr("Importing {0}…").format(path))

        def report(counts: dict[str, int]) -> None:
            parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            self._transferred(
                self.tr("Imported {0} from {1}.").format(parts or self.tr("nothing"), path)
            )
            self.reload()

        self.jobs.submit(
            lambda _e: app.import_export(path), on_done=report, on_error=self._on_error
        )

    def _transferred(self, text: str) -> None:
        self._status(text)
        self.transferred.emit(text)

    def _status(self, text: str, role: str = "caption") -> None:
        theme.set_role(self.status, role)
        self.status.setText(text)

    # -- errors ------------------------------------------------------------------------

    def _on_error(self, exc: Exception) -> None:
        message = describe(exc)
        self._status(message, "error")
        self.failed.emit(message)

    def _on_detail_error(self, exc: Exception) -> None:
        self.detail_error(describe(exc))

    def detail_error(self, message: str) -> None:
        self.detail.show_error(message)
        self.failed.emit(message)
