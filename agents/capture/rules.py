"""Exclusion rules, checked before a monitor is grabbed.

An application is excluded when its name (WM_CLASS class or instance; on
Wayland the app id, or the last part of a reverse-DNS one such as
``org.keepassxc.KeePassXC``) equals an entry of ``capture_exclude_apps``,
ignoring case; a window title when one of
``capture_exclude_titles`` (case-insensitive regular expressions) is found in
it. A monitor is skipped when the active window is excluded, or when any
visible excluded window overlaps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.capture.errors import CaptureError
from agents.capture.grabber import Monitor
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
                return f"excluded app {window.app}"
        for pattern in self.titles:
            if pattern.search(window.title):
                return f"excluded title (matches {pattern.pattern!r})"
        return None

    def monitor_reason(
        self, monitor: Monitor, active: Window, visible: Iterable[Window]
    ) -> str | None:
        """Why ``monitor`` must not be grabbed now, or None."""
        reason = self.reason(active)
        if reason is not None:
            return reason
        for window in visible:
            if window.box is not None and _overlaps(window.box, monitor.box):
                reason = self.reason(window)
                if reason is not None:
                    return f"{reason}, visible on monitor {monitor.number}"
        return None


def _names(name: str) -> set[str]:
    """The name, and for a reverse-DNS Wayland app id (org.keepassxc.KeePassXC) its
    last part too, so "keepassxc" excludes it as it does the X11 class."""
    name = name.strip().lower()
    return {name, name.rsplit(".", 1)[-1]} if name.count(".") >= 2 else {name}


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
