"""The desktop controller: tray menu, the launcher window where there is no tray,
and the first-run dialog on the first start only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QSystemTrayIcon

from agents.settings import load_settings
from mirix_app.gui.app import Desktop
from mirix_app.gui.browser import MemoryBrowser
from mirix_app.gui.first_run import FirstRunDialog
from mirix_app.gui.settings_dialog import SettingsDialog
from tests.fakes import SAMPLE_MESSAGES, message, write_jsonl
from tests.llm_server import MODEL, ScriptedLLMServer

WAIT = 10_000


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
        assert texts[:3] == ["Chat", "Search screenshots", "Memories"]
        assert texts[4:] == ["Forget", "Settings", "Quit"]
        forget = [a.text() for a in desktop.forget_menu.actions()]
        assert forget == ["The last 5 minutes", "The last hour", "Today"]
        assert texts[3] in (
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
        assert dialog.local.isChecked()  # no provider configured yet
        assert desktop.capture.state == "stopped"  # nothing captured before the user chose
        assert "keepassxc" in dialog.exclude_apps.toPlainText()
        assert "incognito" in dialog.exclude_titles.toPlainText()
        dialog.exclude_apps.setPlainText("keepassxc\nsignal")
        dialog.capture_now.setChecked(False)
        with qtbot.waitSignal(dialog.finished_setup, timeout=WAIT):
            dialog.finish_button.click()
        assert not dialog.isVisible()
    finally:
        close(desktop)
    settings = load_settings(data_dir)
    assert settings.flag("first_run_done") is True
    assert settings.texts("capture_exclude_apps") == ("keepassxc", "signal")
    assert settings.flag("capture_on_start") is False
    assert settings.flag("local_llm") is True

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
    finally:
        close(desktop)


def test_first_run_starts_capture_only_when_asked(qtbot: Any, opener: Any) -> None:
    desktop = start(qtbot, opener, use_tray=False, show_first_run=True)
    try:
        dialog = desktop.windows["first_run"]
        assert isinstance(dialog, FirstRunDialog)
        assert desktop.capture.state == "stopped"
        dialog.capture_now.setChecked(True)
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
