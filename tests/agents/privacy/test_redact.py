from __future__ import annotations

import pytest

from agents.privacy import KINDS, redact
from agents.privacy.redact import luhn_valid

# Planted secrets: each is fake, but shaped like the real thing.
OPENAI = "sk-proj-Zx8Qm2Lk9Vb7Tn4Rp1Ws6Yd3Hf0Jg5Ac"
GITHUB = "ghp_R4nd0mT0k3nV4lu3Abcdefghij1234567890"
AWS = "AKIAIOSFODNN7EXAMPLE"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
CARD = "4111 1111 1111 1111"  # a Luhn-valid test number


@pytest.mark.parametrize(
    ("text", "kind", "secret"),
    [
        (f"export OPENAI_API_KEY={OPENAI}", "API_KEY", OPENAI),
        (f"git remote set-url origin https://{GITHUB}@github.com/x/y", "API_KEY", GITHUB),
        (f"aws_access_key_id = {AWS}", "API_KEY", AWS),
        (f"SLACK_BOT={SLACK}", "API_KEY", SLACK),
        (f"Cookie: session={JWT}", "JWT", JWT),
        ("Authorization: Bearer abcDEF123456ghiJKL789", "TOKEN", "abcDEF123456ghiJKL789"),
        ("client_secret: 9fK2mQ7xLp4Rt8Vz1Wb6", "SECRET", "9fK2mQ7xLp4Rt8Vz1Wb6"),
        ('"api_key": "a1b2c3d4e5f60718293a4b5c6d7e8f90"', "SECRET", "a1b2c3d4e5f6"),
        ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SECRET", "wJalrX"),
        ("Password: hunter2", "PASSWORD", "hunter2"),
        ("DB_PASSWORD=correct horse battery staple", "PASSWORD", "battery"),
        ("postgres://admin:s3cr3tPw@db.local:5432/app", "PASSWORD", "s3cr3tPw"),
        ("Contact: jane.doe+work@example.co.uk today", "EMAIL", "jane.doe"),
        (f"Card number {CARD} exp 12/27", "CARD", CARD),
        ("Pay with 5500-0000-0000-0004 now", "CARD", "5500-0000-0000-0004"),
        ("Call +44 20 7946 0958 tomorrow", "PHONE", "7946 0958"),
        ("Office: (555) 123-4567", "PHONE", "123-4567"),
        ("cell 555.867.5309", "PHONE", "867.5309"),
        ("Tél : 06 12 34 56 78", "PHONE", "56 78"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----",
            "PRIVATE_KEY",
            "MIIEow",
        ),
    ],
)
def test_planted_secret_is_replaced_by_its_placeholder(text: str, kind: str, secret: str) -> None:
    result = redact(text)
    assert secret not in result.text
    assert f"[{kind}]" in result.text
    assert result.counts.get(kind, 0) >= 1
    assert kind in KINDS


@pytest.mark.parametrize(
    "text",
    [
        "Meeting on 2024-01-15 at 14:30:00, see you then",
        "Released version 10.0.19045.3803 and v2.13.0",
        "Server at 192.168.100.254 port 8080",
        "Order 4111 1111 1111 1112 shipped",  # fails the Luhn check
        "Invoice 1234567890123 paid",  # 13 digits, not Luhn-valid
        "Reference 0000 0000 0000 0000",  # Luhn-valid but a placeholder
        "Timestamp 1700000000 in seconds",
        "token: my_session_handler_module",  # an identifier, not a secret
        "Forgot your password? Reset it here.",
        "The sky-blue theme and gh_pages branch",
        "Total 1,234,567.89 EUR on 21/11/2026",
        "ISBN 978-3-16-148410-0",
        "Score 5 + 3 = 8, x+1.5",
    ],
)
def test_ordinary_text_survives(text: str) -> None:
    result = redact(text)
    assert result.text == text, result.counts
    assert result.total == 0


def test_counts_per_kind_and_the_rest_kept() -> None:
    text = (
        "From: alice@example.com\nTo: bob@example.org\n"
        f"key {OPENAI} and card {CARD}\n"
        "Password: pa55word!\nMeeting 2024-05-01, build 1.2.3"
    )
    result = redact(text)
    assert result.counts == {"EMAIL": 2, "API_KEY": 1, "CARD": 1, "PASSWORD": 1}
    assert result.total == 5
    assert result.text == (
        "From: [EMAIL]\nTo: [EMAIL]\nkey [API_KEY] and card [CARD]\n"
        "Password: [PASSWORD]\nMeeting 2024-05-01, build 1.2.3"
    )


def test_redaction_is_idempotent() -> None:
    once = redact(f"password: x9 and {AWS} and a@b.io and Bearer abcdefghijklmnop1234")
    twice = redact(once.text)
    assert twice.text == once.text
    assert twice.total == 0


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
