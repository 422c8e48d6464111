"""The desktop controller: tray menu, the launcher window where there is no tray,
and the first-run dialog on the first start only."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from agents.llm import LocalModelCheck, LocalModelSettings
from agents.settings import load_settings
from mirix_app.gui import theme
from mirix_app.gui.app import Desktop
from mirix_app.gui.browser import MemoryBrowser
from mirix_app.gui.first_run import FirstRunDialog
from mirix_app.gui.quick_search import QuickSearch
from mirix_app.gui.settings_dialog import SettingsDialog
from tests.fakes import SAMPLE_MESSAGES, MemoryKeyring, message, write_jsonl
from tests.llm_server import MODEL, ScriptedLLMServer

ROOT = Path(__file__).resolve().parents[3]
WAIT = 10_000
LLM_WAIT = 90_000  # the first call imports litellm, slow on a busy machine


def start(qtbot: Any, opener: Any, **kw: Any) -> Desktop:
    kw.setdefault("show_first_run", False)
    desktop = Desktop(opener, **kw)
    with qtbot.waitSignal(desktop.ready, timeout=WAIT):
        pass
    return desktop


def close(desktop: Desktop) -> None:
    desktop.quit()


def test_tray_menu_has_every_action(qtbot: Any, opener: Any) -> None:
    desktop = start(qtbot, opener, use_tray=True)
    try:
        assert desktop.tray is not None and desktop.launcher is None
        menu = desktop.tray.contextMenu()
        texts = [a.text() for a in menu.actions() if not a.isSeparator()]
        assert texts[:4] == ["Chat", "Search everything", "Search screenshots", "Memories"]
        assert texts[5:] == ["Forget", "Settings", "Quit"]
        forget = [a.text() for a in desktop.forget_menu.actions()]
        assert forget == ["The last 5 minutes", "The last hour", "Today"]
        assert all(not a.icon().isNull() for a in menu.actions() if not a.isSeparator())
        assert texts[4] in (
            "Start capture",
            "Pause capture",
            "Resume capture",
            "Capture unavailable",
        )
        assert all(a.isEnabled() for a in menu.actions() if a.text() != "Capture unavailable")
        assert not desktop.tray.icon().isNull()
        assert desktop.tray.toolTip().startswith("mirix-app: ")
    finally:
        close(desktop)


def test_tray_actions_open_their_windows(qtbot: Any, opener: Any) -> None:
    desktop = start(qtbot, opener, use_tray=True)
    try:
        desktop.actions["memories"].trigger()
        browser = desktop.windows["memories"]
        assert isinstance(browser, MemoryBrowser) and browser.isVisible()
        with qtbot.waitSignal(browser.listed, timeout=WAIT):
            pass
        desktop.actions["settings"].trigger()
        assert isinstance(desktop.windows["settings"], SettingsDialog)
        assert desktop.windows["settings"].isVisible()
        desktop.actions["memories"].trigger()  # a second time: the same window, raised
        assert desktop.windows["memories"] is browser
    finally:
        close(desktop)
    assert not browser.isVisible()
    assert desktop.assistant is None  # quit closed the database


def test_without_a_tray_a_launcher_window_has_the_same_actions(qtbot: Any, opener: Any) -> None:
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # the offscreen platform has none
    desktop = start(qtbot, opener)  # use_tray=None: ask the platform
    try:
        assert desktop.tray is None and desktop.launcher is not None
        launcher = desktop.launcher
        assert launcher.isVisible()
        labels = {k: b.text() for k, b in launcher.buttons.items()}
        assert labels["chat"] == "Chat" and labels["quit"] == "Quit"
        assert labels["memories"] == "Memories" and labels["settings"] == "Settings"
        assert "Capture" in launcher.state_label.text() or "capture" in labels["capture"].lower()
        launcher.buttons["memories"].click()
        assert isinstance(desktop.windows["memories"], MemoryBrowser)
        with qtbot.waitSignal(desktop.windows["memories"].listed, timeout=WAIT):
            pass
    finally:
        close(desktop)
    assert not launcher.isVisible()


def test_launcher_notice_when_capture_pauses_itself(qtbot: Any, opener: Any) -> None:
    desktop = start(qtbot, opener, use_tray=False)
    try:
        with qtbot.waitSignal(desktop.notified, timeout=WAIT) as note:
            desktop.notify("Capture paused", "The disk is full.")
        assert note.args == ["Capture paused", "The disk is full."]
        assert desktop.launcher is not None
        assert "disk is full" in desktop.launcher.notice.text()
    finally:
        close(desktop)


def test_first_start_opens_first_run_and_finishing_saves(
    qtbot: Any, opener: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # conftest turns the embedded model off through the environment, which would
    # override the choice this dialog saves to the settings file.
    monkeypatch.delenv("MIRIX_APP_LOCAL_LLM")
    desktop = start(qtbot, opener, use_tray=False, show_first_run=True)
    try:
        dialog = desktop.windows.get("first_run")
        assert isinstance(dialog, FirstRunDialog) and dialog.isVisible()
        # the embedded model is installed in the test environment and chosen by default
        assert dialog.chosen.key == "local"
        assert desktop.capture.state == "stopped"  # nothing captured before the user chose
        assert "keepassxc" in dialog.exclude_apps.toPlainText()
        assert "incognito" in dialog.exclude_titles.toPlainText()
        dialog.exclude_apps.setPlainText("keepassxc\nsignal")
        dialog.capture_now.setChecked(False)
        dialog.cards["none"].radio.setChecked(True)  # no model: nothing to check with a call
        with qtbot.waitSignal(dialog.finished_setup, timeout=WAIT):
            dialog.finish_button.click()
        assert not dialog.isVisible()
    finally:
        close(desktop)
    settings = load_settings(data_dir)
    assert settings.flag("first_run_done") is True
    assert settings.texts("capture_exclude_apps") == ("keepassxc", "signal")
    assert settings.flag("capture_on_start") is False
    assert settings.flag("local_llm") is False and settings.text("llm_model") == ""

    again = start(qtbot, opener, use_tray=False, show_first_run=True)
    try:
        assert "first_run" not in again.windows
    finally:
        close(again)


def test_first_run_with_a_provider_needs_a_model(qtbot: Any, opener: Any) -> None:
    desktop = start(qtbot, opener, use_tray=False, show_first_run=True)
    try:
        dialog = desktop.windows["first_run"]
        assert isinstance(dialog, FirstRunDialog)
        dialog.provider.setChecked(True)
        dialog.model.setText("")
        dialog.finish_button.click()
        assert "model" in dialog.message.text()
        assert dialog.isVisible()
        assert not (dialog.assistant.storage.data_dir / "settings.json").exists()  # not saved
    finally:
        close(desktop)


def test_first_run_starts_capture_only_when_asked(qtbot: Any, opener: Any) -> None:
    desktop = start(qtbot, opener, use_tray=False, show_first_run=True)
    try:
        dialog = desktop.windows["first_run"]
        assert isinstance(dialog, FirstRunDialog)
        assert desktop.capture.state == "stopped"
        dialog.capture_now.setChecked(True)
        dialog.cards["none"].radio.setChecked(True)
        with qtbot.waitSignal(desktop.capture.state_changed, timeout=WAIT) as changed:
            dialog.finish_button.click()
        # capturing, or paused by itself where the test machine has no display
        assert changed.args[0] in ("capturing", "paused")
    finally:
        close(desktop)


def test_the_memory_agents_take_due_batches_in_the_background(
    qtbot: Any, opener: Any, data_dir: Path, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    desktop = start(qtbot, opener, use_tray=False)
    try:
        app = desktop.assistant
        assert desktop.absorb_timer.isActive()
        app.set_config("llm_model", MODEL)
        app.set_config("llm_api_base", llm_server.api_base)
        app.set_config("batch_items", "4")
        app.import_messages(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES[:4]))
        assert len(app.storage.batches.pending()) == 1
        llm_server.reply_tool_calls(("dispatch", {"assignments": []}))
        with qtbot.waitSignal(desktop.absorbed, timeout=60_000) as done:  # litellm loads
            desktop.absorb_due()  # what the timer does every minute
        assert done.args[0].done == 1
        assert app.storage.batches.pending() == []
        assert len(llm_server.requests) == 1
    finally:
        close(desktop)


def test_a_provider_error_in_the_background_is_told_once(
    qtbot: Any, opener: Any, tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    desktop = start(qtbot, opener, use_tray=False)
    notices: list[tuple[str, str]] = []
    desktop.notified.connect(
        lambda title, text: (
            notices.append((title, text)) if title == "Memory agents are waiting" else None
        )
    )
    try:
        app = desktop.assistant
        app.set_config("llm_model", MODEL)
        app.set_config("llm_api_base", llm_server.api_base)
        app.set_config("batch_items", "2")
        app.import_messages(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES[:4]))

        def background_round() -> Any:
            with qtbot.waitSignal(desktop.absorbed, timeout=60_000) as done:
                desktop.absorb_due()
            return done.args[0]

        llm_server.reply_error(401)
        report = background_round()
        assert (report.failed, report.waiting) == (1, 1)
        assert len(notices) == 1
        assert "API key" in notices[0][1] and "Settings" in notices[0][1]

        # The refused batch waits out its back-off; the other one meets the same error.
        llm_server.reply_error(401)
        report = background_round()
        assert (report.failed, report.waiting) == (1, 1)
        assert len(notices) == 1  # the same problem is not told again
    finally:
        close(desktop)


def test_forget_the_last_five_minutes_from_the_tray(
    qtbot: Any, opener: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desktop = start(qtbot, opener, use_tray=True)
    try:
        now = datetime.now(UTC)
        lines = [
            message(
                external_id="old", text="Lunch with Ann.", at=(now - timedelta(hours=2)).isoformat()
            ),
            message(
                external_id="new",
                text="My PIN is 4096.",
                at=(now - timedelta(minutes=2)).isoformat(),
            ),
        ]
        desktop.assistant.import_messages(write_jsonl(tmp_path / "m.jsonl", lines))
        asked: list[str] = []

        def answer(_parent: Any, title: str, text: str, *a: Any) -> QMessageBox.StandardButton:
            asked.append(f"{title} {text}")
            return QMessageBox.StandardButton.Yes

        monkeypatch.setattr(QMessageBox, "question", answer)
        with qtbot.waitSignal(desktop.forgot, timeout=WAIT) as forgot:
            desktop.actions["forget_5m"].trigger()
        assert asked == [
            "Forget the last 5 minutes? This deletes for good 1 message, with the 1 memory "
            "made only from them: images, text and everything made from them. It cannot be "
            "undone."
        ]
        assert forgot.args[0].plan.messages
        left = [r.fields["external_id"] for r in desktop.assistant.browse("message")]
        assert left == ["old"]
    finally:
        close(desktop)


# -- first run offers what can work now, and checks it before closing --------------------


def not_installed() -> LocalModelCheck:
    return LocalModelCheck(None, "llama-cpp-python is not installed, so no local model: pip ...")


def test_first_run_offers_only_what_can_work_and_says_what_each_needs(
    qtbot: Any, assistant: Any
) -> None:
    dialog = FirstRunDialog(assistant, local_check=not_installed)
    qtbot.addWidget(dialog)
    assert list(dialog.cards) == ["provider", "local_server", "none"]  # no embedded model to choose
    assert dialog.chosen.key == "none"  # nothing configured: nothing pre-chosen that fails
    assert "llama-cpp-python is not installed" in dialog.not_offered.text()
    for card in dialog.cards.values():
        assert card.needs.text().startswith("Needs")
    assert not dialog.cards["provider"].form.isVisibleTo(dialog)
    dialog.provider.setChecked(True)
    assert dialog.cards["provider"].form.isVisibleTo(dialog)

    installed = FirstRunDialog(
        assistant,
        local_check=lambda: LocalModelCheck(
            LocalModelSettings(model="local/x", model_path="/m.gguf"), "installed"
        ),
    )
    qtbot.addWidget(installed)
    assert list(installed.cards) == ["provider", "local_server", "local", "none"]
    assert not installed.not_offered.isVisibleTo(installed)


def test_first_run_checks_the_provider_before_closing(
    qtbot: Any, assistant: Any, llm_server: ScriptedLLMServer, memory_keyring: MemoryKeyring
) -> None:
    dialog = FirstRunDialog(assistant, local_check=not_installed)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.provider.setChecked(True)
    dialog.model.setText(MODEL)
    dialog.cards["provider"].choice.api_base.setText(llm_server.api_base)  # type: ignore[attr-defined]
    dialog.cards["provider"].choice.key_edit.setText("sk-wrong")  # type: ignore[attr-defined]
    llm_server.reply_error(401, "Incorrect API key provided.")
    with qtbot.waitSignal(dialog.failed, timeout=LLM_WAIT) as failed:
        dialog.finish_button.click()
    assert dialog.isVisible() and "did not answer" in failed.args[0]
    assert "API key" in dialog.message.text()
    assert dialog.keep_button.isVisible() and dialog.finish_button.isEnabled()
    assert assistant.settings.flag("first_run_done") is False

    dialog.cards["provider"].choice.key_edit.setText("sk-right")  # type: ignore[attr-defined]
    llm_server.reply_text("ready")
    with qtbot.waitSignal(dialog.finished_setup, timeout=LLM_WAIT):
        dialog.finish_button.click()
    assert not dialog.isVisible()
    assert assistant.settings.flag("first_run_done") is True
    assert assistant.settings.text("llm_model") == MODEL
    assert memory_keyring.stored == {("mirix-app", "openai"): "sk-right"}


def test_a_failed_check_can_be_kept_anyway(
    qtbot: Any, assistant: Any, llm_server: ScriptedLLMServer
) -> None:
    dialog = FirstRunDialog(assistant, local_check=not_installed)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.provider.setChecked(True)
    dialog.model.setText(MODEL)
    dialog.cards["provider"].choice.api_base.setText("http://127.0.0.1:9/v1")  # type: ignore[attr-defined]
    assistant.set_config("llm_timeout_s", "2")
    with qtbot.waitSignal(dialog.failed, timeout=LLM_WAIT):
        dialog.finish_button.click()
    with qtbot.waitSignal(dialog.finished_setup, timeout=WAIT):
        dialog.keep_button.click()
    assert assistant.settings.flag("first_run_done") is True
    assert assistant.settings.text("llm_api_base") == "http://127.0.0.1:9/v1"


# -- keys, search everywhere, the look -------------------------------------------------


def test_ctrl_k_searches_from_any_window_and_esc_closes(
    qtbot: Any, opener: Any, tmp_path: Path
) -> None:
    desktop = start(qtbot, opener, use_tray=True)
    try:
        app = desktop.assistant
        app.import_messages(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES))
        for open_window in (desktop.open_chat, desktop.open_memories, desktop.open_screens):
            window = open_window()
            window.activateWindow()
            qtbot.waitUntil(lambda w=window: QApplication.activeWindow() is w, timeout=WAIT)
            qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
            search = desktop.windows.get("search")
            assert isinstance(search, QuickSearch) and search.isVisible()
            qtbot.waitUntil(lambda s=search: QApplication.activeWindow() is s, timeout=WAIT)
            assert search.query.hasFocus()  # ready to type
            search.hide()
            window.activateWindow()
            qtbot.waitUntil(lambda w=window: QApplication.activeWindow() is w, timeout=WAIT)
            qtbot.keyClick(window, Qt.Key.Key_Escape)
            assert not window.isVisible()

        search = desktop.open_search()
        assert isinstance(search, QuickSearch)
        with qtbot.waitSignal(search.searched, timeout=WAIT) as found:
            qtbot.keyClicks(search.query, "guitar lessons")
        assert found.args[0] >= 1
        first = search.results.item(0)
        assert "guitar" in first.text().lower()
        qtbot.keyClick(search.query, Qt.Key.Key_Return)  # opens it in the memory browser
        browser = desktop.windows["memories"]
        assert isinstance(browser, MemoryBrowser)
        with qtbot.waitSignal(browser.shown, timeout=WAIT) as shown:
            pass
        assert shown.args[0] == first.data(Qt.ItemDataRole.UserRole)
        assert browser.isVisible()
    finally:
        close(desktop)


def test_search_everywhere_says_how_it_read_a_period(
    qtbot: Any, opener: Any, tmp_path: Path
) -> None:
    desktop = start(qtbot, opener, use_tray=False)
    try:
        desktop.assistant.import_messages(write_jsonl(tmp_path / "m.jsonl", SAMPLE_MESSAGES))
        search = desktop.open_search()
        assert isinstance(search, QuickSearch)
        with qtbot.waitSignal(search.searched, timeout=WAIT):
            qtbot.keyClicks(search.query, "guitar lessons last week")
        assert search.status.text().startswith("What happened “last week” (")
        assert "results, best first" in search.status.text()
        with qtbot.waitSignal(search.searched, timeout=WAIT):
            search.query.setText("guitar lessons")
        assert "What happened" not in search.status.text()  # no period named
    finally:
        close(desktop)


def test_the_theme_follows_the_setting(qtbot: Any, opener: Any) -> None:
    desktop = start(qtbot, opener, use_tray=False)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        desktop.assistant.set_config("theme", "dark")
        desktop.apply_theme()
        assert theme.is_dark()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 60
        assert theme.DARK.window in app.styleSheet()
        desktop.assistant.set_config("theme", "light")
        desktop.apply_theme()
        assert not theme.is_dark()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200
        # system: follows Qt's colour-scheme hint (the offscreen platform reports none:
        # its palette decides, which is light)
        desktop.assistant.set_config("theme", "system")
        desktop.apply_theme()
        assert theme.is_dark() == theme.system_is_dark()
    finally:
        close(desktop)


def test_every_icon_in_assets_draws_in_both_schemes(qtbot: Any) -> None:
    from mirix_app.gui.assets import asset_path

    names = sorted(
        p.stem.removeprefix("icon-") for p in asset_path("mirix-app.svg").parent.glob("icon-*.svg")
    )
    assert {"core", "episodic", "semantic", "procedural", "resource", "knowledge_vault"} <= set(
        names
    )
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        for scheme in ("light", "dark"):
            theme.apply(app, scheme)
            for name in names:
                image = theme.icon(name).pixmap(24, 24).toImage()
                assert not image.isNull()
                drawn = {image.pixelColor(x, y).alpha() > 0 for x in range(24) for y in range(24)}
                assert True in drawn, name  # something was drawn
    finally:
        theme.apply(app, "light")


def test_a_closed_window_is_deleted_and_opens_afresh(qtbot: Any, opener: Any) -> None:
    """Closed windows kept what they showed (chat bubbles, thumbnails, full images)
    for the whole session; now closing one frees it."""
    desktop = start(qtbot, opener, use_tray=True)
    try:
        chat = desktop.open_chat()
        gone: list[bool] = []
        chat.destroyed.connect(lambda *_a: gone.append(True))
        chat.close()
        qtbot.waitUntil(lambda: bool(gone), timeout=WAIT)  # deleted, not just hidden
        assert "chat" not in desktop.windows
        again = desktop.open_chat()
        assert desktop.windows["chat"] is again and again.isVisible()
    finally:
        close(desktop)


def test_the_llm_library_is_loaded_at_start_only_with_a_provider(
    assistant: Any, llm_server: ScriptedLLMServer
) -> None:
    assert assistant.warm_up_llm() is False  # no model configured: nothing to load
    assistant.set_config("llm_model", MODEL)
    assistant.set_config("llm_api_base", llm_server.api_base)
    assert assistant.warm_up_llm() is True
    assert llm_server.requests == []  # nothing was sent


@pytest.mark.skipif(shutil.which("pyside6-lupdate") is None, reason="needs pyside6-lupdate")
def test_every_shown_text_is_ready_for_translation(tmp_path: Path) -> None:
    """Qt's lupdate finds the windows' texts, each in the context it is translated in
    (a text found without one would never be looked up)."""
    sources = sorted(str(p) for p in (ROOT / "mirix_app" / "gui").glob("*.py"))
    ts = tmp_path / "check.ts"
    subprocess.run(["pyside6-lupdate", *sources, "-ts", str(ts)], check=True, capture_output=True)
    text = ts.read_text(encoding="utf-8")
    assert "<name></name>" not in text
    assert text.count("<source>") > 200
    for shown in ("Not answered: {0}", "Search everything", "Keep it anyway", "Undo delete"):
        assert f"<source>{shown}</source>" in text
