"""agents/privacy/images.py: which OCR lines redaction would hide, and blacking
their boxes out of an image."""

from __future__ import annotations

from PIL import Image

from agents.privacy import black_out, sensitive_boxes

KEY = "sk-proj-4fJ9aQ2mZ7xK1pL8vN3bT6yR0wE5uH2c"


def boxed(*texts: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Lines one under the other, 30 px apart."""
    return [(text, (10, 30 * n, 400, 30 * n + 20)) for n, text in enumerate(texts)]


def test_the_lines_redaction_changes_are_sensitive_and_the_others_not() -> None:
    lines = boxed(
        "Deploy settings for Orion",
        f"API key {KEY}",
        "Version 3.11.4 released 2024-06-01 at 10:30",
        "Contact jane.doe@example.com today",
        "Card 4111 1111 1111 1111",
        "Call +1 415 555 0132",
        "Server 192.168.1.20 port 8080",
        "Password: Tr0ub4dor&3xyz",
    )
    found = sensitive_boxes(lines)
    assert found == [lines[n][1] for n in (1, 3, 4, 5, 7)]


def test_a_private_key_block_hides_every_line_of_it() -> None:
    lines = boxed(
        "id_rsa",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
        "AAAAMwAAAAtzc2gtZWQyNTUxOQAAACB1c2VyQGhvc3Q",
        "-----END OPENSSH PRIVATE KEY-----",
        "saved to ~/.ssh",
    )
    assert sensitive_boxes(lines) == [lines[n][1] for n in (1, 2, 3, 4)]


def test_a_screen_without_findings_has_no_boxes() -> None:
    assert sensitive_boxes(boxed("Inbox", "Lunch at noon?", "Reply", "Reply")) == []
    assert sensitive_boxes([]) == []


def test_black_out_paints_the_boxes_with_a_margin_and_leaves_the_rest() -> None:
    image = Image.new("RGB", (200, 100), (240, 240, 240))
    out = black_out(image, [(50, 40, 120, 60), (190, 90, 260, 110)])  # the second runs off
    assert out is not image and image.getpixel((60, 50)) == (240, 240, 240)
    for x, y in ((50, 40), (119, 59), (45, 35), (124, 64), (195, 95)):  # box, margin, edge
        assert out.getpixel((x, y)) == (0, 0, 0), (x, y)
    for x, y in ((30, 50), (150, 50), (85, 20), (85, 80), (0, 0)):
        assert out.getpixel((x, y)) == (240, 240, 240), (x, y)


def test_black_out_skips_a_box_wholly_off_the_image_and_converts_to_rgb() -> None:
    image = Image.new("L", (50, 50), 200)
    out = black_out(image, [(500, 500, 600, 600)])
    assert out.mode == "RGB" and out.getpixel((25, 25)) == (200, 200, 200)
