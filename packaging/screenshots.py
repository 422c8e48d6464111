"""Screenshots of every window for the README, taken from the real app, in the
light and the dark theme.

Seeds a demo data directory (packaging/demo_seed.py), starts Xvfb with trayer
as the tray host, runs the desktop app in this process on the xcb platform,
opens each window, waits until it has loaded what it shows, and saves PNGs to
packaging/screenshots/ (NAME.png light, NAME-dark.png dark; each theme on its
own copy of the demo data; with --language zh_CN, the Chinese demo in the app's
Chinese translation, NAME-zh.png). Chat answers come from a scripted
OpenAI-compatible server on 127.0.0.1 (tests/llm_server.py), so no provider is
needed.

    python packaging/screenshots.py [--out packaging/screenshots] [--language zh_CN]

Needs the Debian packages xvfb, trayer and x11-utils (and fonts-wqy-microhei for
the Chinese set), and a checkout (it uses tests/llm_server.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "packaging")]
os.environ.update(
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    LITELLM_LOCAL_MODEL_COST_MAP="True",
    MIRIX_APP_KEYRING="off",
    QT_QPA_PLATFORM="xcb",
)

import demo_seed  # noqa: E402
from qtwait import idle_jobs, settle, waiting  # noqa: E402
from xsession import paint_root, tray_host, virtual_display  # noqa: E402

DEMO: dict[str, dict[str, Any]] = {
    "en": {
        "answer": (
            "Miso's first vaccination is on Thursday at 17:15 at the Elm Street clinic [{miso}], "
            "so you can go straight after work. Before the launch on Thursday at 10:00: the "
            "freeze is Wednesday at noon and Maya still needs the final slides [{launch}]."
        ),
        "history": [
            (
                "Where is the team offsite this year?",
                "In Lisbon, from May 12 to May 15. Priya is booking the flights, and the hotel "
                "is Casa do Largo in Alfama.",
            ),
            (
                "How do I deploy the blog again?",
                "Three steps: make build, rsync the public folder to the server, then purge the "
                "CDN cache.",
            ),
        ],
        "question": "When is Miso's vaccination, and what is left before the launch?",
        "pet": "Miso",
        "launch": "Launch moved",
        "shown_memory": "Northwind invoice",
        "search": "Lisbon offsite",
        "screen_search": "invoice total due",
    },
    "zh": {
        "answer": (
            "味噌第一次打疫苗是周四 17:15，在榆树街宠物诊所 [{miso}]，下班后直接过去就行。"
            "周四上午 10:00 发布之前：周三中午代码冻结，马佳还需要最终版幻灯片 [{launch}]。"
        ),
        "history": [
            (
                "今年的团建在哪里？",
                "在里斯本，5 月 12 日到 15 日。王珊负责订机票，酒店是阿尔法玛区的 Casa do Largo。",
            ),
            (
                "博客怎么部署来着？",
                "三步：make build，把 public 文件夹 rsync 到服务器，然后清除 CDN 缓存。",
            ),
        ],
        "question": "味噌什么时候打疫苗？发布改到哪天了，还差什么？",
        "pet": "味噌",
        "launch": "发布改到",
        "shown_memory": "北风云主机",
        "search": "里斯本团建",
        "screen_search": "发票应付总额",
    },
}
"""The demo's chat, searches and the memory shown, per language."""
LANGUAGES = {"en": ("en", ""), "zh_CN": ("zh", "-zh")}
"""--language: (the demo data's language, the file names' suffix)."""


def prepare(data_dir: Path, work: Path, server: Any, demo: str) -> dict[str, str]:
    """Seed the demo data in the language ``demo``; returns the ids the scripted
    answer cites."""
    from tests.llm_server import MODEL

    text = DEMO[demo]
    assistant = demo_seed.seed(data_dir, work, embedder=embedder(demo), language=demo)
    try:
        for name, value in (
            ("llm_model", MODEL),
            ("llm_api_base", server.api_base),
            ("chat_topic", "keywords"),
            ("first_run_done", "true"),
            ("capture_exclude_apps", "keepassxc,bitwarden,1password,mirix-app"),
            # Capture starts only for the tray's picture: a frame of the virtual
            # display taken meanwhile would show up in the screenshot search.
            ("capture_on_start", "false"),
        ):
            assistant.set_config(name, value)
        session = None
        for question, answer in text["history"]:
            server.reply_text(answer)
            session = assistant.ask(question, session=session).session
        miso = next(r.id for r in assistant.browse("semantic") if r.fields["name"] == text["pet"])
        launch = next(
            r.id
            for r in assistant.browse("episodic")
            if str(r.fields["summary"]).startswith(text["launch"])
        )
        return {"miso": miso, "launch": launch}
    finally:
        assistant.close()


def embedder(demo: str) -> Any:
    """MiniLM for English (quick); the default pair for Chinese, which MiniLM cannot
    read (None: the ``embedder`` setting's)."""
    from agents.embeddings import MiniLMEmbedder

    return MiniLMEmbedder() if demo == "en" else None


def save(widget: Any, out: Path, name: str) -> None:
    settle()
    path = out / f"{name}.png"
    widget.grab().save(str(path))
    print(f"wrote {path} ({widget.width()}x{widget.height()})")


