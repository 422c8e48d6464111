"""Forgetting from the desktop app (tray, memory browser, screenshot search): say
how many items and memories a forget touches, ask, then forget, all facade calls
on a worker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from mirix_app.gui.errors import describe
from mirix_app.gui.worker import Jobs


class Forgetter(QObject):
    """``ask(title, ids=... | since=..., until=..., app=...)``: the plan, a
    confirmation naming what goes, the forget; ``forgotten`` carries the report."""

    forgotten = Signal(object)
    """A ForgetReport, once something was forgotten."""
    declined = Signal()
    """Nothing to forget, or the user said no."""
    failed = Signal(str)

    def __init__(self, assistant: Any, parent: QObject, window: QWidget | None = None) -> None:
        super().__init__(parent)
        self.assistant = assistant
        self.window = window
        self.jobs = Jobs(self)

    def ask(self, title: str, **scope: Any) -> None:
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.forget_plan(**scope),
            on_done=lambda plan: self._confirm(title, scope, plan),
            on_error=self._on_error,
        )

    def _confirm(self, title: str, scope: dict[str, Any], plan: Any) -> None:
        if not plan.items:
            QMessageBox.information(
                self.window, title, self.tr("Nothing recorded there to forget.")
            )
            self.declined.emit()
            return
        answer = QMessageBox.question(
            self.window,
            title,
            self.tr(
                "This deletes for good {0}: images, text and everything made from them. "
                "It cannot be undone."
            ).format(plan.describe()),
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.declined.emit()
            return
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.forget(**scope), on_done=self.forgotten.emit, on_error=self._on_error
        )

    def _on_error(self, exc: Exception) -> None:
        self.failed.emit(describe(exc))


def forgot_text(report: Any) -> str:
    """One line saying what went."""
    return QCoreApplication.translate("Forgetter", "Forgot {0}.").format(report.plan.describe())
