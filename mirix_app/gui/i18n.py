"""Translation: every text a window shows goes through Qt's translate, and a
translation (a .qm file loaded at start) replaces it.

``QT_TRANSLATE_NOOP(context, text)`` marks a text kept in a table for
translation where it is shown (``translate(context, text)``); it is Qt's own
name, which Qt's lupdate looks for, typed here to return the text.

The translations live in ``assets/translations/``: ``mirix_LANG.ts`` holds the
windows' texts (Qt Linguist's format, made by lupdate), ``settings_LANG.ts`` the
settings' help texts from the schema, and ``mirix_LANG.qm`` both compiled, the
file the app loads. After changing a shown text or a setting's help, run
``python packaging/translations.py`` and translate what it reports; a test fails
while a text has no translation or the .qm is older than its sources.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from mirix_app.gui.assets import asset_path

TRANSLATED = ("zh_CN",)
"""The languages with a translation in assets/translations (English is the source)."""
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}
"""Each language named in itself, as a language menu shows it (never translated)."""
_TRANSLATOR = "mirix-app translator"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    return text


def translate(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def ui_language(setting: str, system: QLocale | None = None) -> str:
    """The language the windows show for the ``language`` setting: ``en``, or one of
    TRANSLATED. ``system`` follows the locale's languages in order of preference
    (LANGUAGE, then LC_ALL, LC_MESSAGES, LANG on Linux): the first that is English
    or translated wins, so Simplified Chinese (zh_CN, zh_SG, plain zh) reads
    Chinese, and Traditional (zh_TW, zh_HK) falls back to English."""
    if setting != "system":
        return setting if setting in TRANSLATED else "en"
    locale = system if system is not None else QLocale.system()
    seen: set[QLocale.Language] = set()
    for name in locale.uiLanguages():
        wanted = QLocale(name)
        if wanted.language() in seen:
            continue  # zh-Hant-TW is followed by a plain zh, which would read Simplified
        seen.add(wanted.language())
        if wanted.language() == QLocale.Language.English:
            return "en"
        if (
            wanted.language() == QLocale.Language.Chinese
            and wanted.script() == QLocale.Script.SimplifiedChineseScript
        ):
            return "zh_CN"
    return "en"


def install_language(app: QCoreApplication, setting: str, system: QLocale | None = None) -> str:
    """Show the windows in the language ``setting`` asks for: the app's translation
    and Qt's own for its standard dialogs and buttons (qtbase, shipped with
    PySide6), replacing any installed before. Windows built afterwards use it.
    Returns the language chosen (``en``: no translation)."""
    for old in app.findChildren(QTranslator, _TRANSLATOR):
        app.removeTranslator(old)
        old.deleteLater()
    language = ui_language(setting, system)
    if language == "en":
        return language
    own = QTranslator(app)
    if not own.load(str(asset_path(f"translations/mirix_{language}.qm"))):
        raise OSError(f"The translation file mirix_{language}.qm cannot be read.")
    files = [own]
    qt = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(f"qtbase_{language}", qt_dir):  # a PySide6 build may lack them: Qt stays English
        files.append(qt)
    for translator in files:
        translator.setObjectName(_TRANSLATOR)
        app.installTranslator(translator)
    return language
