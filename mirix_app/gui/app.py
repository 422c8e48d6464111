"""The desktop app's controller: the tray (or, where the desktop has none, a small
launcher window with the same actions), the windows it opens, and capture.

The tray appears before anything slow happens: the Assistant (database, and
later the models, which load lazily on first use) opens on a worker.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon, QWidget

from mirix_app.gui import assets, theme
from mirix_app.gui.collector import GuiThreadCollector
from mirix_app.gui.errors import describe
from mirix_app.gui.forget import Forgetter, forgot_text
from mirix_app.gui.i18n import QT_TRANSLATE_NOOP, install_language
from mirix_app.gui.launcher import LauncherWindow
from mirix_app.gui.worker import Jobs
from mirix_app.syslibs import limit_malloc_arenas

AssistantFactory = Callable[[], Any]
log = logging.getLogger(__name__)

FORGET_SPANS: tuple[tuple[str, str, timedelta | None], ...] = (
    ("forget_5m", QT_TRANSLATE_NOOP("Desktop", "the last 5 minutes"), timedelta(minutes=5)),
    ("forget_hour", QT_TRANSLATE_NOOP("Desktop", "the last hour"), timedelta(hours=1)),
    ("forget_today", QT_TRANSLATE_NOOP("Desktop", "today"), None),
)
"""The tray's Forget menu: what was recorded in the last span (None: since midnight)."""
OPEN_DELAY_MS = 150
ABSORB_INTERVAL_MS = 60_000
"""How often the memory agents look for due batches (they run on a worker)."""

STATE_LABELS = {
    "capturing": QT_TRANSLATE_NOOP("Desktop", "Capturing the screen"),
    "paused": QT_TRANSLATE_NOOP("Desktop", "Capture paused"),
    "error": QT_TRANSLATE_NOOP("Desktop", "Capture stopped by an error"),
    "stopped": QT_TRANSLATE_NOOP("Desktop", "Capture off"),
}
SEARCH_KEY = "Ctrl+K"
"""Opens the search over everything, from any of the app's windows."""


def span_label(label: str) -> str:
    """A FORGET_SPANS label in the user's language."""
    return QCoreApplication.translate("Desktop", label)


def state_label(state: str) -> str:
    return QCoreApplication.translate("Desktop", STATE_LABELS.get(state, state))


