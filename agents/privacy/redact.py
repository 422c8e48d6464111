"""Redact secrets and personal data from text before it leaves the machine.

Every text an LLM provider is sent goes through :func:`redact_messages` in the
LLM client (screen text, chat turns, imported messages, memories), unless the
``redact_provider`` setting is off; what is stored keeps the original.

:func:`redact` replaces each finding with a typed placeholder and counts them:

=============  ===========================================================
placeholder    what
=============  ===========================================================
[PRIVATE_KEY]  a PEM private-key block
[JWT]          a JSON Web Token (three base64url parts, the first ``eyJ``)
[API_KEY]      a key with a vendor prefix: ``sk-``, ``ghp_``, ``github_pat_``,
               ``AKIA``/``ASIA``, ``xox?-``, ``AIza``, ``sk_live_`` ...
[TOKEN]        the credential after ``Bearer``
[SECRET]       a random-looking value after a key/token/secret label
[PASSWORD]     the rest of a ``password: ...`` line; ``user:pass@`` in URLs
[EMAIL]        an e-mail address
[CARD]         13-19 digits (spaces or dashes allowed) that pass the Luhn check
[PHONE]        ``+`` international numbers, ``(555) 123-4567`` style numbers,
               ``06 12 34 56 78`` style numbers (separators required)
=============  ===========================================================

The rules run in that order, so a later rule never sees what an earlier one
replaced. They are tuned to leave ordinary screen text alone: dates, times,
version numbers, IP addresses, digit runs that fail the Luhn check, and
ordinary words after a ``token:`` label survive.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS: tuple[str, ...] = (
    "PRIVATE_KEY",
    "JWT",
    "API_KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "EMAIL",
    "CARD",
    "PHONE",
)


@dataclass(frozen=True)
class RedactResult:
    text: str
    counts: dict[str, int] = field(default_factory=dict)
    """Findings per kind (only kinds that were found)."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_API_KEY = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"sk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}"  # OpenAI, Anthropic
    r"|gh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|github_pat_[A-Za-z0-9_]{30,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key ids
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|AIza[0-9A-Za-z_-]{35}"  # Google
    r"|(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}"  # Stripe
    r"|glpat-[0-9A-Za-z_-]{20,}"  # GitLab
    r"|hf_[A-Za-z0-9]{30,}"  # Hugging Face
    r")(?![A-Za-z0-9])"
)
_BEARER = re.compile(r"(?i)(\bbearer[ \t]+)([A-Za-z0-9._~+/-]{16,}=*)")
_LABELLED = re.compile(
    r"(?i)(\b[\w-]*?(?:api[_ -]?key|apikey|token|secret|access[_ -]?key|private[_ -]?key"
    r"|auth(?:orization)?|credential)s?[\w-]*[\"']?[ \t]*[:=][ \t]*[\"']?)"
    r"([A-Za-z0-9+/_.~=-]{16,})"
)
_PASSWORD = re.compile(
    r"(?i)(\b[\w-]*?(?:password|passwd|passphrase|passcode|pwd)[\w-]*[\"']?[ \t]*[:=][ \t]*)"
    r"([^\s].*?)[ \t]*$",
    re.MULTILINE,
)
_URL_CREDENTIALS = re.compile(r"(://[^/\s:@]+:)([^/\s@]+)(@)")
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Not inside a word: the hex of an id (``epi_1234...``) is no card.
_CARD = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){12,18}(?!\w)")
_PHONE = re.compile(
    r"(?<![\w+.])(?:"
    r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}"  # +44 20 7946 0958, +1 (555) 123-4567
    r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"  # (555) 123-4567
    r"|\d{3}[ .-]\d{3}[ .-]\d{4}"  # 555-123-4567
    r"|0\d(?:[ .-]\d{2}){4}"  # 06 12 34 56 78
    r")(?![\w.]?\d)"
)


