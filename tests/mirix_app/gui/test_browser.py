"""The memory browser against a real seeded data directory: lists per type,
search, view, edit (validated), delete with undo, history, provenance, vault
masking, export and import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit, QMessageBox, QPlainTextEdit, QPushButton

from agents import Assistant
from mirix_app.gui.browser import ID_ROLE, MemoryBrowser
from tests.fakes import BODIES

WAIT = 10_000


def open_browser(qtbot: Any, assistant: Assistant) -> MemoryBrowser:
    window = MemoryBrowser(assistant)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.listed, timeout=WAIT):
        window.show()  # the first list was requested by the constructor
    return window


def show_tab(qtbot: Any, window: MemoryBrowser, type_name: str) -> int:
    with qtbot.waitSignal(window.listed, timeout=WAIT) as blocker:
        window.select_type(type_name)
    return int(blocker.args[1])


def select_first(qtbot: Any, window: MemoryBrowser, type_name: str) -> str:
    tree = window.lists[type_name]
    with qtbot.waitSignal(window.shown, timeout=WAIT) as blocker:
        tree.setCurrentItem(tree.topLevelItem(0))
    return str(blocker.args[0])


def test_every_type_has_a_tab_with_its_items(qtbot: Any, seeded: Assistant) -> None:
    window = open_browser(qtbot, seeded)
    assert window.lists["core"].topLevelItemCount() == 2  # persona and human
    counts = {
        t: show_tab(qtbot, window, t)
        for t in ("episodic", "semantic", "procedural", "resource", "knowledge_vault", "message")
    }
    # six imported messages, each with its episodic memory, plus one added episode
    assert counts == {
        "episodic": 7,
        "semantic": 1,
        "procedural": 1,
        "resource": 1,
        "knowledge_vault": 1,
        "message": 6,
    }
    assert "Jordan" in window.lists["semantic"].topLevelItem(0).text(1)


def test_search_box_and_time_filter(qtbot: Any, seeded: Assistant) -> None:
    window = open_browser(qtbot, seeded)
    show_tab(qtbot, window, "message")
    with qtbot.waitSignal(window.listed, timeout=WAIT) as blocker:
        window.search_box.setText("guitar lessons")
        window.reload()
    assert blocker.args[1] >= 1
    assert "guitar" in window.lists["message"].topLevelItem(0).text(1)
    with qtbot.waitSignal(window.listed, timeout=WAIT) as blocker:
        window.search_box.clear()
        window.period.setCurrentIndex(1)  # last 24 hours: the 2023 messages drop out
    assert blocker.args[1] == 0


def test_edit_is_validated_and_kept_in_history(qtbot: Any, seeded: Assistant) -> None:
    window = open_browser(qtbot, seeded)
    show_tab(qtbot, window, "semantic")
    item_id = select_first(qtbot, window, "semantic")
    summary = window.detail.editors["summary"].widget
    assert isinstance(summary, QPlainTextEdit)

    summary.setPlainText("")  # required: the facade refuses, and the panel says why
    with qtbot.waitSignal(window.failed, timeout=WAIT) as failure:
        window.detail.save_button.click()
    assert failure.args[0] == "semantic.summary is empty."
    assert window.detail.error.text() == failure.args[0]
    assert seeded.show(item_id).version == 1

    summary.setPlainText("Jordan is the user's climbing partner and neighbour")
    with qtbot.waitSignal(window.changed, timeout=WAIT) as saved:
        window.detail.save_button.click()
    assert saved.args == ["saved", item_id]
    assert seeded.show(item_id).version == 2
    assert "neighbour" in seeded.show(item_id).fields["summary"]

    with qtbot.waitSignal(window.history_dialog_shown, timeout=WAIT):
        window.detail.history_button.click()
    dialog = window.history_dialog
    assert dialog.list.count() == 2  # newest first
    assert dialog.list.item(0).text().startswith("v2 · current")
    assert dialog.list.item(1).text().startswith("v1 · until edited")
    old = dialog.text_of(1)
    # fields in words, whole, one a line: not cut-off JSON
    assert "\nSummary\nJordan is the user's climbing partner\n" in old + "\n"
    assert "{" not in old and '"' not in old
    now = dialog.text_of(2)
    assert "Jordan is the user's climbing partner and neighbour changed" in now
    assert "\nName\nJordan\n" in now  # unchanged fields are not marked


def test_delete_then_undo_restores(qtbot: Any, seeded: Assistant) -> None:
    window = open_browser(qtbot, seeded)
    show_tab(qtbot, window, "procedural")
    item_id = select_first(qtbot, window, "procedural")
    with (
        qtbot.waitSignal(window.listed, timeout=WAIT),
        qtbot.waitSignal(window.changed, timeout=WAIT) as deleted,
    ):
        window.detail.delete_button.click()
    assert deleted.args == ["deleted", item_id]
    assert seeded.show(item_id).deleted
    assert window.undo_bar.isVisible()
    assert window.lists["procedural"].topLevelItemCount() == 0

    with (
        qtbot.waitSignal(window.listed, timeout=WAIT),
        qtbot.waitSignal(window.changed, timeout=WAIT) as restored,
    ):
        window.undo_button.click()
    assert restored.args == ["restored", item_id]
    assert not seeded.show(item_id).deleted
    assert not window.undo_bar.isVisible()
    assert window.lists["procedural"].topLevelItemCount() == 1


def test_provenance_link_opens_the_source_message(qtbot: Any, seeded: Assistant) -> None:
    window = open_browser(qtbot, seeded)
    show_tab(qtbot, window, "episodic")
    tree = window.lists["episodic"]
    # the imported episodes are linked to their messages
    for n in range(tree.topLevelItemCount()):
        if "guitar" in tree.topLevelItem(n).text(1):
            with qtbot.waitSignal(window.shown, timeout=WAIT):
                tree.setCurrentItem(tree.topLevelItem(n))
            break
    assert "D2:1" in window.detail.sources.text()
    href = window.detail.sources.text().split("href='")[1].split("'")[0]
    with qtbot.waitSignal(window.shown, timeout=WAIT) as opened:
        window.detail.sources.linkActivated.emit(href)
    assert opened.args[0].startswith("msg_")
    assert window.current_type == "message"
    assert "guitar" in str(window.detail.editors["text"].value())


@pytest.mark.parametrize("confirm", [False, True])
def test_vault_secret_masked_and_reveal_asks(
    qtbot: Any, seeded: Assistant, monkeypatch: pytest.MonkeyPatch, confirm: bool
) -> None:
    asked: list[str] = []

    def answer(_parent: Any, title: str, _text: str, *a: Any) -> QMessageBox.StandardButton:
        asked.append(title)
        return QMessageBox.StandardButton.Yes if confirm else QMessageBox.StandardButton.No

    # The modal question is the one thing a test cannot click; answer it here.
    monkeypatch.setattr(QMessageBox, "question", answer)
    window = open_browser(qtbot, seeded)
    show_tab(qtbot, window, "knowledge_vault")
    select_first(qtbot, window, "knowledge_vault")
    secret = window.detail.editors["secret_value"].widget
    assert isinstance(secret, QLineEdit)
    assert secret.echoMode() == QLineEdit.EchoMode.Password
    assert "ghp_" not in window.lists["knowledge_vault"].topLevelItem(0).text(1)
    reveal = window.detail.findChild(QPushButton, "button_reveal")
    reveal.click()
    assert asked == ["Reveal a high-sensitivity secret?"]
    assert window.detail.secret_visible() is confirm
    assert secret.text() == "ghp_s3cr3t-VALUE"


def test_export_then_import(qtbot: Any, seeded: Assistant, tmp_path: Path) -> None:
    window = open_browser(qtbot, seeded)
    target = tmp_path / "backup.jsonl"
    with qtbot.waitSignal(window.transferred, timeout=WAIT) as done:
        window.export_to(target)
    assert "Exported" in done.args[0] and target.exists()
    with qtbot.waitSignal(window.transferred, timeout=WAIT) as done:
        window.import_from(target)
    assert done.args[0].startswith("Imported")


def test_import_of_a_bad_file_is_reported(qtbot: Any, seeded: Assistant, tmp_path: Path) -> None:
    window = open_browser(qtbot, seeded)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    with qtbot.waitSignal(window.failed, timeout=WAIT) as failure:
        window.import_from(bad)
    assert "\n" not in failure.args[0]
    assert window.status.text() == failure.args[0]


def test_a_message_is_deleted_for_good_after_a_confirmation_with_counts(
    qtbot: Any, seeded: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[str, str]] = []
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]

    def answer(_parent: Any, title: str, text: str, *a: Any) -> QMessageBox.StandardButton:
        asked.append((title, text))
        return answers[len(asked) - 1]

    monkeypatch.setattr(QMessageBox, "question", answer)
    window = open_browser(qtbot, seeded)
    show_tab(qtbot, window, "message")
    message_id = select_first(qtbot, window, "message")
    delete = window.detail.findChild(QPushButton, "button_delete")
    assert delete.isVisible() and delete.text() == "Delete for good…"
    with qtbot.waitSignal(window.forgetter.declined, timeout=WAIT):
        delete.click()  # the user says no: nothing happens
    assert seeded.show(message_id).id == message_id
    with qtbot.waitSignal(window.changed, timeout=WAIT) as changed:
        delete.click()
    assert changed.args == ["forgotten", message_id]
    title, text = asked[-1]
    assert title == "Delete for good?"
    assert "1 message, with the 1 memory made only from them" in text
    assert "cannot be undone" in text
    assert window.undo_bar.isHidden()  # no Undo: it is gone
    assert message_id not in {r.id for r in seeded.browse("message")}


# -- what the user acts on stays put (issue: the pane jumped after Save or Delete) ------


def selected_id(window: MemoryBrowser, type_name: str) -> str | None:
    item = window.lists[type_name].currentItem()
    return None if item is None else str(item.data(0, ID_ROLE))


def test_save_keeps_the_edited_row_selected_and_its_message(qtbot: Any, seeded: Assistant) -> None:
    window = open_browser(qtbot, seeded)
    show_tab(qtbot, window, "episodic")
    tree = window.lists["episodic"]
    # an episode in the middle of the list, so "the first row" cannot pass for it
    target = tree.topLevelItem(3)
    item_id = str(target.data(0, ID_ROLE))
    with qtbot.waitSignal(window.shown, timeout=WAIT):
        tree.setCurrentItem(target)
    details = window.detail.editors["details"].widget
    assert isinstance(details, QPlainTextEdit)
    details.setPlainText("Edited in the browser.")
    with (
        qtbot.waitSignal(window.changed, timeout=WAIT),
        qtbot.waitSignal(window.listed, timeout=WAIT),
    ):
        window.detail.save_button.click()
    assert window.detail.record is not None and window.detail.record.id == item_id
    assert selected_id(window, "episodic") == item_id
    assert window.detail.message.text() == "Saved: version 2."
    assert window.detail.message.isVisibleTo(window)
    assert window.count.text() == "7 items, newest first"  # the count has its own line

    # the next edit goes to the same memory (the form shows the saved version)
    details = window.detail.editors["details"].widget
    assert isinstance(details, QPlainTextEdit)
    assert details.toPlainText() == "Edited in the browser."
    details.setPlainText("Edited twice.")
    with qtbot.waitSignal(window.changed, timeout=WAIT) as saved:
        window.detail.save_button.click()
    assert saved.args == ["saved", item_id]
    assert seeded.show(item_id).fields["details"] == "Edited twice."


def test_delete_keeps_the_deleted_memory_shown_and_undo_selects_it_again(
    qtbot: Any, seeded: Assistant
) -> None:
    window = open_browser(qtbot, seeded)
    show_tab(qtbot, window, "episodic")
    tree = window.lists["episodic"]
    target = tree.topLevelItem(2)
    item_id = str(target.data(0, ID_ROLE))
    with qtbot.waitSignal(window.shown, timeout=WAIT):
        tree.setCurrentItem(target)
    with (
        qtbot.waitSignal(window.changed, timeout=WAIT),
        qtbot.waitSignal(window.listed, timeout=WAIT),
    ):
        window.detail.delete_button.click()
    # The pane still shows the deleted memory, marked so, and nothing else is selected:
    # no edit or delete can reach another memory by mistake.
    assert window.detail.record is not None and window.detail.record.id == item_id
    assert window.detail.record.deleted
    assert "deleted" in window.detail.meta.text()
    assert window.detail.message.text() == "Deleted. Undo brings it back."
    assert not window.detail.save_button.isEnabled()
    assert not window.detail.delete_button.isVisibleTo(window)
    assert selected_id(window, "episodic") is None
    assert tree.topLevelItemCount() == 6

    with (
        qtbot.waitSignal(window.changed, timeout=WAIT),
        qtbot.waitSignal(window.listed, timeout=WAIT),
    ):
        window.detail.restore_button.click()  # the pane's own undo
    assert selected_id(window, "episodic") == item_id
    assert window.detail.message.text() == "Restored: version 3."
    assert not window.undo_bar.isVisible()
    assert window.detail.save_button.isEnabled()


def test_an_empty_type_never_shows_the_previous_types_item(
    qtbot: Any, assistant: Assistant
) -> None:
    assistant.add("semantic", BODIES["semantic"])
    window = open_browser(qtbot, assistant)
    show_tab(qtbot, window, "semantic")
    select_first(qtbot, window, "semantic")
    assert window.detail.record is not None
    assert show_tab(qtbot, window, "procedural") == 0
    assert window.detail.record is None
    assert window.list_pages.currentWidget() is window.list_empty
    assert (
        window.list_empty.title.text() == "No procedural memories (workflows, guides, scripts) yet"
    )
    assert "New" in window.list_empty.hint.text()
    assert window.list_empty.action.isVisibleTo(window)


def test_every_type_stays_in_view_with_the_detail_open(qtbot: Any, seeded: Assistant) -> None:
    window = open_browser(qtbot, seeded)
    window.resize(900, 600)
    show_tab(qtbot, window, "semantic")
    select_first(qtbot, window, "semantic")
    side = window.sidebar
    view = side.viewport().rect()
    labels = []
    for row in range(side.count()):
        assert view.contains(side.visualItemRect(side.item(row)))
        labels.append(side.item(row).text())
    assert labels[-2:] == ["Messages", "Screenshots"]


def test_a_memory_can_be_added(qtbot: Any, assistant: Assistant) -> None:
    window = open_browser(qtbot, assistant)
    show_tab(qtbot, window, "semantic")
    window.new_button.click()
    assert window.detail.new_type == "semantic"
    assert window.detail.save_button.text() == "Add"
    with qtbot.waitSignal(window.failed, timeout=WAIT) as failure:
        window.detail.save_button.click()  # name and summary are required
    assert "required" in failure.args[0] and window.detail.new_type == "semantic"
    window.detail.editors["name"].widget.setText("Ficus")  # type: ignore[attr-defined]
    summary = window.detail.editors["summary"].widget
    assert isinstance(summary, QPlainTextEdit)
    summary.setPlainText("The ficus by the window; water it on Sundays.")
    with (
        qtbot.waitSignal(window.changed, timeout=WAIT) as added,
        qtbot.waitSignal(window.listed, timeout=WAIT),
    ):
        window.detail.save_button.click()
    assert added.args[0] == "added"
    new_id = added.args[1]
    assert assistant.show(new_id).fields["name"] == "Ficus"
    assert selected_id(window, "semantic") == new_id
    assert window.detail.message.text() == "Added."
    show_tab(qtbot, window, "message")
    assert not window.new_button.isEnabled()  # raw sources are not written by hand
