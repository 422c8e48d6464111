"""The chat window: a round trip against the scripted LLM server over real HTTP,
the answer streamed into the window, the memories it was given shown by type and
openable, history after a restart, Enter / Shift+Enter, and an unreachable LLM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from agents import Assistant, open_assistant
from agents.errors import LLMError
from mirix_app.gui.chat import ChatWindow
from tests.fakes import BODIES, FakeEmbedder
from tests.llm_server import MODEL, Reply, ScriptedLLMServer

WAIT = 10_000
LLM_WAIT = 90_000  # the first call imports litellm, slow on a busy machine


def configure(assistant: Assistant, server: ScriptedLLMServer) -> None:
    assistant.set_config("llm_model", MODEL)
    assistant.set_config("llm_api_base", server.api_base)


class Opened:
    """What the window asked the desktop to open."""

    def __init__(self) -> None:
        self.memories: list[str] = []
        self.settings = 0

    def open_memories(self, item_id: str) -> None:
        self.memories.append(item_id)

    def open_settings(self) -> None:
        self.settings += 1


def chat_window(qtbot: Any, assistant: Assistant, desktop: Any = None) -> ChatWindow:
    window = ChatWindow(assistant, desktop=desktop)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.history_loaded, timeout=WAIT):
        window.show()
    return window


def test_round_trip_streams_the_answer_and_shows_the_memories(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer
) -> None:
    configure(assistant, llm_server)
    jordan = assistant.add("semantic", BODIES["semantic"]).id
    episode = assistant.add("episodic", BODIES["episodic"]).id
    unrelated = assistant.add("procedural", BODIES["procedural"]).id
    text = f"Jordan is your climbing partner; you hiked Mount Tam together [{jordan}]."
    llm_server.add(Reply(text=text))
    desktop = Opened()
    window = chat_window(qtbot, assistant, desktop)
    tokens: list[str] = []
    window.streamed.connect(tokens.append)

    window.input.setPlainText("Is Jordan the climbing partner who hiked up Mount Tam with me?")
    with qtbot.waitSignal(window.answered, timeout=LLM_WAIT) as answered:
        qtbot.keyClick(window.input, Qt.Key.Key_Return)
    assert answered.args[0] == text
    assert len(tokens) > 3 and "".join(tokens) == text  # it arrived in pieces
    user, bot = window.bubbles
    assert user.label.text() == "Is Jordan the climbing partner who hiked up Mount Tam with me?"
    # the citation became a numbered link, in the answer and on the memory it names
    cited = f"<a style='color:#4656d9; text-decoration:none' href='{jordan}'><sup>1</sup></a>"
    assert bot.label.text().endswith(f"together {cited}.")
    assert "<sup>1</sup>&nbsp;Jordan" in bot.memories.text()
    bot.label.linkActivated.emit(jordan)
    assert window.input.toPlainText() == ""

    listed = bot.memories.text()
    assert bot.memories.isVisibleTo(window)
    assert ">Facts</span>" in listed and ">Episodes</span>" in listed
    assert f"href='{jordan}'" in listed and f"href='{episode}'" in listed
    # found by the search, but not close to the question: not listed, not in the prompt
    assert unrelated not in listed
    bot.memories.linkActivated.emit(episode)
    assert desktop.memories == [jordan, episode]
    (body,) = llm_server.bodies()
    assert body["stream"] is True and jordan in str(body["messages"][0]["content"])
    assert unrelated not in str(body["messages"][0]["content"])


def test_shift_enter_is_a_new_line_and_does_not_send(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer
) -> None:
    configure(assistant, llm_server)
    window = chat_window(qtbot, assistant)
    window.input.setPlainText("first line")
    window.input.moveCursor(window.input.textCursor().MoveOperation.End)
    qtbot.keyClick(window.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.input, "second line")
    assert window.input.toPlainText() == "first line\nsecond line"
    assert window.bubbles == [] and llm_server.requests == []


def test_history_survives_a_restart(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer, data_dir: Path
) -> None:
    configure(assistant, llm_server)
    llm_server.reply_text("Noted: Tuesday at the music school.")
    window = chat_window(qtbot, assistant)
    window.input.setPlainText("My guitar lessons start on Tuesday.")
    with qtbot.waitSignal(window.answered, timeout=LLM_WAIT):
        window.send()
    window.close()
    assistant.close()

    reopened = open_assistant(data_dir, embedder=FakeEmbedder())
    try:
        again = chat_window(qtbot, reopened)
        texts = [(b.role, b.label.text()) for b in again.bubbles]
        assert texts == [
            ("user", "My guitar lessons start on Tuesday."),
            ("assistant", "Noted: Tuesday at the music school."),
        ]
    finally:
        reopened.close()


def test_unreachable_llm_shows_a_message_and_a_settings_button(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer
) -> None:
    configure(assistant, llm_server)
    assistant.set_config("llm_api_base", "http://127.0.0.1:9/v1")  # nothing listens there
    assistant.set_config("llm_timeout_s", "2")
    desktop = Opened()
    window = chat_window(qtbot, assistant, desktop)
    window.input.setPlainText("Is anybody there?")
    with qtbot.waitSignal(window.failed, timeout=LLM_WAIT) as failed:
        window.send()
    assert "\n" not in failed.args[0]
    assert window.banner.isVisibleTo(window)
    assert window.settings_button.isVisibleTo(window)
    assert [b.role for b in window.bubbles] == ["user"]  # the empty answer bubble is gone
    assert window.bubbles[0].retry_button.isVisibleTo(window)
    assert window.send_button.isEnabled()
    window.settings_button.click()
    assert desktop.settings == 1


def test_without_an_llm_it_says_so_and_lists_what_it_found(
    qtbot: Any, assistant: Assistant
) -> None:
    jordan = assistant.add("semantic", BODIES["semantic"]).id
    window = chat_window(qtbot, assistant)
    window.input.setPlainText("Who is Jordan?")
    with qtbot.waitSignal(window.answered, timeout=WAIT):
        window.send()
    assert window.banner.isVisibleTo(window) and window.settings_button.isVisibleTo(window)
    # the real reason (conftest turns the embedded model off), not "choose one"
    assert "local_llm is off" in window.banner_text.text()
    assert jordan in window.bubbles[-1].memories.text()


def test_only_citations_of_given_memories_become_links(qtbot: Any) -> None:
    from mirix_app.gui.chat import Bubble

    bubble = Bubble("assistant", "")
    qtbot.addWidget(bubble)
    assert bubble.show_answer("See [sem_unknown] and <b>this</b>.", []) == {}
    assert bubble.label.text() == "See [sem_unknown] and <b>this</b>."
    assert bubble.label.textFormat() == Qt.TextFormat.PlainText


def test_a_failed_turn_stays_and_can_be_retried(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer, data_dir: Path
) -> None:
    configure(assistant, llm_server)
    assistant.set_config("llm_timeout_s", "5")
    llm_server.reply_error(401, "Incorrect API key provided.")
    window = chat_window(qtbot, assistant)
    window.input.setPlainText("When is the dentist?")
    with qtbot.waitSignal(window.failed, timeout=LLM_WAIT):
        window.send()
    (asked,) = window.bubbles
    assert asked.role == "user" and asked.problem.isVisibleTo(window)
    assert "Not answered" in asked.problem.text.text()

    llm_server.reply_text("Tuesday at three.")
    with qtbot.waitSignal(window.answered, timeout=LLM_WAIT) as answered:
        qtbot.mouseClick(asked.retry_button, Qt.MouseButton.LeftButton)
    assert answered.args[0] == "Tuesday at three."
    assert not asked.problem.isVisibleTo(window)
    assert [b.role for b in window.bubbles] == ["user", "assistant"]
    # The question was stored once, when first asked; the retry answered that one.
    stored = [(r.fields["role"], r.fields["text"]) for r in assistant.chat_history()]
    assert stored == [("user", "When is the dentist?"), ("assistant", "Tuesday at three.")]


def test_an_unanswered_question_from_before_offers_retry(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer
) -> None:
    configure(assistant, llm_server)
    llm_server.reply_error(500, "Down for maintenance.")
    with pytest.raises(LLMError):  # the provider failed while the window was closed
        assistant.ask("Where is the offsite?", session="chat-earlier")
    window = chat_window(qtbot, assistant)
    (asked,) = window.bubbles
    qtbot.waitUntil(lambda: asked.retry_button.isVisibleTo(window), timeout=WAIT)
    llm_server.reply_text("Lisbon.")
    with qtbot.waitSignal(window.answered, timeout=LLM_WAIT):
        asked.retry_button.click()
    assert [r.fields["text"] for r in assistant.chat_history()] == [
        "Where is the offsite?",
        "Lisbon.",
    ]


def test_when_no_memory_is_close_it_says_so(
    qtbot: Any, assistant: Assistant, llm_server: ScriptedLLMServer
) -> None:
    configure(assistant, llm_server)
    assistant.add("procedural", BODIES["procedural"])
    assistant.add("resource", BODIES["resource"])
    llm_server.reply_text("Water it when the soil is dry.")
    window = chat_window(qtbot, assistant)
    window.input.setPlainText("Ficus watering schedule?")
    with qtbot.waitSignal(window.answered, timeout=LLM_WAIT):
        window.send()
    text = window.bubbles[-1].memories.text()
    assert "No memory was close to this question" in text
    assert "href=" not in text
