"""How a failed background job is told to the user.

The environment's fault (storage or agents errors: a bad value, a locked or
full database, an unreachable provider) is shown as its plain message; anything
else is a bug, logged with its traceback and shown as such.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

log = logging.getLogger("mirix_app")


def describe(exc: BaseException) -> str:
    # Imported here: the tray comes up before the agents layer is loaded.
    from agents import AgentError
    from storage import StorageError

    if isinstance(exc, (StorageError, AgentError)):
        return " ".join(str(exc).splitlines())
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    log.error("unexpected error in a background job", exc_info=exc)
    return QCoreApplication.translate(
        "Errors", "Unexpected error ({0}: {1}); see the log for details."
    ).format(type(exc).__name__, exc)


def is_llm_unreachable(exc: BaseException) -> bool:
    """True for LLM problems the settings can fix (no model, bad key, no server)."""
    from agents import AgentError
    from agents.errors import LLMError

    if isinstance(exc, LLMError):
        return True
    return isinstance(exc, AgentError) and "LLM" in str(exc)
