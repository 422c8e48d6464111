"""The words the windows show for the project's names: memory types and settings.

The schema (agents.settings, storage.kinds) names things for code and the
command line (``llm_timeout_s``, ``knowledge_vault``); people read "Reply
timeout" and "Vault". Every text goes through Qt's translation
(``QT_TRANSLATE_NOOP`` here, translated where shown).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from mirix_app.gui.i18n import LANGUAGE_NAMES, QT_TRANSLATE_NOOP

KINDS: dict[str, tuple[str, str]] = {
    "core": (QT_TRANSLATE_NOOP("Kinds", "Core"), QT_TRANSLATE_NOOP("Kinds", "core memory")),
    "episodic": (
        QT_TRANSLATE_NOOP("Kinds", "Episodes"),
        QT_TRANSLATE_NOOP("Kinds", "episodic memories"),
    ),
    "semantic": (
        QT_TRANSLATE_NOOP("Kinds", "Facts"),
        QT_TRANSLATE_NOOP("Kinds", "semantic memories (people, places, things)"),
    ),
    "procedural": (
        QT_TRANSLATE_NOOP("Kinds", "How-tos"),
        QT_TRANSLATE_NOOP("Kinds", "procedural memories (workflows, guides, scripts)"),
    ),
    "resource": (
        QT_TRANSLATE_NOOP("Kinds", "Resources"),
        QT_TRANSLATE_NOOP("Kinds", "resources (documents, links, files)"),
    ),
    "knowledge_vault": (
        QT_TRANSLATE_NOOP("Kinds", "Vault"),
        QT_TRANSLATE_NOOP("Kinds", "vault items (credentials, numbers, addresses)"),
    ),
    "message": (
        QT_TRANSLATE_NOOP("Kinds", "Messages"),
        QT_TRANSLATE_NOOP("Kinds", "messages"),
    ),
    "screenshot": (
        QT_TRANSLATE_NOOP("Kinds", "Screenshots"),
        QT_TRANSLATE_NOOP("Kinds", "screenshots"),
    ),
}


def kind_label(type_name: str) -> str:
    """A type's short name, as on its tab ("Episodes")."""
    short = KINDS.get(type_name, (type_name, type_name))[0]
    return QCoreApplication.translate("Kinds", short)


def kind_noun(type_name: str) -> str:
    """A type's items in a sentence ("episodic memories")."""
    noun = KINDS.get(type_name, (type_name, type_name))[1]
    return QCoreApplication.translate("Kinds", noun)


FIELDS: dict[str, str] = {
    "label": QT_TRANSLATE_NOOP("Fields", "Block"),
    "text": QT_TRANSLATE_NOOP("Fields", "Text"),
    "char_limit": QT_TRANSLATE_NOOP("Fields", "Character limit"),
    "occurred_at": QT_TRANSLATE_NOOP("Fields", "When"),
    "actor": QT_TRANSLATE_NOOP("Fields", "Who"),
    "event_type": QT_TRANSLATE_NOOP("Fields", "Kind of event"),
    "summary": QT_TRANSLATE_NOOP("Fields", "Summary"),
    "details": QT_TRANSLATE_NOOP("Fields", "Details"),
    "tree_path": QT_TRANSLATE_NOOP("Fields", "Filed under"),
    "name": QT_TRANSLATE_NOOP("Fields", "Name"),
    "source": QT_TRANSLATE_NOOP("Fields", "Source"),
    "entry_type": QT_TRANSLATE_NOOP("Fields", "Kind"),
    "steps": QT_TRANSLATE_NOOP("Fields", "Steps"),
    "title": QT_TRANSLATE_NOOP("Fields", "Title"),
    "resource_type": QT_TRANSLATE_NOOP("Fields", "Kind of resource"),
    "content": QT_TRANSLATE_NOOP("Fields", "Content"),
    "sensitivity": QT_TRANSLATE_NOOP("Fields", "Sensitivity"),
    "secret_value": QT_TRANSLATE_NOOP("Fields", "Secret"),
    "caption": QT_TRANSLATE_NOOP("Fields", "Caption"),
    "speaker": QT_TRANSLATE_NOOP("Fields", "Speaker"),
    "role": QT_TRANSLATE_NOOP("Fields", "Role"),
    "at": QT_TRANSLATE_NOOP("Fields", "At"),
    "session": QT_TRANSLATE_NOOP("Fields", "Conversation"),
    "external_id": QT_TRANSLATE_NOOP("Fields", "Imported as"),
    "app": QT_TRANSLATE_NOOP("Fields", "Application"),
    "window_title": QT_TRANSLATE_NOOP("Fields", "Window"),
    "monitor": QT_TRANSLATE_NOOP("Fields", "Monitor"),
    "ocr_text": QT_TRANSLATE_NOOP("Fields", "Text on screen"),
}


def field_label(name: str) -> str:
    return QCoreApplication.translate("Fields", FIELDS.get(name, name.replace("_", " ")))


