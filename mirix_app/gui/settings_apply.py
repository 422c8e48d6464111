"""Saving settings from the settings and first-run dialogs (on a worker): each
changed value through the facade's ``set_config`` (validated there), the API
key to the OS keyring (never the settings file), and the autostart entry."""

from __future__ import annotations

import json
from typing import Any

from agents.llm import LLMSettings, store_api_key
from agents.settings import Value
from mirix_app.autostart import set_start_at_login


def raw(value: Value) -> str:
    """A value in the form ``set_config`` parses (as the command line would give it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return json.dumps(list(value))
    return str(value)


def apply(assistant: Any, changes: dict[str, Value], *, api_key: str | None = None) -> list[str]:
    """Store ``changes`` and, when given, the API key; returns what was saved."""
    saved: list[str] = []
    for name, value in changes.items():
        assistant.set_config(name, raw(value))
        saved.append(name)
    if api_key is not None:
        model = assistant.settings.text("llm_model")
        provider = LLMSettings(model=model).provider if model else ""
        store_api_key(provider, api_key)
        saved.append("API key (OS keyring)")
    if "start_at_login" in changes:
        set_start_at_login(assistant.settings.flag("start_at_login"))
    return saved


def data_use(assistant: Any) -> dict[str, Any]:
    """What the data folder holds now: total bytes and the database's share."""
    stats = assistant.stats()
    total = 0
    root = assistant.storage.data_dir
    for path in root.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:
            continue  # a file removed while counting
    shots = stats.get("screenshots") or {}
    return {
        "data_dir": str(root),
        "total_bytes": total,
        "database_bytes": stats["database_bytes"],
        "image_bytes": int(shots.get("image_bytes", 0)),
        "budget_bytes": int(shots.get("budget_bytes", 0)),
    }
