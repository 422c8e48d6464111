"""A realistic demo data directory for the README screenshots: a week in the life
of Sam, a product manager with a kitten, a launch and an offsite. Messages,
memories of every type, a vault secret, screenshots of real-looking windows
spread over two days (rendered here, then imported with OCR through the facade),
and a chat history made by real ``ask`` calls against a scripted LLM server. In
English, or in Chinese (``seed(..., language="zh")``: Lin Xiao's week, the same
events, the screens drawn in WenQuanYi Micro Hei).

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
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
"""Chinese screens are drawn in WenQuanYi Micro Hei (Debian: fonts-wqy-microhei)."""
LANGUAGE = "en"
"""The demo's language, "en" or "zh" (set by seed)."""


def _font(size: int, bold: bool = False, mono: bool = False) -> Any:
    name = "DejaVuSansMono" if mono else "DejaVuSans"
    name += "-Bold" if bold else ""
    zh = LANGUAGE == "zh"
    path = CJK_FONT if zh else FONT_DIR / f"{name}.ttf"
    try:  # the .ttc's second face is its monospaced one
        return ImageFont.truetype(str(path), size, index=1 if zh and mono else 0)
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


SCREEN_TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "invoice_title": "Invoice INV-4471 · Northwind Hosting — Mozilla Firefox",
        "invoice_heading": "Invoice INV-4471",
        "invoice_to": "Northwind Hosting · billed to Sam Rivera",
        "invoice_rows": [
            ("Dedicated server (November)", "980.00 EUR"),
            ("Backup storage 2 TB", "160.00 EUR"),
            ("Support plan", "100.00 EUR"),
        ],
        "invoice_total": ("Total due", "1,240.00 EUR"),
        "invoice_note": "Due date: 30 November. Pay by bank transfer to IBAN on file.",
        "editor_title": "release.py — launch-tools — Visual Studio Code",
        "editor_docstring": '    """Cut the launch build: tag, build the wheel, upload."""',
        "editor_comment": "# Launch checklist: freeze on Wednesday, release Thursday 10:00",
        "chat_title": "Slack | #launch | Acme",
        "chat_channels": ["# general", "# launch", "# design", "Priya", "Leo"],
        "chat_messages": [
            ("Maya", "The launch moved to Thursday 10:00; marketing needs the final slides."),
            ("Leo", "I will update the pricing slide tonight."),
            ("Priya", "Flights to Lisbon are booked for May 12, returning May 15."),
            ("Sam", "Great. Release freeze is Wednesday at noon."),
        ],
        "calendar_title": "Calendar — March",
        "calendar_day": "Thursday 14",
        "calendar_events": [
            ("09:30", "Dentist (moved from Tuesday)"),
            ("12:00", "Release freeze"),
            ("17:15", "Miso: first vaccination, Elm Street vet clinic"),
        ],
        "docs_title": "Offsite plan — Google Docs — Chromium",
        "docs_heading": "Team offsite · Lisbon",
        "docs_lines": [
            "Dates: May 12 to May 15",
            "Hotel: Casa do Largo, Alfama (8 rooms)",
            "Day 1: roadmap review · Day 2: customer interviews",
            "Budget: 9,800 EUR approved",
        ],
    },
    "zh": {
        "invoice_title": "发票 INV-4471 · 北风云主机 — Mozilla Firefox",
        "invoice_heading": "发票 INV-4471",
        "invoice_to": "北风云主机 · 付款方：林晓",
        "invoice_rows": [
            ("独享服务器（十一月）", "980.00 欧元"),
            ("备份存储 2 TB", "160.00 欧元"),
            ("技术支持套餐", "100.00 欧元"),
        ],
        "invoice_total": ("应付总额", "1,240.00 欧元"),
        "invoice_note": "付款截止日期：11 月 30 日。请银行转账至预留账户。",
        "editor_title": "release.py — launch-tools — Visual Studio Code",
        "editor_docstring": '    """打包发布版本：打标签、构建 wheel、上传。"""',
        "editor_comment": "# 发布清单：周三代码冻结，周四 10:00 发布",
        "chat_title": "团队聊天 | #发布 | 星河科技",
        "chat_channels": ["# 综合", "# 发布", "# 设计", "王珊", "李雷"],
        "chat_messages": [
            ("马佳", "发布改到周四上午 10:00 了；市场部需要最终版幻灯片。"),
            ("李雷", "今晚我来更新定价那页幻灯片。"),
            ("王珊", "去里斯本的机票订好了：5 月 12 日出发，5 月 15 日返回。"),
            ("林晓", "好的。周三中午代码冻结。"),
        ],
        "calendar_title": "日历 — 三月",
        "calendar_day": "14 日 星期四",
        "calendar_events": [
            ("09:30", "看牙医（从周二改期）"),
            ("12:00", "代码冻结"),
            ("17:15", "味噌：第一次打疫苗，榆树街宠物诊所"),
        ],
        "docs_title": "团建计划 — 在线文档 — Chromium",
        "docs_heading": "团队团建 · 里斯本",
        "docs_lines": [
            "日期：5 月 12 日至 5 月 15 日",
            "酒店：Casa do Largo，阿尔法玛区（8 间房）",
            "第一天：路线图评审 · 第二天：客户访谈",
            "预算：9,800 欧元，已批准",
        ],
    },
}
"""What the demo screens show, per language (the layout is the same)."""