def shoot(
    data_dir: Path, out: Path, server: Any, cited: dict[str, str], *, scheme: str, language: str
) -> None:
    """Every window of the app on ``data_dir`` in the theme ``scheme`` (light or dark),
    with the demo of ``language`` (see LANGUAGES; the app's translation is installed)."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    from agents import open_assistant
    from agents.settings import save_setting
    from mirix_app.gui.app import Desktop

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    demo, suffix = LANGUAGES[language]
    save_setting(data_dir, "theme", scheme)  # read when the app opens its data
    desktop = Desktop(
        lambda: open_assistant(data_dir, embedder=embedder(demo)),
        use_tray=True,
        show_first_run=False,
    )
    with waiting(desktop.ready):
        pass
    suffix += "" if scheme == "light" else f"-{scheme}"
    text = DEMO[demo]

    steps: list[tuple[str, Callable[[], Any]]] = [
        ("chat", lambda: chat(desktop, server, cited, text)),
        ("memories", lambda: memories(desktop, text)),
        ("screens", lambda: screens(desktop, text)),
        ("settings", lambda: settings(desktop)),
        ("first-run", lambda: desktop.open_first_run()),
        ("search", lambda: quick_search(desktop, text)),
    ]
    for name, open_window in steps:
        window = open_window()
        save(window, out, name + suffix)
        window.hide()

    # The tray and its menu, as the whole screen's top-right corner shows them.
    assert desktop.tray is not None
    desktop.toggle_capture()  # capturing, as the app is after its first run
    geometry = desktop.tray.geometry()
    menu = desktop.tray.contextMenu()
    menu.popup(QPoint(geometry.right() - menu.sizeHint().width(), geometry.bottom() + 4))
    settle(600)
    screen = app.primaryScreen()
    shot = screen.grabWindow(0)
    width = 420
    tray = out / f"tray{suffix}.png"
    shot.copy(shot.width() - width, 0, width, menu.sizeHint().height() + 60).save(str(tray))
    print(f"wrote {tray}")
    menu.hide()
    desktop.shut_down()  # not quit: the next theme runs in the same event loop


def chat(desktop: Any, server: Any, cited: dict[str, str], text: dict[str, Any]) -> Any:
    window = desktop.open_chat()
    with waiting(window.history_loaded):
        pass
    window.resize(760, 820)
    server.reply_text(text["answer"].format(**cited))
    window.input.setPlainText(text["question"])
    with waiting(window.answered):
        window.send()
    return window


def memories(desktop: Any, text: dict[str, Any]) -> Any:
    window = desktop.open_memories()
    window.resize(1180, 700)
    with waiting(window.listed, when=lambda type_name, _rows: type_name == "episodic"):
        window.select_type("episodic")
    tree = window.lists["episodic"]
    target = next(
        (
            tree.topLevelItem(n)
            for n in range(tree.topLevelItemCount())
            if text["shown_memory"] in tree.topLevelItem(n).text(1)
        ),
        tree.topLevelItem(0),
    )
    with waiting(window.shown):
        tree.setCurrentItem(target)
    tree.resizeColumnToContents(0)
    return window


def settings(desktop: Any) -> Any:
    # The chat above was answered by the scripted server; show a provider as a user
    # would set one up.
    desktop.assistant.set_config("llm_model", "ollama/llama3.2")
    desktop.assistant.set_config("llm_api_base", "http://localhost:11434")
    window = desktop.open_settings()
    with waiting(window.use_shown):
        pass
    return window


def quick_search(desktop: Any, text: dict[str, Any]) -> Any:
    window = desktop.open_search()
    window.resize(680, 460)
    with waiting(window.searched):
        window.query.setText(text["search"])
    return window


def screens(desktop: Any, text: dict[str, Any]) -> Any:
    window = desktop.open_screens()
    window.resize(1140, 900)
    with waiting(window.activity_shown):
        pass
    window.query.setText(text["screen_search"])
    with waiting(window.searched):
        window.search()
    idle_jobs(window)
    return window


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "packaging" / "screenshots")
    parser.add_argument(
        "--language",
        choices=sorted(LANGUAGES),
        default="en",
        help="en: NAME.png and NAME-dark.png; zh_CN: the Chinese demo in the Chinese "
        "translation, NAME-zh.png (light theme)",
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from tests.llm_server import ScriptedLLMServer

    demo, _suffix = LANGUAGES[args.language]
    with tempfile.TemporaryDirectory() as tmp, ScriptedLLMServer() as server:
        work = Path(tmp)
        seeded = work / "data"
        print("seeding the demo data directory (OCR and embeddings take a minute)…")
        cited = prepare(seeded, work, server, demo)
        with virtual_display("1600x1000x24") as display, tray_host(display):
            paint_root(display)
            os.environ["DISPLAY"] = display
            from PySide6.QtWidgets import QApplication

            from mirix_app.gui.app import prepare_application
            from mirix_app.gui.i18n import install_language

            app = QApplication(["mirix-app"])
            prepare_application(app)
            install_language(app, args.language)
            for scheme in ("light", "dark") if args.language == "en" else ("light",):
                data_dir = work / f"data-{scheme}"
                shutil.copytree(seeded, data_dir)
                shoot(data_dir, args.out, server, cited, scheme=scheme, language=args.language)


if __name__ == "__main__":
    main()
