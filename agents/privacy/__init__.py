"""Privacy at capture time and before text leaves the machine (issue 4)."""

from agents.privacy.redact import KINDS, RedactResult, redact

__all__ = ["KINDS", "RedactResult", "redact"]
