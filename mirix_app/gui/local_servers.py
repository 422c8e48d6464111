"""A box listing the model servers found on this computer (Ollama, LM Studio, a
llama.cpp server, vLLM on 127.0.0.1) and their models, to pick one: the first
run and Settings hold one. It looks on a worker when shown and on "Look again";
:meth:`LocalServersBox.settings` gives what choosing the selected model sets
(see agents.llm.discovery). Nothing is configured until the dialog saves."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from agents.llm import LocalModel, LocalServer
from mirix_app.gui.errors import describe
from mirix_app.gui.worker import Jobs


class LocalServersBox(QGroupBox):
    found = Signal(int)
    """A search finished: how many models were found."""

    def __init__(self, assistant: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.assistant = assistant
        self.jobs = Jobs(self)
        self.choices: list[tuple[LocalServer, LocalModel]] = []
        self.setObjectName("local_servers")
        self.setTitle(self.tr("Model servers on this computer"))
        # Its rows keep their height in a dialog that is short of room.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setObjectName("local_servers_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self._row = row
        self.models = QComboBox()
        self.models.setObjectName("local_models")
        self.models.currentIndexChanged.connect(self._on_selected)
        self.again = QPushButton(self.tr("Look again"))
        self.again.setObjectName("local_look_again")
        self.again.clicked.connect(self.look)
        row.addWidget(self.models, 1)
        row.addWidget(self.again)
        row.addStretch()  # the buttons keep their width while no model is listed
        layout.addLayout(row)
        self.key_frames = QCheckBox(
            self.tr("Let it see key frames of the screen (the images stay on this computer)")
        )
        self.key_frames.setObjectName("local_key_frames")
        self.key_frames.setChecked(True)
        self.key_frames.setVisible(False)
        layout.addWidget(self.key_frames)
        self.look()

    def add_action(self, widget: QWidget) -> None:
        """A button acting on the chosen model, beside Look again."""
        self._row.insertWidget(self._row.count() - 1, widget)

    def look(self) -> None:
        self.status.setText(self.tr("Looking for model servers on this computer…"))
        self.again.setEnabled(False)
        app = self.assistant
        self.jobs.submit(
            lambda _e: app.local_servers(), on_done=self._on_found, on_error=self._on_failed
        )

    def selected(self) -> tuple[LocalServer, LocalModel] | None:
        index = self.models.currentIndex()
        return self.choices[index] if 0 <= index < len(self.choices) else None

    def settings(self) -> dict[str, str]:
        """The settings that make the selected model the LLM; empty with none."""
        chosen = self.selected()
        if chosen is None:
            return {}
        server, model = chosen
        return server.settings_for(model, key_frames=self.key_frames.isChecked())

    def _on_found(self, servers: list[LocalServer]) -> None:
        self.again.setEnabled(True)
        self.choices = [(s, m) for s in servers for m in s.models]
        self.models.clear()
        for server, model in self.choices:
            images = self.tr(", takes images") if model.images else ""
            tools = self.tr(", no tool calls") if model.tools is False else ""
            self.models.addItem(f"{model.name} — {server.label}, port {server.port}{images}{tools}")
        if self.choices:
            self.status.setText(
                self.tr(
                    "Found %n model(s). Choose one to write the memories:", "", len(self.choices)
                )
            )
        else:
            self.status.setText(
                self.tr(
                    "No model server is running on this computer (Ollama, LM Studio, llama.cpp, "
                    "vLLM). The embedded model stays the fallback."
                )
            )
        self.models.setVisible(bool(self.choices))
        self._on_selected()
        self.found.emit(len(self.choices))

    def _on_selected(self) -> None:
        chosen = self.selected()
        self.key_frames.setVisible(chosen is not None and chosen[1].images)

    def _on_failed(self, exc: Exception) -> None:
        self.again.setEnabled(True)
        self.status.setText(describe(exc))
        self.found.emit(0)
