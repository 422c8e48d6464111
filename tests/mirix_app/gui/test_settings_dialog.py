"""The settings dialog: built from the schema, saved through the facade and read
back by a fresh assistant; the API key goes to the keyring, never the file;
"Test connection" talks to the scripted LLM server; start at login writes the
XDG autostart entry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
)

from agents import Assistant, open_assistant
from agents.settings import SETTINGS
from mirix_app.gui.settings_dialog import HIDDEN, SettingsDialog
from tests.fakes import FakeEmbedder, MemoryKeyring
from tests.llm_server import ScriptedLLMServer

WAIT = 10_000
LLM_WAIT = 90_000  # the first call imports litellm, slow on a busy machine


def dialog_for(qtbot: Any, assistant: Assistant) -> SettingsDialog:
    dialog = SettingsDialog(assistant)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.use_shown, timeout=WAIT):
        dialog.show()
    return dialog


def test_every_setting_has_a_widget_with_its_help(qtbot: Any, assistant: Assistant) -> None:
    dialog = dialog_for(qtbot, assistant)
    assert set(dialog.fields) == {s.name for s in SETTINGS} - HIDDEN
    for s in SETTINGS:
        if s.name in HIDDEN:
            continue
        assert dialog.fields[s.name].widget.toolTip() == s.help
        assert dialog.fields[s.name].value() == assistant.settings[s.name]  # effective value
    assert isinstance(dialog.fields["local_llm"].widget, QCheckBox)
    assert isinstance(dialog.fields["capture_exclude_apps"].widget, QPlainTextEdit)
    frames = dialog.fields["vision_key_frames"].widget  # off (0) is in range, and stays 0
    assert isinstance(frames, QSpinBox) and (frames.minimum(), frames.maximum()) == (0, 4)
    assert "of 10 GB" in dialog.use_label.text() and "MB in all" in dialog.use_label.text()


def test_saved_settings_reload_and_the_key_goes_to_the_keyring(
    qtbot: Any, assistant: Assistant, data_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    dialog = dialog_for(qtbot, assistant)
    model = dialog.fields["llm_model"].widget
    interval = dialog.fields["capture_interval_s"].widget
    apps = dialog.fields["capture_exclude_apps"].widget
    assert isinstance(model, QLineEdit) and isinstance(interval, QDoubleSpinBox)
    assert isinstance(apps, QPlainTextEdit)
    model.setText("openai/gpt-4o-mini")
    interval.setValue(5.5)
    apps.setPlainText("keepassxc\nsignal")
    dialog.api_key.setText("sk-secret-123")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT) as saved:
        dialog.save()
    assert "API key (OS keyring)" in saved.args[0]
    assert dialog.message.text() == "Saved."
    assert dialog.api_key.text() == "" and dialog.pending.text() == ""

    assert memory_keyring.stored == {("mirix-app", "openai"): "sk-secret-123"}
    stored_file = (data_dir / "settings.json").read_text(encoding="utf-8")
    assert "sk-secret-123" not in stored_file
    assert json.loads(stored_file) == {
        "llm_model": "openai/gpt-4o-mini",
        "capture_interval_s": 5.5,
        "capture_exclude_apps": ["keepassxc", "signal"],
    }

    fresh = open_assistant(data_dir, embedder=FakeEmbedder())
    try:
        again = dialog_for(qtbot, fresh)
        assert again.fields["llm_model"].value() == "openai/gpt-4o-mini"
        assert again.fields["capture_interval_s"].value() == 5.5
        assert again.fields["capture_exclude_apps"].value() == ("keepassxc", "signal")
    finally:
        fresh.close()


def test_key_refused_when_no_keyring_is_usable(qtbot: Any, assistant: Assistant) -> None:
    dialog = dialog_for(qtbot, assistant)  # the test environment switches the keyring off
    model = dialog.fields["llm_model"].widget
    assert isinstance(model, QLineEdit)
    model.setText("openai/gpt-4o-mini")
    dialog.api_key.setText("sk-nowhere")
    with qtbot.waitSignal(dialog.failed, timeout=WAIT) as failed:
        dialog.save()
    assert "keyring" in failed.args[0] and "llm_api_key_env" in failed.args[0]
    assert "sk-nowhere" not in (assistant.storage.data_dir / "settings.json").read_text()


def test_an_emptied_text_setting_is_saved(qtbot: Any, assistant: Assistant) -> None:
    dialog = dialog_for(qtbot, assistant)
    apps = dialog.fields["capture_exclude_titles"].widget
    assert isinstance(apps, QPlainTextEdit)
    dialog.fields["clip_model"].widget.setText("")  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()  # an empty text is a valid value for a text setting
    assert assistant.settings.text("clip_model") == ""


def test_test_connection_uses_the_new_settings_and_key(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer, memory_keyring: MemoryKeyring
) -> None:
    dialog = dialog_for(qtbot, assistant)
    dialog.fields["llm_model"].widget.setText("openai/scripted")  # type: ignore[attr-defined]
    dialog.fields["llm_api_base"].widget.setText(llm_server.api_base)  # type: ignore[attr-defined]
    dialog.api_key.setText("sk-tested")
    llm_server.reply_text("ready")
    with qtbot.waitSignal(dialog.tested, timeout=LLM_WAIT) as tested:
        dialog.test_button.click()
    assert "answered “ready”" in tested.args[0]
    headers = {k.lower(): v for k, v in llm_server.requests[0].headers.items()}
    assert headers["authorization"] == "Bearer sk-tested"
    assert assistant.settings.text("llm_api_base") == llm_server.api_base


def test_test_connection_failure_is_one_plain_line(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer, memory_keyring: MemoryKeyring
) -> None:
    dialog = dialog_for(qtbot, assistant)
    dialog.fields["llm_model"].widget.setText("openai/scripted")  # type: ignore[attr-defined]
    dialog.fields["llm_api_base"].widget.setText(llm_server.api_base)  # type: ignore[attr-defined]
    dialog.api_key.setText("sk-wrong")
    llm_server.reply_error(401, "Incorrect API key provided.")
    with qtbot.waitSignal(dialog.failed, timeout=LLM_WAIT) as failed:
        dialog.test_button.click()
    assert "\n" not in failed.args[0] and "sk-wrong" not in failed.args[0]
    assert dialog.test_button.isEnabled()


def test_start_at_login_writes_and_removes_the_autostart_entry(
    qtbot: Any, assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    entry = tmp_path / "config" / "autostart" / "mirix-app.desktop"
    dialog = dialog_for(qtbot, assistant)
    box = dialog.fields["start_at_login"].widget
    assert isinstance(box, QCheckBox)
    box.setChecked(True)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()
    text = entry.read_text(encoding="utf-8")
    assert "[Desktop Entry]" in text and "Exec=" in text and "{exec}" not in text
    box.setChecked(False)
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()
    assert not entry.exists()


# -- nothing changes unless the user meant it ------------------------------------------


def wheel(widget: Any, notches: int = -1) -> QWheelEvent:
    """A real wheel event over the middle of ``widget`` (negative: scroll down)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        centre,
        widget.mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    return event


