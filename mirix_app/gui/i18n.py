"""Translation hooks: every text a window shows goes through Qt's translate, so a
translation (a .qm file loaded at start) can replace it.

``QT_TRANSLATE_NOOP(context, text)`` marks a text kept in a table for
translation where it is shown (``translate(context, text)``); it is Qt's own
name, which Qt's lupdate looks for, typed here to return the text.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    return text


def translate(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)