SETTINGS: dict[str, str] = {
    "llm_model": QT_TRANSLATE_NOOP("Settings", "Model"),
    "llm_api_base": QT_TRANSLATE_NOOP("Settings", "Server address"),
    "llm_api_key_env": QT_TRANSLATE_NOOP("Settings", "Key from environment variable"),
    "llm_timeout_s": QT_TRANSLATE_NOOP("Settings", "Reply timeout (seconds)"),
    "batch_items": QT_TRANSLATE_NOOP("Settings", "Observations per batch"),
    "batch_minutes": QT_TRANSLATE_NOOP("Settings", "Longest wait for a batch (minutes)"),
    "local_llm": QT_TRANSLATE_NOOP("Settings", "Use the embedded model without a provider"),
    "vision_key_frames": QT_TRANSLATE_NOOP("Settings", "Key frames sent as images"),
    "llm_images": QT_TRANSLATE_NOOP("Settings", "The model reads images"),
    "chat_topic": QT_TRANSLATE_NOOP("Settings", "How chat finds the topic"),
    "chat_memories_per_type": QT_TRANSLATE_NOOP("Settings", "Memories per type in a chat"),
    "embedder": QT_TRANSLATE_NOOP("Settings", "Text embedding models"),
    "embedder_backend": QT_TRANSLATE_NOOP("Settings", "Text embedder runs on"),
    "local_server_ports": QT_TRANSLATE_NOOP("Settings", "Ports to look for model servers on"),
    "capture_interval_s": QT_TRANSLATE_NOOP("Settings", "Grab the screen every (seconds)"),
    "capture_max_interval_s": QT_TRANSLATE_NOOP("Settings", "Slowest grab when idle (seconds)"),
    "capture_keyframe_s": QT_TRANSLATE_NOOP("Settings", "Keep a frame at least every (seconds)"),
    "capture_monitors": QT_TRANSLATE_NOOP("Settings", "Monitors to capture"),
    "capture_exclude_apps": QT_TRANSLATE_NOOP("Settings", "Never capture these apps"),
    "capture_exclude_titles": QT_TRANSLATE_NOOP("Settings", "Never capture windows titled"),
    "redact_provider": QT_TRANSLATE_NOOP("Settings", "Redact what goes to a provider"),
    "capture_without_window_rules": QT_TRANSLATE_NOOP(
        "Settings", "Capture where windows cannot be identified"
    ),
    "redact_local": QT_TRANSLATE_NOOP("Settings", "Redact also for the embedded model"),
    "screenshot_quality": QT_TRANSLATE_NOOP("Settings", "Screenshot quality (1-100)"),
    "storage_budget_gb": QT_TRANSLATE_NOOP("Settings", "Disk space for screenshots (GB)"),
    "clip_checkpoint": QT_TRANSLATE_NOOP("Settings", "Image search model file"),
    "clip_model": QT_TRANSLATE_NOOP("Settings", "Image search architecture"),
    "capture_on_start": QT_TRANSLATE_NOOP("Settings", "Capture when the app starts"),
    "start_at_login": QT_TRANSLATE_NOOP("Settings", "Start at login"),
    "theme": QT_TRANSLATE_NOOP("Settings", "Appearance"),
    "language": QT_TRANSLATE_NOOP("Settings", "Language"),
    "mcp_read_only": QT_TRANSLATE_NOOP("Settings", "MCP server: reading tools only"),
    "database_url": QT_TRANSLATE_NOOP("Settings", "Shared database (PostgreSQL)"),
    "first_run_done": QT_TRANSLATE_NOOP("Settings", "First run done"),
}
CHOICES: dict[str, str] = {
    "auto": QT_TRANSLATE_NOOP("Settings", "automatic"),
    "yes": QT_TRANSLATE_NOOP("Settings", "yes"),
    "no": QT_TRANSLATE_NOOP("Settings", "no"),
    "keywords": QT_TRANSLATE_NOOP("Settings", "its own words (no LLM call)"),
    "llm": QT_TRANSLATE_NOOP("Settings", "ask the LLM each time"),
    "numpy": QT_TRANSLATE_NOOP("Settings", "numpy (light)"),
    "torch": QT_TRANSLATE_NOOP("Settings", "torch (fast in bulk)"),
    "system": QT_TRANSLATE_NOOP("Settings", "as the system"),
    "light": QT_TRANSLATE_NOOP("Settings", "light"),
    "dark": QT_TRANSLATE_NOOP("Settings", "dark"),
}


def setting_label(name: str) -> str:
    """A setting's name for people; unknown ones (added to the schema later) fall
    back to their key with spaces."""
    return QCoreApplication.translate("Settings", SETTINGS.get(name, name.replace("_", " ")))


def setting_help(help_text: str) -> str:
    """A setting's help (its ``help`` in agents.settings) in the user's language. The
    schema keeps its texts plain, so lupdate cannot find them: packaging/translations.py
    writes them to assets/translations/settings_LANG.ts, in this context."""
    return QCoreApplication.translate("SettingsHelp", help_text)


def choice_label(value: str) -> str:
    """A fixed choice in words; a language by its own name ("简体中文" in any language)."""
    if value in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[value]
    return QCoreApplication.translate("Settings", CHOICES.get(value, value))
