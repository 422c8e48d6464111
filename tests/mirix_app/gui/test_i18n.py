"""The desktop app in Simplified Chinese: the translation file is complete and in
step with the code, it loads by the ``language`` setting or the system locale,
and every window shows Chinese (English stays English)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from agents.settings import BY_NAME, load_settings
from mirix_app.cli import cli
from mirix_app.gui.app import Desktop, language_setting
from mirix_app.gui.chat import Bubble
from mirix_app.gui.i18n import install_language, ui_language
from mirix_app.gui.settings_dialog import DESKTOP_PAGE, SettingsDialog, page_of
from mirix_app.gui.widgets import shorten
from storage.records import Hit

ROOT = Path(__file__).resolve().parents[3]
TS = ROOT / "assets" / "translations" / "mirix_zh_CN.ts"
HELP_TS = TS.with_name("settings_zh_CN.ts")
QM = TS.with_suffix(".qm")
WAIT = 10_000
needs_qt_tools = pytest.mark.skipif(
    shutil.which("pyside6-lupdate") is None or shutil.which("pyside6-lrelease") is None,
    reason="needs pyside6-lupdate and pyside6-lrelease (PySide6's tools)",
)
PLACEHOLDER = re.compile(r"\{[^}]*\}|%n|%\d|<[^>]+>")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def messages(ts: Path) -> dict[tuple[str, str], ET.Element]:
    """(context, source) -> the <message> element of a .ts file."""
    found = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            found[(name, message.findtext("source") or "")] = message
    return found


def translation_texts(message: ET.Element) -> list[str]:
    translation = message.find("translation")
    assert translation is not None
    forms = [f.text or "" for f in translation.iter("numerusform")]
    return forms if message.get("numerus") == "yes" else [translation.text or ""]


# -- the translation file --------------------------------------------------------------


def test_every_message_is_translated_with_its_placeholders() -> None:
    found = messages(TS) | messages(HELP_TS)
    assert len(found) > 300
    for (context, source), message in found.items():
        translation = message.find("translation")
        assert translation is not None and translation.get("type") is None, (context, source)
        for text in translation_texts(message):
            assert text.strip(), (context, source)
            # {0}, {0:,.2f}, %n, %1 and markup must survive as they are, or format() and
            # arg() fill in the wrong thing (or raise); a lone & would mark a shortcut
            assert placeholders(text) == placeholders(source), (context, source, text)
            assert "&" not in text.replace("&&", ""), (context, source, text)


@needs_qt_tools
def test_lupdate_over_the_code_finds_no_text_missing_from_the_translation(
    tmp_path: Path,
) -> None:
    """Every text the code marks for translation is in the .ts, and the .ts holds no
    text the code no longer shows (python packaging/translations.py updates it)."""
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "mirix_app" / "gui").glob("*.py"))
    subprocess.run(
        ["pyside6-lupdate", *sources, "-locations", "none", "-ts", str(fresh)],
        check=True,
        capture_output=True,
    )
    in_code, in_file = set(messages(fresh)), set(messages(TS))
    assert not in_code - in_file, "texts without a translation"
    assert not in_file - in_code, "translations of texts the code no longer has"


@needs_qt_tools
def test_the_compiled_translation_is_built_from_its_source(tmp_path: Path) -> None:
    built = tmp_path / "built.qm"
    subprocess.run(
        ["pyside6-lrelease", str(TS), str(HELP_TS), "-qm", str(built)],
        check=True,
        capture_output=True,
    )
    assert built.read_bytes() == QM.read_bytes(), "run python packaging/translations.py"


def test_every_settings_help_has_its_translation() -> None:
    """The settings window shows each setting's help from the schema, which lupdate
    cannot see: settings_zh_CN.ts holds exactly those texts."""
    from agents.settings import SETTINGS

    in_file = {source for context, source in messages(HELP_TS) if context == "SettingsHelp"}
    assert in_file == {s.help for s in SETTINGS}, "run python packaging/translations.py"


# -- choosing the language ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "system", "shown"),
    [
        ("system", "zh_CN", "zh_CN"),
        ("system", "zh_SG", "zh_CN"),
        ("system", "zh_TW", "en"),  # Traditional: no translation, so English
        ("system", "en_US", "en"),
        ("system", "fr_FR", "en"),
        ("zh_CN", "en_US", "zh_CN"),
        ("en", "zh_CN", "en"),
    ],
)
def test_the_language_follows_the_setting_then_the_system(
    setting: str, system: str, shown: str
) -> None:
    assert ui_language(setting, QLocale(system)) == shown


@pytest.mark.parametrize(
    ("environment", "said"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "对话"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "fr:zh_CN"}, "对话"),
        ({"LANG": "en_US.UTF-8"}, "Chat"),
        ({"LANG": "zh_CN.UTF-8", "MIRIX_APP_LANGUAGE": "en"}, "Chat"),
    ],
)
def test_a_fresh_app_reads_the_system_locale(
    tmp_path: Path, environment: dict[str, str], said: str
) -> None:
    """As ``mirix-app`` starts: the setting from the data folder, then the locale Qt
    reads from the environment (which a running process cannot change)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.pop("MIRIX_APP_LANGUAGE", None)
    env.update(environment, QT_QPA_PLATFORM="offscreen")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from mirix_app.gui.app import language_setting\n"
        "from mirix_app.gui.i18n import install_language, translate\n"
        "app = QApplication([])\n"
        "install_language(app, language_setting(Path(sys.argv[1])))\n"
        "print(translate('Desktop', 'Chat'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == said


