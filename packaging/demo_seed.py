"""A realistic demo data directory for the README screenshots: a week in the life
of Sam, a product manager with a kitten, a launch and an offsite. Messages,
memories of every type, a vault secret, screenshots of real-looking windows
spread over two days (rendered here, then imported with OCR through the facade),
and a chat history made by real ``ask`` calls against a scripted LLM server.

All times are relative to now, so the activity timeline always has data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _font(size: int, bold: bool = False, mono: bool = False) -> Any:
    name = "DejaVuSansMono" if mono else "DejaVuSans"
    name += "-Bold" if bold else ""
    try:
        return ImageFont.truetype(str(FONT_DIR / f"{name}.ttf"), size)
    except OSError:
        return ImageFont.load_default(size=size)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- screens ---------------------------------------------------------------------------


def _window(title: str, accent: str) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (1440, 900), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 1440, 44), fill="#2b2d31")
    draw.text((20, 12), title, fill="#e5e7eb", font=_font(18))
    draw.rectangle((0, 44, 1440, 52), fill=accent)
    return image, draw


def browser_invoice() -> Image.Image:
    image, d = _window("Invoice INV-4471 · Northwind Hosting — Mozilla Firefox", "#ff7139")
    d.rectangle((0, 52, 1440, 100), fill="#f3f4f6")
    d.text(
        (30, 64),
        "https://billing.northwind.example/invoices/INV-4471",
        fill="#374151",
        font=_font(18),
    )
    d.text((80, 150), "Invoice INV-4471", fill="#111827", font=_font(40, bold=True))
    d.text((80, 215), "Northwind Hosting · billed to Sam Rivera", fill="#4b5563", font=_font(22))
    rows = [
        ("Dedicated server (November)", "980.00 EUR"),
        ("Backup storage 2 TB", "160.00 EUR"),
        ("Support plan", "100.00 EUR"),
    ]
    y = 300
    for label, amount in rows:
        d.text((80, y), label, fill="#111827", font=_font(24))
        d.text((1080, y), amount, fill="#111827", font=_font(24))
        y += 56
    d.line((80, y, 1360, y), fill="#d1d5db", width=2)
    d.text((80, y + 24), "Total due", fill="#111827", font=_font(28, bold=True))
    d.text((1040, y + 24), "1,240.00 EUR", fill="#111827", font=_font(28, bold=True))
    d.text(
        (80, y + 90),
        "Due date: 30 November. Pay by bank transfer to IBAN on file.",
        fill="#4b5563",
        font=_font(22),
    )
    return image


def editor_release() -> Image.Image:
    image, d = _window("release.py — launch-tools — Visual Studio Code", "#007acc")
    d.rectangle((0, 52, 260, 900), fill="#f3f3f3")
    for n, name in enumerate(["release.py", "changelog.md", "pyproject.toml", "tests/"]):
        d.text((24, 80 + 34 * n), name, fill="#1f2937", font=_font(18))
    code = [
        "def release(version: str) -> None:",
        '    """Cut the launch build: tag, build the wheel, upload."""',
        "    bump_version(version)",
        '    run("git", "tag", f"v{version}")',
        '    run("python", "-m", "build")',
        '    upload("dist/", channel="stable")',
        "",
        "# Launch checklist: freeze on Wednesday, release Thursday 10:00",
    ]
    for n, line in enumerate(code):
        d.text((300, 90 + 38 * n), f"{n + 1:>2}  {line}", fill="#1f2937", font=_font(22, mono=True))
    return image


def chat_launch() -> Image.Image:
    image, d = _window("Slack | #launch | Acme", "#611f69")
    d.rectangle((0, 52, 280, 900), fill="#3f0e40")
    for n, name in enumerate(["# general", "# launch", "# design", "Priya", "Leo"]):
        d.text((28, 84 + 38 * n), name, fill="#f3e8ff", font=_font(20))
    msgs = [
        ("Maya", "The launch moved to Thursday 10:00; marketing needs the final slides."),
        ("Leo", "I will update the pricing slide tonight."),
        ("Priya", "Flights to Lisbon are booked for May 12, returning May 15."),
        ("Sam", "Great. Release freeze is Wednesday at noon."),
    ]
    y = 100
    for who, text in msgs:
        d.text((320, y), who, fill="#111827", font=_font(22, bold=True))
        d.text((320, y + 34), text, fill="#1f2937", font=_font(22))
        y += 110
    return image


def calendar_vet() -> Image.Image:
    image, d = _window("Calendar — March", "#0b8043")
    d.text((60, 90), "Thursday 14", fill="#111827", font=_font(34, bold=True))
    events = [
        ("09:30", "Dentist (moved from Tuesday)"),
        ("12:00", "Release freeze"),
        ("17:15", "Miso: first vaccination, Elm Street vet clinic"),
    ]
    y = 170
    for at, what in events:
        d.rounded_rectangle((60, y, 1200, y + 80), radius=10, fill="#e6f4ea")
        d.text((90, y + 24), f"{at}   {what}", fill="#0f5132", font=_font(26))
        y += 110
    return image


def docs_offsite() -> Image.Image:
    image, d = _window("Offsite plan — Google Docs — Chromium", "#1a73e8")
    d.text((160, 110), "Team offsite · Lisbon", fill="#111827", font=_font(38, bold=True))
    lines = [
        "Dates: May 12 to May 15",
        "Hotel: Casa do Largo, Alfama (8 rooms)",
        "Day 1: roadmap review · Day 2: customer interviews",
        "Budget: 9,800 EUR approved",
    ]
    for n, line in enumerate(lines):
        d.text((160, 200 + 50 * n), line, fill="#1f2937", font=_font(24))
    return image


SCREENS: list[tuple[str, str, Callable[[], Image.Image]]] = [
    ("firefox", "Invoice INV-4471 · Northwind Hosting — Mozilla Firefox", browser_invoice),
    ("code", "release.py — launch-tools — Visual Studio Code", editor_release),
    ("slack", "Slack | #launch | Acme", chat_launch),
    ("gnome-calendar", "Calendar — March", calendar_vet),
    ("chromium", "Offsite plan — Google Docs — Chromium", docs_offsite),
]
# (hours ago, screen index): a working day and a half of activity
SCHEDULE = [
    (30, 1),
    (29, 1),
    (29, 2),
    (28, 0),
    (27, 2),
    (26, 4),
    (25, 1),
    (24, 3),
    (8, 2),
    (7, 1),
    (7, 1),
    (6, 0),
    (5, 2),
    (4, 4),
    (3, 1),
    (2, 2),
    (1, 3),
    (1, 1),
]


def write_screens(folder: Path, now: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rendered = {n: make() for n, (_a, _t, make) in enumerate(SCREENS)}
    lines = []
    for k, (hours, n) in enumerate(SCHEDULE):
        app, title, _make = SCREENS[n]
        image = rendered[n].copy()
        # A small change per frame (a clock), so dedup keeps them as distinct moments.
        ImageDraw.Draw(image).text(
            (1300, 12), f"{(now - timedelta(hours=hours)):%H:%M}", fill="#e5e7eb", font=_font(18)
        )
        path = folder / f"frame{k:02d}.png"
        image.save(path)
        at = iso(now - timedelta(hours=hours, minutes=7 * k % 50))
        lines.append(
            {
                "path": str(path),
                "at": at,
                "app": app,
                "title": title,
                "external_id": f"demo-frame-{k}",
            }
        )
    manifest = folder / "manifest.jsonl"
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return manifest


# -- messages and memories -------------------------------------------------------------


def messages(now: datetime) -> list[dict[str, Any]]:
    day = timedelta(days=1)
    rows = [
        (
            6 * day,
            "user",
            "Reminder to self: the dentist moved my appointment to Thursday at 9:30.",
        ),
        (5 * day, "user", "I finally picked a name for the new kitten: Miso. Grey, one white paw."),
        (
            5 * day - timedelta(minutes=1),
            "assistant",
            "Miso is a lovely name! Shall I remember her vet appointments too?",
        ),
        (
            5 * day - timedelta(minutes=2),
            "user",
            "Yes please. Her first vaccination is Thursday at 17:15, Elm Street clinic.",
        ),
        (
            3 * day,
            "user",
            "To deploy the blog: make build, rsync the public folder, then purge the CDN cache.",
        ),
        (2 * day, "user", "Team offsite is in Lisbon from May 12 to May 15; Priya books flights."),
        (1 * day, "user", "Launch moved to Thursday 10:00. Release freeze Wednesday noon."),
    ]
    return [
        {
            "external_id": f"demo-msg-{n}",
            "speaker": "Sam" if role == "user" else "Assistant",
            "role": role,
            "text": text,
            "at": iso(now - ago),
            "session": "notes",
        }
        for n, (ago, role, text) in enumerate(rows)
    ]


def memories(now: datetime) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "semantic",
            {
                "name": "Miso",
                "summary": "Sam's kitten: grey with one white paw",
                "details": "Adopted in March; vet is the Elm Street clinic.",
                "tree_path": ["people and pets"],
            },
        ),
        (
            "semantic",
            {
                "name": "Priya",
                "summary": "Colleague who organises the Lisbon offsite",
                "tree_path": ["people and pets", "work"],
            },
        ),
        (
            "semantic",
            {
                "name": "Northwind Hosting",
                "summary": "Hosting provider for the blog and the launch site; invoices monthly",
                "tree_path": ["work", "vendors"],
            },
        ),
        (
            "episodic",
            {
                "occurred_at": iso(now - timedelta(hours=6)),
                "actor": "Sam",
                "event_type": "review",
                "summary": "Reviewed the Northwind invoice INV-4471: 1,240.00 EUR due 30 November",
                "tree_path": ["work", "finance"],
            },
        ),
        (
            "episodic",
            {
                "occurred_at": iso(now - timedelta(hours=5)),
                "actor": "Maya",
                "event_type": "decision",
                "summary": "Launch moved to Thursday 10:00; final slides needed",
                "tree_path": ["work", "launch"],
            },
        ),
        (
            "procedural",
            {
                "entry_type": "workflow",
                "summary": "Deploy the blog",
                "steps": ["make build", "rsync public/ to the server", "purge the CDN cache"],
                "tree_path": ["projects", "blog"],
            },
        ),
        (
            "procedural",
            {
                "entry_type": "script",
                "summary": "Cut a release of launch-tools",
                "steps": [
                    "bump the version",
                    "git tag vX.Y.Z",
                    "python -m build",
                    "upload dist/ to the stable channel",
                ],
                "tree_path": ["work", "launch"],
            },
        ),
        (
            "resource",
            {
                "title": "Offsite plan — Lisbon",
                "resource_type": "document",
                "summary": "Dates, hotel, agenda and budget of the May offsite",
                "content": "May 12-15, Casa do Largo, 9,800 EUR budget.",
                "tree_path": ["work", "offsite"],
            },
        ),
        (
            "knowledge_vault",
            {
                "entry_type": "api_key",
                "source": "northwind",
                "sensitivity": "high",
                "secret_value": "nw_live_4f9c2a7e1b",
                "caption": "Northwind billing API key",
            },
        ),
        (
            "knowledge_vault",
            {
                "entry_type": "wifi",
                "source": "office",
                "sensitivity": "low",
                "secret_value": "acme-guest-2026",
                "caption": "Office guest Wi-Fi",
            },
        ),
    ]


def seed(data_dir: Path, work: Path, *, embedder: Any = None) -> Any:
    """Build the demo data directory; returns the open Assistant."""
    from agents import open_assistant

    now = datetime.now(UTC).replace(minute=40, second=0, microsecond=0)
    assistant = open_assistant(data_dir, embedder=embedder)
    msg_file = work / "messages.jsonl"
    msg_file.write_text("\n".join(json.dumps(m) for m in messages(now)) + "\n", encoding="utf-8")
    assistant.import_messages(msg_file)
    for type_name, body in memories(now):
        assistant.add(type_name, body)
    assistant.core_rewrite(
        "human",
        "Name: Sam Rivera\nProduct manager at Acme\n"
        "Has a kitten called Miso\nPrefers short answers",
    )
    assistant.core_rewrite("persona", "A concise, friendly assistant that cites its sources.")
    assistant.import_screens(write_screens(work / "frames", now))
    return assistant
