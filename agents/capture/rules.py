"""Exclusion rules: which windows are never recorded.

An application is excluded when its name (WM_CLASS class or instance; on
Wayland the app id, or the last part of a reverse-DNS one such as
``org.keepassxc.KeePassXC``) equals an entry of ``capture_exclude_apps``,
ignoring case; a window title when one of
``capture_exclude_titles`` (case-insensitive regular expressions) is found in
it. While an excluded window is active nothing is grabbed; a visible one that
is not active is blacked out of the frame (see :mod:`agents.capture.mask`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.capture.errors import CaptureError
from agents.capture.window import Window
from agents.settings import Settings


class ExclusionRules:
    def __init__(self, apps: Iterable[str], titles: Iterable[str]) -> None:
        self.apps = frozenset(a.strip().lower() for a in apps if a.strip())
        self.titles: list[re.Pattern[str]] = []
        for pattern in titles:
            try:
                self.titles.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise CaptureError(
                    f"capture_exclude_titles: {pattern!r} is not a valid regular "
                    f"expression ({exc})."
                ) from None

    @classmethod
    def from_settings(cls, settings: Settings) -> ExclusionRules:
        return cls(settings.texts("capture_exclude_apps"), settings.texts("capture_exclude_titles"))

    def reason(self, window: Window) -> str | None:
        """Why ``window`` must not be captured, or None."""
        for name in (window.app, window.instance):
            if name and _names(name) & self.apps:
                return f"excluded app {name}"
        for pattern in self.titles:
            if pattern.search(window.title):
                return f"excluded title (matches {pattern.pattern!r})"
        return None


def _names(name: str) -> set[str]:
    """The name, and for a reverse-DNS Wayland app id (org.keepassxc.KeePassXC) its
    last part too, so "keepassxc" excludes it as it does the X11 class."""
    name = name.strip().lower()
    return {name, name.rsplit(".", 1)[-1]} if name.count(".") >= 2 else {name}