def _text(key: str) -> Any:
    return SCREEN_TEXT[LANGUAGE][key]


def browser_invoice() -> Image.Image:
    image, d = _window(_text("invoice_title"), "#ff7139")
    d.rectangle((0, 52, 1440, 100), fill="#f3f4f6")
    d.text(
        (30, 64),
        "https://billing.northwind.example/invoices/INV-4471",
        fill="#374151",
        font=_font(18),
    )
    d.text((80, 150), _text("invoice_heading"), fill="#111827", font=_font(40, bold=True))
    d.text((80, 215), _text("invoice_to"), fill="#4b5563", font=_font(22))
    y = 300
    for label, amount in _text("invoice_rows"):
        d.text((80, y), label, fill="#111827", font=_font(24))
        d.text((1080, y), amount, fill="#111827", font=_font(24))
        y += 56
    d.line((80, y, 1360, y), fill="#d1d5db", width=2)
    total, amount = _text("invoice_total")
    d.text((80, y + 24), total, fill="#111827", font=_font(28, bold=True))
    d.text((1040, y + 24), amount, fill="#111827", font=_font(28, bold=True))
    d.text((80, y + 90), _text("invoice_note"), fill="#4b5563", font=_font(22))
    return image


def editor_release() -> Image.Image:
    image, d = _window(_text("editor_title"), "#007acc")
    d.rectangle((0, 52, 260, 900), fill="#f3f3f3")
    for n, name in enumerate(["release.py", "changelog.md", "pyproject.toml", "tests/"]):
        d.text((24, 80 + 34 * n), name, fill="#1f2937", font=_font(18))
    code = [
        "def release(version: str) -> None:",
        _text("editor_docstring"),
        "    bump_version(version)",
        '    run("git", "tag", f"v{version}")',
        '    run("python", "-m", "build")',
        '    upload("dist/", channel="stable")',
        "",
        _text("editor_comment"),
    ]
    for n, line in enumerate(code):
        d.text((300, 90 + 38 * n), f"{n + 1:>2}  {line}", fill="#1f2937", font=_font(22, mono=True))
    return image


def chat_launch() -> Image.Image:
    image, d = _window(_text("chat_title"), "#611f69")
    d.rectangle((0, 52, 280, 900), fill="#3f0e40")
    for n, name in enumerate(_text("chat_channels")):
        d.text((28, 84 + 38 * n), name, fill="#f3e8ff", font=_font(20))
    y = 100
    for who, text in _text("chat_messages"):
        d.text((320, y), who, fill="#111827", font=_font(22, bold=True))
        d.text((320, y + 34), text, fill="#1f2937", font=_font(22))
        y += 110
    return image