def test_the_wheel_over_an_unfocused_number_changes_nothing(
    qtbot: Any, assistant: Assistant
) -> None:
    dialog = dialog_for(qtbot, assistant)
    timeout = dialog.fields["llm_timeout_s"].widget
    topic = dialog.fields["chat_topic"].widget
    assert isinstance(timeout, QDoubleSpinBox) and isinstance(topic, QComboBox)
    dialog.save_button.setFocus()
    for box, before in ((timeout, timeout.value()), (topic, topic.currentIndex())):
        event = wheel(box)
        assert not event.isAccepted()  # left to the page, which scrolls
        assert not box.hasFocus()
        after = box.value() if isinstance(box, QDoubleSpinBox) else box.currentIndex()
        assert after == before
    assert dialog.changes() == {}
    # With the keyboard focus (clicked or tabbed into) the wheel does turn it.
    timeout.setFocus()
    wheel(timeout, notches=1)
    assert timeout.value() == 61.0


def test_choice_settings_are_combo_boxes_built_from_the_schema(
    qtbot: Any, assistant: Assistant, data_dir: Path
) -> None:
    dialog = dialog_for(qtbot, assistant)
    with_choices = [s for s in SETTINGS if s.choices and s.name not in HIDDEN]
    assert {s.name for s in with_choices} >= {"chat_topic", "llm_images", "embedder_backend"}
    for s in with_choices:
        box = dialog.fields[s.name].widget
        assert isinstance(box, QComboBox), s.name
        assert [box.itemData(i) for i in range(box.count())] == list(s.choices)
        assert not box.isEditable()  # no free text: "banana" cannot be typed
    topic = dialog.fields["chat_topic"].widget
    assert isinstance(topic, QComboBox)
    topic.setCurrentIndex(topic.findData("keywords"))
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()
    assert json.loads((data_dir / "settings.json").read_text()) == {"chat_topic": "keywords"}


def test_closing_discards_unsaved_edits(qtbot: Any, assistant: Assistant, data_dir: Path) -> None:
    dialog = dialog_for(qtbot, assistant)
    timeout = dialog.fields["llm_timeout_s"].widget
    assert isinstance(timeout, QDoubleSpinBox)
    timeout.setValue(52)
    assert dialog.pending.text() == "1 unsaved change"
    with qtbot.waitSignal(dialog.discarded, timeout=WAIT) as discarded:
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc closes, like the Close button
    assert discarded.args == [1]
    assert not dialog.isVisible() and timeout.value() == 60.0

    dialog.show()  # opened again (the app keeps the window): a save elsewhere saves nothing
    dialog.fields["capture_interval_s"].widget.setValue(3)  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()
    assert json.loads((data_dir / "settings.json").read_text()) == {"capture_interval_s": 3.0}
    assert assistant.settings.number("llm_timeout_s") == 60.0


def test_settings_are_named_in_words(qtbot: Any, assistant: Assistant) -> None:
    from mirix_app.gui.labels import SETTINGS as NAMED

    assert {s.name for s in SETTINGS} <= set(NAMED)  # every setting has its words
    dialog = dialog_for(qtbot, assistant)
    for name in dialog.fields:
        buddy_label = next(
            w for w in dialog.findChildren(QLabel) if w.buddy() is dialog.fields[name].widget
        )
        assert "_" not in buddy_label.text() and buddy_label.text() != name.replace("_", " ")