def test_config_set_language_is_read_at_start(data_dir: Path) -> None:
    from click.testing import CliRunner

    assert language_setting(data_dir) == "system"
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "config", "set", "language", "zh_CN"]
    )
    assert result.exit_code == 0, result.output
    assert load_settings(data_dir).text("language") == "zh_CN"
    assert language_setting(data_dir) == "zh_CN"
    refused = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "config", "set", "language", "de"]
    )
    assert refused.exit_code == 1 and "Error:" in refused.output


# -- the windows -------------------------------------------------------------------------


def shown_texts(window: QWidget) -> set[str]:
    """What a window shows in words: its title, labels, buttons, group titles, tabs,
    lists, boxes and placeholders."""
    texts = {window.windowTitle()}
    for widget in window.findChildren(QWidget):
        if isinstance(widget, QLabel | QAbstractButton):
            texts.add(widget.text())
        if isinstance(widget, QLineEdit | QPlainTextEdit):
            texts.add(widget.placeholderText())
        if isinstance(widget, QGroupBox):
            texts.add(widget.title())
        if isinstance(widget, QTabWidget):
            texts.update(widget.tabText(n) for n in range(widget.count()))
        if isinstance(widget, QListWidget):
            texts.update(widget.item(n).text() for n in range(widget.count()))
        if isinstance(widget, QComboBox):
            texts.update(widget.itemText(n) for n in range(widget.count()))
    return {t for t in texts if t}


def english_left(texts: set[str]) -> set[str]:
    """Shown texts that are a source text of the translation, untranslated (a few
    translate to themselves, such as "100 %")."""
    found = messages(TS) | messages(HELP_TS)
    same = {
        source
        for (_context, source), message in found.items()
        if source in translation_texts(message)
    }
    sources = {s for _c, source in found for s in (source, source.replace("&&", "&"))}
    return {t for t in texts if t in sources and t not in same}


WINDOWS: dict[str, tuple[set[str], set[str]]] = {
    # window: (what it shows in Chinese, the same in English)
    "chat": (
        {"对话 — mirix-app", "发送", "问问你看过或说过的任何事"},
        {"Chat — mirix-app", "Send"},
    ),
    "memories": (
        {"记忆 — mirix-app", "新建", "核心", "情景", "事实", "操作指南", "保险库", "截图"},
        {"Memories — mirix-app", "New", "Episodes", "Vault"},
    ),
    "screens": (
        {
            "搜索截图 — mirix-app",
            "搜索",
            "最近 24 小时",
            "所有应用",
            "屏幕上出现过什么？例如“发票总额”“飞往里斯本的航班”",
        },
        {"Search screenshots — mirix-app", "Search", "Last 24 hours"},
    ),
    "search": (
        {"全局搜索 — mirix-app", "搜索记忆、消息和截图…", "搜索你看过和说过的一切"},
        {"Search everything — mirix-app"},
    ),
    "settings": (
        {"设置 — mirix-app", "语言模型", "截屏与隐私", "桌面", "保存", "语言", "简体中文", "外观"},
        {"Settings — mirix-app", "Language model", "Capture && privacy", "Save", "Language"},
    ),
    "first_run": (
        {"欢迎使用 mirix-app", "完成", "隐私", "暂不使用语言模型"},
        {"Welcome to mirix-app", "Finish", "Privacy"},
    ),
}


@pytest.fixture(
    params=[("zh_CN", "en_US"), ("system", "zh_CN"), ("en", "zh_CN"), ("system", "en_US")],
    ids=["zh_CN", "system-zh_CN", "en", "system-en_US"],
)
def language(request: Any, qapp: QApplication) -> Iterator[str]:
    """The language installed as at start, for a setting and a system locale; English
    again afterwards."""
    setting, system = request.param
    yield install_language(qapp, setting, QLocale(system))
    install_language(qapp, "en")


def open_every_window(qtbot: Any, desktop: Desktop) -> dict[str, QWidget]:
    windows = {
        "chat": desktop.open_chat(),
        "memories": desktop.open_memories(),
        "screens": desktop.open_screens(),
        "search": desktop.open_search(),
        "settings": desktop.open_settings(),
        "first_run": desktop.open_first_run(),
    }
    with qtbot.waitSignal(windows["settings"].use_shown, timeout=WAIT):
        pass
    return windows