def calendar_vet() -> Image.Image:
    image, d = _window(_text("calendar_title"), "#0b8043")
    d.text((60, 90), _text("calendar_day"), fill="#111827", font=_font(34, bold=True))
    y = 170
    for at, what in _text("calendar_events"):
        d.rounded_rectangle((60, y, 1200, y + 80), radius=10, fill="#e6f4ea")
        d.text((90, y + 24), f"{at}   {what}", fill="#0f5132", font=_font(26))
        y += 110
    return image


def docs_offsite() -> Image.Image:
    image, d = _window(_text("docs_title"), "#1a73e8")
    d.text((160, 110), _text("docs_heading"), fill="#111827", font=_font(38, bold=True))
    for n, line in enumerate(_text("docs_lines")):
        d.text((160, 200 + 50 * n), line, fill="#1f2937", font=_font(24))
    return image


SCREENS: list[tuple[str, str, Callable[[], Image.Image]]] = [
    ("firefox", "invoice_title", browser_invoice),
    ("code", "editor_title", editor_release),
    ("slack", "chat_title", chat_launch),
    ("gnome-calendar", "calendar_title", calendar_vet),
    ("chromium", "docs_title", docs_offsite),
]
"""(application, the key of its window title, how it is drawn)"""

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
        app, title_key, _make = SCREENS[n]
        title = _text(title_key)
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


MESSAGES = {
    "en": [
        "Reminder to self: the dentist moved my appointment to Thursday at 9:30.",
        "I finally picked a name for the new kitten: Miso. Grey, one white paw.",
        "Miso is a lovely name! Shall I remember her vet appointments too?",
        "Yes please. Her first vaccination is Thursday at 17:15, Elm Street clinic.",
        "To deploy the blog: make build, rsync the public folder, then purge the CDN cache.",
        "Team offsite is in Lisbon from May 12 to May 15; Priya books flights.",
        "Launch moved to Thursday 10:00. Release freeze Wednesday noon.",
    ],
    "zh": [
        "提醒自己：牙医把我的预约改到了周四上午 9:30。",
        "新来的小猫终于取好名字了：味噌。灰色的，一只白爪子。",
        "味噌这个名字真可爱！要我也帮你记住她的兽医预约吗？",
        "好的。她第一次打疫苗是周四 17:15，在榆树街宠物诊所。",
        "部署博客：先 make build，再把 public 文件夹 rsync 到服务器，最后清除 CDN 缓存。",
        "团队团建 5 月 12 日到 15 日在里斯本，机票由王珊来订。",
        "发布改到周四上午 10:00。周三中午代码冻结。",
    ],
}
PEOPLE = {"en": ("Sam", "Assistant"), "zh": ("林晓", "助手")}
"""(the user, the assistant) as speakers of the demo's messages."""


def messages(now: datetime) -> list[dict[str, Any]]:
    day, minute = timedelta(days=1), timedelta(minutes=1)
    when = [6 * day, 5 * day, 5 * day - minute, 5 * day - 2 * minute, 3 * day, 2 * day, day]
    user, assistant = PEOPLE[LANGUAGE]
    return [
        {
            "external_id": f"demo-msg-{n}",
            "speaker": assistant if n == 2 else user,
            "role": "assistant" if n == 2 else "user",
            "text": text,
            "at": iso(now - ago),
            "session": "notes",
        }
        for n, (ago, text) in enumerate(zip(when, MESSAGES[LANGUAGE], strict=True))
    ]


def _memories_en(now: datetime) -> list[tuple[str, dict[str, Any]]]:
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


