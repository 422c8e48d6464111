"""Privacy at capture time and before text or images leave the machine (issue 4)."""

from agents.privacy.images import black_out, sensitive_boxes
from agents.privacy.redact import KINDS, RedactResult, redact, redact_messages, redact_prompt

__all__ = [
    "KINDS",
    "RedactResult",
    "black_out",
    "redact",
    "redact_messages",
    "redact_prompt",
    "sensitive_boxes",
]