class Desktop(QObject):
    """Owns the assistant, the actions, the tray or launcher, and the windows."""

    ready = Signal()
    """The assistant is open; windows can be used."""
    failed = Signal(str)
    notified = Signal(str, str)
    """(title, message) of a notification shown to the user."""
    absorbed = Signal(object)
    """A background round of the memory agents ended (its AbsorbReport, or None)."""
    forgot = Signal(object)
    """A forget from the tray ended (its ForgetReport)."""

    def __init__(
        self,
        open_assistant: AssistantFactory,
        *,
        use_tray: bool | None = None,
        show_first_run: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._own: Any = None
        """This process registered as showing mirix-app's windows (on the worker that
        opens the assistant: the agents layer loads there, after the icon is up)."""
        self.jobs = Jobs(self)
        self.assistant: Any = None
        self.capture: Any = None
        self.capture_blocked: str | None = None
        """Why capture does not start by itself here (windows cannot be identified)."""
        self.windows: dict[str, QWidget] = {}
        self._show_first_run = show_first_run
        self.actions = self._make_actions()
        if use_tray is None:
            use_tray = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray: QSystemTrayIcon | None = None
        self.launcher: LauncherWindow | None = None
        if use_tray:
            self._make_tray()
        else:
            self.launcher = LauncherWindow(self.actions)
            self.launcher.closed.connect(self.quit)
            search = QShortcut(QKeySequence(SEARCH_KEY), self.launcher)
            search.activated.connect(self.open_search)
            self.launcher.show()
        self._show_capture("stopped", "")
        self._open_assistant = open_assistant
        self._absorbing = False
        self._agents_problem: str | None = None
        """The provider error the last background round stopped on, if any."""
        self.absorb_timer = QTimer(self)
        self.absorb_timer.setInterval(ABSORB_INTERVAL_MS)
        self.absorb_timer.timeout.connect(self.absorb_due)
        # Let the event loop put the icon in the tray before the agents layer loads.
        QTimer.singleShot(OPEN_DELAY_MS, self._start_opening)

    def _start_opening(self) -> None:
        def open_registered(_emit: Any) -> Any:
            self._register_own()
            return self._open_assistant()

        self.jobs.submit(
            open_registered,
            on_done=self._on_opened,
            on_error=self._on_open_failed,
        )

    # -- actions ---------------------------------------------------------------------

    def _make_actions(self) -> dict[str, QAction]:
        spec: list[tuple[str, str, str, Callable[[], object]]] = [
            ("chat", self.tr("Chat"), "chat", self.open_chat),
            ("search", self.tr("Search everything"), "search", self.open_search),
            ("screens", self.tr("Search screenshots"), "screenshot", self.open_screens),
            ("memories", self.tr("Memories"), "memories", lambda: self.open_memories()),
            ("capture", self.tr("Pause capture"), "pause", self.toggle_capture),
            ("settings", self.tr("Settings"), "settings", self.open_settings),
            ("quit", self.tr("Quit"), "quit", self.quit),
        ]
        spec += [
            (
                key,
                span_label(label).capitalize(),
                "delete",
                functools.partial(self.forget_recent, span_label(label), span),
            )
            for key, label, span in FORGET_SPANS
        ]
        actions: dict[str, QAction] = {}
        for key, text, icon, slot in spec:
            action = QAction(theme.icon(icon), text, self)
            action.setObjectName(f"action_{key}")
            action.triggered.connect(slot)
            action.setEnabled(key == "quit")  # the rest wait for the assistant
            actions[key] = action
        # "Forget" is a menu of the recent spans (in the tray and the launcher).
        self.forget_menu = QMenu(self.tr("Forget"))
        self.forget_menu.setIcon(theme.icon("delete"))
        for key, _label, _span in FORGET_SPANS:
            self.forget_menu.addAction(actions[key])
        actions["forget"] = self.forget_menu.menuAction()
        actions["forget"].setEnabled(False)
        return actions

    def _make_tray(self) -> None:
        menu = QMenu()
        for key in ("chat", "search", "screens", "memories"):
            menu.addAction(self.actions[key])
        menu.addSeparator()
        menu.addAction(self.actions["capture"])
        menu.addAction(self.actions["forget"])
        menu.addAction(self.actions["settings"])
        menu.addSeparator()
        menu.addAction(self.actions["quit"])
        self._menu = menu
        self.tray = QSystemTrayIcon(assets.tray_icon("stopped"), self)
        self.tray.setContextMenu(menu)
        self.tray.activated.connect(self._on_tray_activated)
        self.tray.show()

    def _on_tray_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger and self.assistant is not None:
            self.open_chat()

    # -- opening ---------------------------------------------------------------------

    def _on_opened(self, assistant: Any) -> None:
        self.assistant = assistant
        self.apply_theme()
        for key, action in self.actions.items():
            action.setEnabled(key != "capture" or hasattr(assistant, "capture_service"))
        if hasattr(assistant, "capture_service"):
            first_run = self._show_first_run and not assistant.settings.flag("first_run_done")
            # Nothing is captured before the user has seen the privacy defaults: the
            # first-run dialog starts capture itself when asked to.
            self.make_capture(start=assistant.settings.flag("capture_on_start") and not first_run)
            if self.capture_blocked and not first_run:
                self.notify(self.tr("Capture is off"), self.capture_blocked)
        else:
            self.actions["capture"].setText(self.tr("Capture unavailable"))
        if hasattr(assistant, "absorb_due"):
            self.absorb_timer.start()
        if hasattr(assistant, "warm_up_llm"):
            # With a provider, its client library (~220 MB) is loaded now, on a worker,
            # rather than by the first answer or background round mid-session.
            self.jobs.submit(lambda _e: assistant.warm_up_llm(), on_error=self._warm_up_failed)
        self.ready.emit()
        if self._show_first_run and not assistant.settings.flag("first_run_done"):
            self.open_first_run()

    def _warm_up_failed(self, exc: Exception) -> None:
        log.warning("loading the LLM client: %s", describe(exc))

    def _on_open_failed(self, exc: Exception) -> None:
        message = describe(exc)
        self.failed.emit(message)
        QMessageBox.critical(None, self.tr("mirix-app cannot start"), message)
        self.quit()

    # -- forgetting ------------------------------------------------------------------

    def forget_recent(self, label: str, span: timedelta | None) -> None:
        """Ask, then forget what was recorded in the last ``span`` (None: today)."""
        if self.assistant is None:
            return
        now = datetime.now().astimezone()
        start = now - span if span is not None else now.replace(hour=0, minute=0, second=0)
        forgetter = Forgetter(self.assistant, self)
        forgetter.forgotten.connect(self._forgotten)
        forgetter.failed.connect(
            lambda message: self.notify(self.tr("Nothing was forgotten"), message)
        )
        forgetter.ask(
            self.tr("Forget %1?").replace("%1", label),
            since=start.replace(microsecond=0).isoformat(),
        )

    def _forgotten(self, report: Any) -> None:
        self.notify(self.tr("Forgotten"), forgot_text(report))
        browser = self.windows.get("memories")
        if browser is not None and hasattr(browser, "reload"):
            browser.reload()
        self.forgot.emit(report)

    # -- memory agents ---------------------------------------------------------------

    def absorb_due(self) -> None:
        """Hand due batches (chat turns, screen frames) to the memory agents, on a
        worker; a failed batch stays queued for the next round, so errors only log."""
        if self.assistant is None or self._absorbing:
            return
        self._absorbing = True
        app = self.assistant
        self.jobs.submit(
            lambda _emit: app.absorb_due(),
            on_done=self._absorbed,
            on_error=self._absorb_failed,
        )

    def _absorbed(self, report: Any) -> None:
        self._absorbing = False
        if report is not None and report.batches:
            # Say once when the provider stops the agents (a refused key, say), and
            # again only after it worked in between: not every minute.
            problem = next((b.error for b in report.batches if b.provider_error), None)
            if problem and problem != self._agents_problem:
                self.notify(
                    self.tr("Memory agents are waiting"),
                    self.tr(
                        "{problem} Nothing is lost: the batches stay queued. Check the "
                        "language model in Settings."
                    ).format(problem=problem),
                )
            self._agents_problem = problem
        self.absorbed.emit(report)

    def _absorb_failed(self, exc: Exception) -> None:
        self._absorbing = False
        log.warning("memory agents: %s", describe(exc))

    # -- capture ---------------------------------------------------------------------

    def make_capture(self, *, start: bool) -> None:
        """The capture control, or where the windows shown cannot be identified (and the
        user has not chosen to capture anyway) none: ``capture_blocked`` says why."""
        from agents.capture.errors import WindowsUnknownError
        from mirix_app.gui.capture import CaptureControl

        try:
            self.capture = CaptureControl(self.assistant, self)
        except WindowsUnknownError as exc:
            self.capture_blocked = str(exc)
            self._show_capture("stopped", self.capture_blocked)
            self.actions["capture"].setText(self.tr("Capture anyway (rules off)…"))
            return
        self.capture_blocked = None
        self.capture.state_changed.connect(self._on_capture_state)
        if start:
            self.capture.start()

    def toggle_capture(self) -> None:
        if self.capture is not None:
            self.capture.toggle()
        elif self.capture_blocked:
            answer = QMessageBox.question(
                None,
                self.tr("Capture with the rules off?"),
                self.capture_blocked
                + "\n\n"
                + self.tr(
                    "Capture anyway? Every window will be captured, password managers "
                    "and private windows included."
                ),
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.capture_anyway()

    def capture_anyway(self) -> None:
        """The user's choice to capture where the rules cannot apply: saved as the
        setting capture_without_window_rules, then capture starts."""
        from agents.capture.session import OPT_IN_SETTING

        app = self.assistant
        self.jobs.submit(
            lambda _emit: app.set_config(OPT_IN_SETTING, "true"),
            on_done=lambda _r: self.make_capture(start=True),
            on_error=lambda exc: self.notify(self.tr("Capture is off"), describe(exc)),
        )

    def _on_capture_state(self, state: str, reason: str, by_user: bool) -> None:
        self._show_capture(state, reason)
        if not by_user and state in ("paused", "error"):
            self.notify(state_label(state), reason or self.tr("Capture stopped on its own."))

    def _show_capture(self, state: str, reason: str) -> None:
        label = state_label(state)
        tip = f"mirix-app: {label}" + (f" ({reason})" if reason else "")
        action = self.actions["capture"]
        if state == "capturing":
            action.setText(self.tr("Pause capture"))
            action.setIcon(theme.icon("pause"))
        elif state in ("paused", "error"):
            action.setText(self.tr("Resume capture"))
            action.setIcon(theme.icon("resume"))
        else:
            action.setText(self.tr("Start capture"))
            action.setIcon(theme.icon("capture"))
        if self.tray is not None:
            self.tray.setIcon(assets.tray_icon(state))
            self.tray.setToolTip(tip)
        if self.launcher is not None:
            self.launcher.show_state(state, label, reason)

    def notify(self, title: str, message: str) -> None:
        self.notified.emit(title, message)
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage(title, message, assets.tray_icon("paused"), 8000)
        elif self.launcher is not None:
            self.launcher.show_notice(f"{title}: {message}")

    # -- windows ---------------------------------------------------------------------

    def _window(self, key: str, build: Callable[[], QWidget]) -> QWidget:
        """The window ``key``, shown and raised: the open one, else a new one. A closed
        window is deleted with what it holds (bubbles, thumbnails, the image), and
        opening it again builds it from the stored data."""
        window = self.windows.get(key)
        if window is not None and not window.isVisible():
            del self.windows[key]  # closed (deleted soon) or hidden: not to be reused
            window.deleteLater()
            window = None
        if window is None:
            window = build()
            window.setWindowIcon(assets.app_icon())
            self._add_shortcuts(window)
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.destroyed.connect(
                lambda _obj=None, k=key, w=window: (
                    self.windows.pop(k, None) if self.windows.get(k) is w else None
                )
            )
            self.windows[key] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _add_shortcuts(self, window: QWidget) -> None:
        """Every window: Ctrl+K searches everything, Esc closes it (a dialog's Esc
        already rejects, which discards its edits)."""
        search = QShortcut(QKeySequence(SEARCH_KEY), window)
        search.setContext(Qt.ShortcutContext.WindowShortcut)
        search.activated.connect(self.open_search)
        if window.inherits("QDialog"):
            return
        close = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
        close.setContext(Qt.ShortcutContext.WindowShortcut)
        close.activated.connect(window.close)

    def open_chat(self) -> QWidget:
        from mirix_app.gui.chat import ChatWindow

        return self._window("chat", lambda: ChatWindow(self.assistant, desktop=self))

    def open_memories(self, item_id: str | None = None) -> QWidget:
        from mirix_app.gui.browser import MemoryBrowser

        window = self._window("memories", lambda: MemoryBrowser(self.assistant, desktop=self))
        if item_id is not None:
            assert isinstance(window, MemoryBrowser)
            window.open_item(item_id)
        return window

    def open_screens(self) -> QWidget:
        from mirix_app.gui.screens import ScreenSearchWindow

        return self._window("screens", lambda: ScreenSearchWindow(self.assistant, desktop=self))

    def open_settings(self) -> QWidget:
        from mirix_app.gui.settings_dialog import SettingsDialog

        return self._window("settings", lambda: SettingsDialog(self.assistant, desktop=self))

    def open_search(self) -> QWidget:
        from mirix_app.gui.quick_search import QuickSearch

        window = self._window("search", lambda: QuickSearch(self.assistant, desktop=self))
        assert isinstance(window, QuickSearch)
        window.focus_query()
        return window

    def open_first_run(self) -> QWidget:
        from mirix_app.gui.first_run import FirstRunDialog

        return self._window("first_run", lambda: FirstRunDialog(self.assistant, desktop=self))

    def open_image(self, path: str) -> QWidget:
        """The full screenshot, in the one image window (a new image replaces the last:
        a window per image kept every full-size picture in memory)."""
        from mirix_app.gui.image_view import ImageWindow

        window = self._window("image", ImageWindow)
        assert isinstance(window, ImageWindow)
        window.load(Path(path))
        return window

    def apply_theme(self) -> None:
        """The ``theme`` setting (system, light, dark) on the whole app."""
        app = QApplication.instance()
        if isinstance(app, QApplication) and self.assistant is not None:
            theme.choose(app, self.assistant.settings.text("theme"))

    # -- quitting --------------------------------------------------------------------

    def quit(self) -> None:
        self.shut_down()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def _register_own(self) -> None:
        """Capture (here, or a `capture run` of any data folder) never records the
        windows of a process registered as mirix-app's own; done before the assistant
        opens, so before any window but the launcher shows."""
        from agents.capture.own import OwnWindows

        own = OwnWindows()
        own.register()
        self._own = own

    def shut_down(self) -> None:
        """Close every window, stop capture and close the data; the event loop goes on
        (quit ends it too)."""
        self.absorb_timer.stop()
        if self._own is not None:
            self._own.unregister()
        for window in list(self.windows.values()):
            window.close()
        if self.capture is not None:
            self.capture.stop_now()
        if self.assistant is not None:
            # Quitting must not wait for a search graph being built (it is built
            # again on the next start).
            self.assistant.close(finish_builds=False)
            self.assistant = None
        if self.tray is not None:
            self.tray.hide()
        launcher, self.launcher = self.launcher, None
        if launcher is not None:
            launcher.close()


def prepare_application(app: QApplication) -> None:
    """What every run of the app sets on the QApplication: names, icon, that closing
    the last window leaves the tray running, the theme; and few malloc arenas for
    the process (see mirix_app.syslibs.limit_malloc_arenas)."""
    limit_malloc_arenas()
    app.setApplicationName("mirix-app")
    app.setApplicationDisplayName("mirix-app")
    app.setDesktopFileName("mirix-app")
    app.setWindowIcon(assets.app_icon())
    app.setQuitOnLastWindowClosed(False)
    theme.follow_system(app)


def language_setting(data_dir: Path | None) -> str:
    """The ``language`` setting, read before the data opens and before the tray menu
    is built: ``MIRIX_APP_LANGUAGE``, else ``settings.json`` in the data folder
    (found as storage.paths.resolve_data_dir finds it), else ``system``. Read here
    without loading the storage and agents layers (0.5 s more before the icon); a
    value the schema refuses is the assistant's to report a moment later, and shows
    English meanwhile."""
    env = os.environ.get("MIRIX_APP_LANGUAGE")
    if env is not None:
        return env.strip() or "system"
    if data_dir is None:
        home = os.environ.get("MIRIX_APP_HOME")
        data_dir = (
            Path(home).expanduser()
            if home
            else Path(platformdirs.user_data_dir("mirix-app", appauthor=False))
        )
    try:
        value = json.loads((data_dir / "settings.json").read_text(encoding="utf-8"))["language"]
    except (OSError, ValueError, KeyError, TypeError):
        return "system"
    return value if isinstance(value, str) else "system"


def run(data_dir: Path | None = None) -> int:
    """Start the tray app (``mirix-app`` with no arguments)."""
    # argv[0] becomes the window class, which docks and taskbars match to the .desktop file.
    app = QApplication.instance() or QApplication(["mirix-app"])
    assert isinstance(app, QApplication)
    prepare_application(app)
    # Before the tray menu is built; the assistant opens later, on a worker.
    try:
        install_language(app, language_setting(data_dir))
    except OSError as exc:  # a broken install: the app still runs, in English
        log.warning("the translation is not used: %s", exc)

    def opener() -> Any:
        from agents import open_assistant

        return open_assistant(data_dir)

    desktop = Desktop(opener)
    app.setProperty("desktop", desktop)  # keeps it alive for the event loop
    GuiThreadCollector(app)  # no Qt object is freed by a collection on a worker
    return app.exec()
