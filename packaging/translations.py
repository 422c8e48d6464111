"""Bring the desktop app's translations up to date with the code, then compile them.

For each language in mirix_app.gui.i18n.TRANSLATED, in assets/translations/:

- ``mirix_LANG.ts``: Qt's lupdate over mirix_app/gui (every text marked with tr,
  translate or QT_TRANSLATE_NOOP); new texts come in unfinished, texts the code
  no longer has are dropped;
- ``settings_LANG.ts``: the settings' help texts from the schema
  (agents.settings), which the code keeps plain (context ``SettingsHelp``),
  written here the same way;
- ``mirix_LANG.qm``: both compiled into the one file the app loads.

    python packaging/translations.py

Then translate what it reports as unfinished (pyside6-linguist opens .ts files,
or edit them: a <translation type="unfinished"> loses its type once filled), and
run it again. tests/mirix_app/gui/test_i18n.py fails while anything is left.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FOLDER = ROOT / "assets" / "translations"
HELP_CONTEXT = "SettingsHelp"


def update_gui(ts: Path, language: str) -> None:
    sources = sorted(str(p) for p in (ROOT / "mirix_app" / "gui").glob("*.py"))
    options = ["-locations", "none", "-no-obsolete", "-target-language", language]
    subprocess.run(["pyside6-lupdate", *sources, *options, "-ts", str(ts)], check=True)


def update_help(ts: Path, language: str) -> None:
    """One message per setting's help, in the schema's order; translations kept."""
    from agents.settings import SETTINGS

    kept: dict[str, ET.Element] = {}
    if ts.exists():
        for message in ET.parse(ts).getroot().iter("message"):
            translation = message.find("translation")
            if translation is not None:
                kept[message.findtext("source") or ""] = translation
    root = ET.Element("TS", version="2.1", language=language)
    context = ET.SubElement(root, "context")
    ET.SubElement(context, "name").text = HELP_CONTEXT
    for setting in SETTINGS:
        message = ET.SubElement(context, "message")
        ET.SubElement(message, "source").text = setting.help
        ET.SubElement(message, "extracomment").text = f"the setting {setting.name}"
        translation = kept.get(setting.help)
        if translation is None:
            translation = ET.Element("translation", type="unfinished")
        message.append(translation)
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    ts.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n{body}\n', encoding="utf-8"
    )


def unfinished(ts: Path) -> list[str]:
    left = []
    for message in ET.parse(ts).getroot().iter("message"):
        translation = message.find("translation")
        if translation is None or translation.get("type") == "unfinished":
            left.append(message.findtext("source") or "")
    return left


def main() -> None:
    from mirix_app.gui.i18n import TRANSLATED

    for language in TRANSLATED:
        gui, help_texts = FOLDER / f"mirix_{language}.ts", FOLDER / f"settings_{language}.ts"
        update_gui(gui, language)
        update_help(help_texts, language)
        qm = FOLDER / f"mirix_{language}.qm"
        subprocess.run(["pyside6-lrelease", str(gui), str(help_texts), "-qm", str(qm)], check=True)
        for ts in (gui, help_texts):
            for source in unfinished(ts):
                print(f"{ts.name}: not translated yet: {source}")


if __name__ == "__main__":
    main()