def _memories_zh(now: datetime) -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "semantic",
            {
                "name": "味噌",
                "summary": "林晓的小猫：灰色，一只白爪子",
                "details": "三月领养；看病去榆树街宠物诊所。",
                "tree_path": ["人和宠物"],
            },
        ),
        (
            "semantic",
            {
                "name": "王珊",
                "summary": "负责组织里斯本团建的同事",
                "tree_path": ["人和宠物", "工作"],
            },
        ),
        (
            "semantic",
            {
                "name": "北风云主机",
                "summary": "博客和发布网站的主机服务商；每月开一次发票",
                "tree_path": ["工作", "供应商"],
            },
        ),
        (
            "episodic",
            {
                "occurred_at": iso(now - timedelta(hours=6)),
                "actor": "林晓",
                "event_type": "核对",
                "summary": "核对了北风云主机的发票 INV-4471：应付 1,240.00 欧元，11 月 30 日到期",
                "tree_path": ["工作", "财务"],
            },
        ),
        (
            "episodic",
            {
                "occurred_at": iso(now - timedelta(hours=5)),
                "actor": "马佳",
                "event_type": "决定",
                "summary": "发布改到周四上午 10:00；还需要最终版幻灯片",
                "tree_path": ["工作", "发布"],
            },
        ),
        (
            "procedural",
            {
                "entry_type": "workflow",
                "summary": "部署博客",
                "steps": ["make build", "把 public/ rsync 到服务器", "清除 CDN 缓存"],
                "tree_path": ["项目", "博客"],
            },
        ),
        (
            "procedural",
            {
                "entry_type": "script",
                "summary": "发布 launch-tools 新版本",
                "steps": [
                    "升级版本号",
                    "git tag vX.Y.Z",
                    "python -m build",
                    "把 dist/ 上传到 stable 渠道",
                ],
                "tree_path": ["工作", "发布"],
            },
        ),
        (
            "resource",
            {
                "title": "团建计划 — 里斯本",
                "resource_type": "document",
                "summary": "五月团建的日期、酒店、日程和预算",
                "content": "5 月 12-15 日，Casa do Largo 酒店，预算 9,800 欧元。",
                "tree_path": ["工作", "团建"],
            },
        ),
        (
            "knowledge_vault",
            {
                "entry_type": "api_key",
                "source": "northwind",
                "sensitivity": "high",
                "secret_value": "nw_live_4f9c2a7e1b",
                "caption": "北风云主机账单 API 密钥",
            },
        ),
        (
            "knowledge_vault",
            {
                "entry_type": "wifi",
                "source": "office",
                "sensitivity": "low",
                "secret_value": "acme-guest-2026",
                "caption": "办公室访客 Wi-Fi",
            },
        ),
    ]


def memories(now: datetime) -> list[tuple[str, dict[str, Any]]]:
    return _memories_zh(now) if LANGUAGE == "zh" else _memories_en(now)


CORE = {
    "en": (
        "Name: Sam Rivera\nProduct manager at Acme\n"
        "Has a kitten called Miso\nPrefers short answers",
        "A concise, friendly assistant that cites its sources.",
    ),
    "zh": (
        "姓名：林晓\n星河科技的产品经理\n养了一只叫味噌的小猫\n喜欢简短的回答",
        "简洁友好的助手，回答时注明出处。",
    ),
}
"""The core memory's human and persona blocks."""


def seed(data_dir: Path, work: Path, *, embedder: Any = None, language: str = "en") -> Any:
    """Build the demo data directory in ``language`` (en or zh); returns the open
    Assistant."""
    global LANGUAGE
    from agents import open_assistant

    LANGUAGE = language
    now = datetime.now(UTC).replace(minute=40, second=0, microsecond=0)
    assistant = open_assistant(data_dir, embedder=embedder)
    msg_file = work / "messages.jsonl"
    msg_file.write_text("\n".join(json.dumps(m) for m in messages(now)) + "\n", encoding="utf-8")
    assistant.import_messages(msg_file)
    for type_name, body in memories(now):
        assistant.add(type_name, body)
    human, persona = CORE[LANGUAGE]
    assistant.core_rewrite("human", human)
    assistant.core_rewrite("persona", persona)
    assistant.import_screens(write_screens(work / "frames", now))
    return assistant