def redact(text: str) -> RedactResult:
    """``text`` with every finding replaced by its placeholder, and the counts."""
    counts: Counter[str] = Counter()

    def whole(kind: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            counts[kind] += 1
            return f"[{kind}]"

        return replace

    def value(
        kind: str, keep: Callable[[str], bool] = lambda _: True
    ) -> Callable[[re.Match[str]], str]:
        """Replace group 2 only (the label in group 1 and group 3, if any, stay)."""

        def replace(match: re.Match[str]) -> str:
            if not keep(match.group(2)):
                return match.group(0)
            counts[kind] += 1
            tail = match.group(3) if match.re.groups >= 3 else ""
            return f"{match.group(1)}[{kind}]{tail}"

        return replace

    text = _PRIVATE_KEY.sub(whole("PRIVATE_KEY"), text)
    text = _JWT.sub(whole("JWT"), text)
    text = _API_KEY.sub(whole("API_KEY"), text)
    text = _BEARER.sub(value("TOKEN"), text)
    text = _LABELLED.sub(value("SECRET", looks_random), text)
    text = _PASSWORD.sub(value("PASSWORD", _not_a_placeholder), text)
    text = _URL_CREDENTIALS.sub(value("PASSWORD"), text)
    text = _EMAIL.sub(whole("EMAIL"), text)
    text = _CARD.sub(_card_replacer(counts), text)
    text = _PHONE.sub(_phone_replacer(counts), text)
    return RedactResult(text=text, counts=dict(counts))


def redact_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of chat messages (OpenAI form) with every text redacted: string
    contents and the text parts of a list content; image parts and tool-call
    arguments (the model's own output) are left as they are."""
    out: list[dict[str, Any]] = []
    for message in messages:
        copy = dict(message)
        content = message.get("content")
        if isinstance(content, str):
            copy["content"] = redact_prompt(content)
        elif isinstance(content, list):
            copy["content"] = [
                {**part, "text": redact_prompt(part["text"])}
                if isinstance(part, dict) and isinstance(part.get("text"), str)
                else part
                for part in content
            ]
        out.append(copy)
    return out


def redact_prompt(text: str) -> str:
    """:func:`redact` for a prompt: a line that is a JSON object (the prompts' data
    blocks: one observation or memory a line) is redacted value by value, so the
    rest of a ``password:`` line cannot swallow the line's closing quote and brace;
    the lines between them are redacted together (a key block spans lines)."""
    out: list[str] = []
    plain: list[str] = []

    def flush() -> None:
        if plain:
            out.append(redact("\n".join(plain)).text)
            plain.clear()

    for line in text.split("\n"):
        data = _json_object(line)
        if data is None:
            plain.append(line)
            continue
        flush()
        cleaned = _redact_value(data)
        out.append(line if cleaned == data else json.dumps(cleaned, ensure_ascii=False))
    flush()
    return "\n".join(out)


def _json_object(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value).text
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    return value


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        n = int(char)
        if position % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card_replacer(counts: Counter[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        # All one digit (0000 0000 ...) passes Luhn but is a placeholder, not a card.
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1:
            counts["CARD"] += 1
            return "[CARD]"
        return match.group(0)

    return replace


def _phone_replacer(counts: Counter[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if 8 <= len(digits) <= 15:
            counts["PHONE"] += 1
            return "[PHONE]"
        return match.group(0)

    return replace


def looks_random(candidate: str) -> bool:
    """A secret-like value: long, mixing letters and digits, high entropy; a long
    hex string counts too. Words and identifiers (``my_session_handler``) do not."""
    if len(candidate) < 16:
        return False
    if re.fullmatch(r"[0-9a-fA-F]{24,}", candidate):
        return True
    classes = sum(bool(re.search(pattern, candidate)) for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return classes >= 2 and bool(re.search(r"[0-9]", candidate)) and _entropy(candidate) >= 3.0


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _not_a_placeholder(candidate: str) -> bool:
    return not re.fullmatch(r"\[[A-Z_]+\]", candidate)