def test_every_window_and_the_tray_speak_the_chosen_language(
    qtbot: Any, opener: Any, language: str
) -> None:
    chinese = language == "zh_CN"
    desktop = Desktop(opener, use_tray=True, show_first_run=False)
    with qtbot.waitSignal(desktop.ready, timeout=WAIT):
        pass
    try:
        assert desktop.tray is not None
        menu = [a.text() for a in desktop.tray.contextMenu().actions() if not a.isSeparator()]
        if chinese:
            assert menu[:4] == ["对话", "全局搜索", "搜索截图", "记忆"]
            assert menu[5:] == ["遗忘", "设置", "退出"]
            assert desktop.forget_menu.actions()[0].text() == "最近 5 分钟"
        else:
            assert menu[:4] == ["Chat", "Search everything", "Search screenshots", "Memories"]
        for name, window in open_every_window(qtbot, desktop).items():
            texts = shown_texts(window)
            expected = WINDOWS[name][0 if chinese else 1]
            assert expected <= texts, (name, expected - texts)
            # under English, the same check finds the English texts it looks for
            assert bool(english_left(texts)) != chinese, (name, english_left(texts))
    finally:
        desktop.quit()


def test_qt_standard_buttons_follow_the_language(qapp: QApplication, language: str) -> None:
    """Qt's own texts (a message box's Yes and No, as the forget question shows)."""
    box = QMessageBox(QMessageBox.Icon.Question, "?", "?")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    yes = box.button(QMessageBox.StandardButton.Yes).text().replace("&", "")
    assert ("是" in yes) if language == "zh_CN" else (yes == "Yes")
    box.deleteLater()


def test_a_cut_line_of_chinese_is_as_wide_as_one_of_english() -> None:
    assert shorten("a" * 48, 48) == "a" * 48
    assert shorten("a" * 50, 48) == "a" * 47 + "…"
    assert shorten("发" * 24, 48) == "发" * 24  # 48 columns
    assert shorten("发" * 30, 48) == "发" * 23 + "…"  # 46 columns and the ellipsis
    assert shorten("ab发布会", 5) == "ab发…"


def test_memories_under_a_chinese_answer_are_not_cut_off(qtbot: Any) -> None:
    """Chinese wraps into more lines than English at the same width: the list of the
    memories used gets the height of the width it is shown at."""
    texts = [
        ("episodic", "发布改到周四上午 10:00；还需要最终版幻灯片"),
        ("episodic", "林晓: 好的。她第一次打疫苗是周四 17:15，在榆树街宠物诊所。"),
        ("episodic", "助手: 味噌这个名字真可爱！要我也帮你记住她的兽医预约吗？"),
        ("semantic", "北风云主机 — 博客和发布网站的主机服务商；每月开一次发票"),
        ("message", "发布改到周四上午 10:00。周三中午代码冻结。"),
        ("message", "味噌这个名字真可爱！要我也帮你记住她的兽医预约吗？"),
        ("screenshot", "日历 — 三月 — gnome-calendar: 日历一三月 10:40 14 日星期四"),
        ("screenshot", "团队聊天 | #发布 | 星河科技 — slack: 团队聊天|#发布|星河科技"),
    ]
    hits = [
        Hit(id=f"id{n}", type=t, score=1.0, text=text, at="2026-12-01T09:00:00Z")
        for n, (t, text) in enumerate(texts)
    ]
    host = QWidget()
    qtbot.addWidget(host)
    column = QVBoxLayout(host)
    bubble = Bubble("assistant", "味噌第一次打疫苗是周四 17:15。")
    column.addWidget(bubble)
    column.addStretch(1)  # as in the chat: the bubble gets the height it asks for
    bubble.show_memories(hits)
    host.resize(760, 600)
    host.show()
    qtbot.waitExposed(host)
    shown = bubble.memories
    assert shown.width() == shown.maximumWidth()  # as wide as it may be
    assert shown.height() >= shown.heightForWidth(shown.width())


def test_the_language_is_chosen_in_settings_for_the_next_start(
    qtbot: Any, assistant: Any, data_dir: Path
) -> None:
    dialog = SettingsDialog(assistant)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.use_shown, timeout=WAIT):
        pass
    box = dialog.fields["language"].widget
    assert isinstance(box, QComboBox)
    names = {box.itemData(i): box.itemText(i) for i in range(box.count())}
    assert names == {"system": "as the system", "en": "English", "zh_CN": "简体中文"}
    assert page_of(BY_NAME["language"]) == DESKTOP_PAGE
    box.setCurrentIndex(box.findData("zh_CN"))
    with qtbot.waitSignal(dialog.saved, timeout=WAIT):
        dialog.save()
    assert "starts again" in dialog.message.text()
    assert language_setting(data_dir) == "zh_CN"
