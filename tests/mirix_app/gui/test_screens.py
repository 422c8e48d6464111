"""Screenshot search on a seeded database: results as thumbnails with time, app,
title and the marked snippet; the app filter; the activity timeline; the full
image. The screenshots are imported through the facade (OCR included) once per
module and copied for each test."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from agents import Assistant, open_assistant
from mirix_app.gui.image_view import ImageWindow
from mirix_app.gui.screens import ScreenSearchWindow, mark
from tests.fake_screen import screen_with
from tests.fakes import FakeEmbedder
from tests.screens_data import keep_text_frame

WAIT = 30_000
SCREENS = (
    (
        "firefox",
        "Invoice 4471 - Mozilla Firefox",
        ["Invoice 4471", "Total due: 1,240.00 EUR", "Due date: 30 November"],
    ),
    (
        "code",
        "release.py - Visual Studio Code",
        ["def release(version):", "    tag the build", "    upload the wheel"],
    ),
    (
        "slack",
        "Slack | #launch",
        ["Maya: launch moved to Thursday", "Leo: I will update the slides"],
    ),
)


@pytest.fixture(scope="module")
def screens_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("screens")
    now = datetime.now(UTC)
    lines = []
    for n, (app, title, text) in enumerate(SCREENS):
        image = root / f"screen{n}.png"
        screen_with(text).save(image)
        at = (now - timedelta(hours=3 - n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(
            {"path": str(image), "at": at, "app": app, "title": title, "external_id": f"screen-{n}"}
        )
    manifest = root / "manifest.jsonl"
    manifest.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    assistant = open_assistant(root / "data", embedder=FakeEmbedder())
    try:
        report = assistant.import_screens(manifest)
        assert report.imported == 3, report.to_dict()
    finally:
        assistant.close()
    return root / "data"


@pytest.fixture
def screens_assistant(screens_template: Path, tmp_path: Path) -> Any:
    data = tmp_path / "data"
    shutil.copytree(screens_template, data)
    assistant = open_assistant(data, embedder=FakeEmbedder())
    yield assistant
    assistant.close()


class Opened:
    def __init__(self) -> None:
        self.images: list[str] = []

    def open_image(self, path: str) -> None:
        self.images.append(path)


def search_window(qtbot: Any, assistant: Assistant, desktop: Any = None) -> ScreenSearchWindow:
    window = ScreenSearchWindow(assistant, desktop=desktop)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.activity_shown, timeout=WAIT):
        window.show()
    return window


def run_search(qtbot: Any, window: ScreenSearchWindow, query: str) -> int:
    window.query.setText(query)
    with qtbot.waitSignal(window.searched, timeout=WAIT) as searched:
        window.search()
    if window.jobs.busy:
        with qtbot.waitSignal(window.jobs.idle, timeout=WAIT):
            pass  # thumbnails
    return int(searched.args[0])


def test_results_show_thumbnail_time_app_title_and_marked_snippet(
    qtbot: Any, screens_assistant: Assistant
) -> None:
    desktop = Opened()
    window = search_window(qtbot, screens_assistant, desktop)
    assert run_search(qtbot, window, "invoice total") >= 1
    card = window.cards[0]
    assert card.hit.app == "firefox" and card.hit.title.startswith("Invoice 4471")
    texts = " ".join((card.meta.text(), card.title.text()))
    assert "firefox" in texts and "Invoice 4471 - Mozilla Firefox" in texts
    snippet = card.snippet.text()
    assert "<b style='background:#fde68a'>Invoice</b>" in snippet
    assert "<b style='background:#fde68a'>Total</b>" in snippet
    # the time and app sit under the thumbnail, not on it
    assert card.meta.geometry().top() >= card.thumb.geometry().bottom()
    assert card.title.geometry().top() >= card.meta.geometry().bottom()
    assert card.thumb.pixmap() is not None and not card.thumb.pixmap().isNull()
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert desktop.images == [card.hit.path]
    assert "match" in window.status.text()


def test_changing_the_app_filter_searches_again(qtbot: Any, screens_assistant: Assistant) -> None:
    window = search_window(qtbot, screens_assistant)
    run_search(qtbot, window, "launch moved to Thursday")
    assert "slack" in {c.hit.app for c in window.cards}
    with qtbot.waitSignal(window.searched, timeout=WAIT):
        window.app_filter.setCurrentIndex(window.app_filter.findData("code"))
    assert {c.hit.app for c in window.cards} <= {"code"}
    assert "code" in window.status.text() or "No screenshot matches" in window.empty.title.text()
    with qtbot.waitSignal(window.searched, timeout=WAIT):
        window.app_filter.setCurrentIndex(0)  # all applications again
    assert "slack" in {c.hit.app for c in window.cards}


def test_words_on_every_screen_are_not_marked(qtbot: Any, screens_assistant: Assistant) -> None:
    window = search_window(qtbot, screens_assistant)
    assert run_search(qtbot, window, "update the slides") >= 1
    snippet = window.cards[0].snippet.text()
    assert "<b style='background:#fde68a'>slides</b>" in snippet
    assert "<b style='background:#fde68a'>the</b>" not in snippet
    assert mark("update the slides", "water the slides") == (
        "update the <b style='background:#fde68a'>slides</b>"
    )


def test_app_filter_narrows_the_results(qtbot: Any, screens_assistant: Assistant) -> None:
    window = search_window(qtbot, screens_assistant)
    apps = [window.app_filter.itemText(i) for i in range(window.app_filter.count())]
    assert apps == ["All applications", "code", "firefox", "slack"]
    window.app_filter.setCurrentText("slack")
    assert run_search(qtbot, window, "launch moved to Thursday") >= 1
    assert {c.hit.app for c in window.cards} == {"slack"}


def test_activity_timeline_counts_frames_per_hour_by_app(
    qtbot: Any, screens_assistant: Assistant
) -> None:
    window = search_window(qtbot, screens_assistant)
    timeline = window.timeline
    assert len(timeline.hours) == 3
    assert sorted(a for counts in timeline.counts.values() for a in counts) == [
        "code",
        "firefox",
        "slack",
    ]
    assert sum(n for c in timeline.counts.values() for n in c.values()) == 3
    image = timeline.grab().toImage()
    assert not image.isNull() and image.width() > 100


def test_a_query_with_no_match_says_so(qtbot: Any, screens_assistant: Assistant) -> None:
    window = search_window(qtbot, screens_assistant)
    window.range.setCurrentIndex(0)  # last 24 hours
    assert run_search(qtbot, window, "zebra xylophone quartz") == 0
    assert window.pages.currentWidget() is window.empty
    assert "No screenshot matches" in window.empty.title.text()
    assert "last 24 hours" in window.empty.hint.text()


def test_full_image_opens(qtbot: Any, screens_assistant: Assistant) -> None:
    window = search_window(qtbot, screens_assistant)
    run_search(qtbot, window, "release version")
    viewer = ImageWindow()
    qtbot.addWidget(viewer)
    viewer.resize(900, 600)
    viewer.show()
    with qtbot.waitSignal(viewer.loaded, timeout=WAIT) as loaded:
        viewer.load(Path(window.cards[0].hit.path))
    assert loaded.args == [True]
    # It opens fitted to the window: no scroll bars, the whole screen in view.
    view = viewer.area.viewport().size()
    shown = viewer.label.pixmap().size()
    assert viewer.fitting and shown.width() <= view.width() and shown.height() <= view.height()
    assert shown.width() < 1280 and "%" in viewer.caption.text()
    assert not viewer.area.horizontalScrollBar().isVisible()
    viewer.actual_button.click()  # pixel for pixel
    assert viewer.label.pixmap().width() == 1280 and viewer.shown_scale() == 1.0
    viewer.fit_button.click()
    assert viewer.label.pixmap().width() == shown.width()


def test_mark_escapes_html_and_marks_words() -> None:
    assert mark("a <b> total of 3", "total") == (
        "a &lt;b&gt; <b style='background:#fde68a'>total</b> of 3"
    )


def test_a_screenshot_cited_in_chat_opens_its_image(
    qtbot: Any, screens_assistant: Assistant
) -> None:
    from mirix_app.gui.chat import ChatWindow

    (hit,) = screens_assistant.screens_search("invoice", limit=1)
    desktop = Opened()
    window = ChatWindow(screens_assistant, desktop=desktop)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.history_loaded, timeout=WAIT):
        pass
    window._open_memory(hit.screenshot_id)
    with qtbot.waitSignal(window.jobs.idle, timeout=WAIT):
        pass
    assert desktop.images == [hit.path] and Path(hit.path).is_file()


def test_browser_screenshots_tab_links_the_image(qtbot: Any, screens_assistant: Assistant) -> None:
    from mirix_app.gui.browser import MemoryBrowser

    desktop = Opened()
    window = MemoryBrowser(screens_assistant, desktop=desktop)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.listed, timeout=WAIT, check_params_cb=lambda t, _n: t == "core"):
        pass
    with qtbot.waitSignal(window.listed, timeout=WAIT) as listed:
        window.select_type("screenshot")
    assert listed.args == ["screenshot", 3]
    tree = window.lists["screenshot"]
    with qtbot.waitSignal(window.shown, timeout=WAIT):
        tree.setCurrentItem(tree.topLevelItem(0))
    assert "open the image" in window.detail.sources.text()
    href = window.detail.sources.text().split("href='")[-1].split("'")[0]
    window.detail.sources.linkActivated.emit(href)
    (opened,) = desktop.images
    assert Path(opened).is_absolute() and Path(opened).is_file()
    assert not window.detail.save_button.isVisible()  # raw sources are kept as they came
    assert window.detail.delete_button.text() == "Delete for good…"  # or forgotten


def test_frames_of_one_window_showing_the_same_text_are_one_card(
    qtbot: Any, assistant: Assistant
) -> None:
    page = "Invoice 4471\nTotal due: 1,240.00 EUR\nDue date: 30 November\nPay by transfer"
    start = datetime.now(UTC) - timedelta(hours=1)  # inside the window's default range
    stamps = [(start + timedelta(seconds=4 * n)).strftime("%Y-%m-%dT%H:%M:%SZ") for n in range(3)]
    for n, at in enumerate(stamps):
        keep_text_frame(
            assistant, f"typing-{n}", page + " now" * n, app="firefox", title="Invoice", at=at
        )
    keep_text_frame(
        assistant, "mail", "Invoice 4471 paid", app="thunderbird", title="Inbox", at=stamps[0]
    )
    window = search_window(qtbot, assistant)
    window.query.setText("invoice total due")
    with qtbot.waitSignal(window.searched, timeout=WAIT) as searched:
        window.search()
    assert searched.args == [2]
    first, second = window.cards
    assert (first.hit.app, len(first.alike)) == ("firefox", 2)
    assert "+2 alike" in first.meta.text()
    assert (second.hit.app, second.alike) == ("thunderbird", [])
    assert "2 screenshots match" in window.status.text()
    assert "4 frames" in window.status.text()


def test_deleting_a_card_forgets_its_frames_after_saying_how_many(
    qtbot: Any, assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC) - timedelta(hours=1)
    page = "Invoice 4471\nTotal due: 1,240.00 EUR\nDue date: 30 November\nPay by transfer"
    ids = [
        keep_text_frame(
            assistant,
            f"typing-{n}",
            page + " now" * n,
            app="firefox",
            title="Invoice",
            at=(start + timedelta(seconds=4 * n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        for n in range(2)
    ]
    asked: list[str] = []

    def answer(_parent: Any, title: str, text: str, *a: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    window = search_window(qtbot, assistant)
    assert run_search(qtbot, window, "invoice total due") == 1
    [card] = window.cards
    assert {card.hit.screenshot_id, *(h.screenshot_id for h in card.alike)} == set(ids)
    with qtbot.waitSignal(window.forgot, timeout=WAIT) as forgot:
        card.delete_button.click()
    assert forgot.args == [2]
    assert asked == [
        "This deletes for good 2 screenshots (firefox 2): images, text and everything made "
        "from them. It cannot be undone."
    ]
    assert window.cards == [] and "Forgot 2 screenshots" in window.status.text()
    assert {r.id for r in assistant.browse("screenshot")} == set()
    assert assistant.screens_search("invoice total due") == []
