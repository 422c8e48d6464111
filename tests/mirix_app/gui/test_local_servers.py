"""Model servers found on this computer: a scripted Ollama-style server and a
scripted OpenAI-compatible (LM Studio-style) one on 127.0.0.1. ``mirix-app llm
list`` shows both with their models; choosing one in the first-run dialog (or in
Settings) writes a configuration that ``mirix-app llm test`` answers through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agents import Assistant, open_assistant
from agents.settings import load_settings
from mirix_app.gui.first_run import FirstRunDialog
from mirix_app.gui.settings_dialog import SettingsDialog
from tests.fakes import FakeEmbedder
from tests.llm_server import ListedModel, ScriptedLLMServer
from tests.mirix_app.clirun import ok, ok_json

WAIT = 10_000
LLM_WAIT = 90_000  # the first call imports litellm, slow on a busy machine


@pytest.fixture
def ollama() -> Iterator[ScriptedLLMServer]:
    models = (
        ListedModel("llama3.2:latest", ("completion", "tools")),
        ListedModel("llava:7b", ("completion", "vision")),
    )
    with ScriptedLLMServer(kind="ollama", models=models) as server:
        yield server


@pytest.fixture
def studio() -> Iterator[ScriptedLLMServer]:
    models = (ListedModel("qwen2.5-7b-instruct"), ListedModel("nomic-embed", type="embeddings"))
    with ScriptedLLMServer(kind="lmstudio", models=models) as server:
        yield server


@pytest.fixture
def found_here(
    monkeypatch: pytest.MonkeyPatch, ollama: ScriptedLLMServer, studio: ScriptedLLMServer
) -> tuple[ScriptedLLMServer, ScriptedLLMServer]:
    """Both servers on the ports this computer is searched on."""
    monkeypatch.setenv("MIRIX_APP_LOCAL_SERVER_PORTS", f"{ollama.port},{studio.port}")
    return ollama, studio


@pytest.fixture
def app(data_dir: Path, found_here: object) -> Iterator[Assistant]:
    opened = open_assistant(data_dir, embedder=FakeEmbedder())
    yield opened
    opened.close()


def first_run(qtbot: Any, assistant: Assistant) -> FirstRunDialog:
    dialog = FirstRunDialog(assistant)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.servers.found, timeout=WAIT):
        dialog.show()
    return dialog


def choose(dialog: FirstRunDialog, name: str) -> None:
    names = [model.name for _server, model in dialog.servers.choices]
    dialog.servers.models.setCurrentIndex(names.index(name))


def test_llm_list_shows_both_servers_with_their_models(
    data_dir: Path, found_here: tuple[ScriptedLLMServer, ScriptedLLMServer]
) -> None:
    ollama, studio = found_here
    listed = ok_json(data_dir, "llm", "list")
    assert [(s["kind"], s["port"]) for s in listed] == [
        ("ollama", ollama.port),
        ("openai", studio.port),
    ]
    assert [(m["llm_model"], m["images"]) for m in listed[0]["models"]] == [
        ("ollama_chat/llama3.2:latest", False),
        ("ollama_chat/llava:7b", True),
    ]
    assert [m["llm_model"] for m in listed[1]["models"]] == ["openai/qwen2.5-7b-instruct"]
    assert listed[1]["api_base"] == f"http://127.0.0.1:{studio.port}/v1"
    text = ok(data_dir, "llm", "list").stdout
    assert f"Ollama at http://127.0.0.1:{ollama.port} (2 model(s))" in text
    assert "ollama_chat/llava:7b  [takes images]  [no tool calls" in text
    assert "ollama_chat/llama3.2:latest\n" in text
    assert "openai/qwen2.5-7b-instruct" in text and "nomic-embed" not in text


def test_no_server_found_says_so(data_dir: Path) -> None:
    text = ok(data_dir, "llm", "list").stdout  # the tests search no port at all
    assert text.startswith("No model server answered on 127.0.0.1")


def test_choosing_an_ollama_model_at_first_run_configures_it(
    qtbot: Any, app: Assistant, data_dir: Path, ollama: ScriptedLLMServer
) -> None:
    dialog = first_run(qtbot, app)
    assert dialog.on_machine.isChecked()  # nothing configured: the model found is the offer
    assert [m.name for _s, m in dialog.servers.choices] == [
        "llama3.2:latest",
        "llava:7b",
        "qwen2.5-7b-instruct",
    ]
    choose(dialog, "llama3.2:latest")
    assert not dialog.servers.key_frames.isVisible()
    ollama.reply_text("ready")  # Finish checks the chosen model with one call
    with qtbot.waitSignal(dialog.finished_setup, timeout=LLM_WAIT):
        dialog.finish_button.click()
    settings = load_settings(data_dir)
    assert settings.text("llm_model") == "ollama_chat/llama3.2:latest"
    assert settings.text("llm_api_base") == f"http://127.0.0.1:{ollama.port}"
    assert settings.text("llm_images") == "no"
    ollama.reply_text("ready")
    answer = ok_json(data_dir, "llm", "test")
    assert (answer["model"], answer["reply"]) == ("ollama_chat/llama3.2:latest", "ready")
    chat = [r for r in ollama.requests if r.path == "/api/chat"]
    assert len(chat) == 2 and {r.body["model"] for r in chat} == {"llama3.2:latest"}


def test_a_model_that_takes_images_is_offered_key_frames(
    qtbot: Any, app: Assistant, data_dir: Path, ollama: ScriptedLLMServer
) -> None:
    dialog = first_run(qtbot, app)
    choose(dialog, "llava:7b")
    assert dialog.servers.key_frames.isVisible() and dialog.servers.key_frames.isChecked()
    ollama.reply_text("ready")
    with qtbot.waitSignal(dialog.finished_setup, timeout=LLM_WAIT):
        dialog.finish_button.click()
    settings = load_settings(data_dir)
    assert settings.text("llm_model") == "ollama_chat/llava:7b"
    assert (settings.text("llm_images"), settings.integer("vision_key_frames")) == ("yes", 2)


def test_choosing_an_openai_compatible_model_configures_it(
    qtbot: Any, app: Assistant, data_dir: Path, studio: ScriptedLLMServer
) -> None:
    dialog = first_run(qtbot, app)
    choose(dialog, "qwen2.5-7b-instruct")
    studio.reply_text("ready")
    with qtbot.waitSignal(dialog.finished_setup, timeout=LLM_WAIT):
        dialog.finish_button.click()
    settings = load_settings(data_dir)
    assert settings.text("llm_model") == "openai/qwen2.5-7b-instruct"
    assert settings.text("llm_api_base") == studio.api_base
    studio.reply_text("ready")
    assert "answered 'ready'" in ok(data_dir, "llm", "test").stdout
    assert studio.bodies()[-1]["model"] == "qwen2.5-7b-instruct"


def test_with_no_server_the_embedded_model_stays_the_choice(
    qtbot: Any, assistant: Assistant
) -> None:
    dialog = first_run(qtbot, assistant)
    assert not dialog.on_machine.isChecked() and not dialog.servers.choices
    assert "embedded model stays the fallback" in dialog.servers.status.text()
    dialog.on_machine.setChecked(True)
    dialog.finish_button.click()
    assert "No model found" in dialog.message.text() and dialog.isVisible()


def test_settings_use_a_found_model_and_test_it(
    qtbot: Any, app: Assistant, data_dir: Path, studio: ScriptedLLMServer
) -> None:
    dialog = SettingsDialog(app)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.servers.found, timeout=WAIT):
        dialog.show()
    names = [m.name for _s, m in dialog.servers.choices]
    dialog.servers.models.setCurrentIndex(names.index("qwen2.5-7b-instruct"))
    dialog.findChild(type(dialog.test_button), "button_use_local").click()
    assert dialog.fields["llm_model"].value() == "openai/qwen2.5-7b-instruct"
    assert dialog.fields["llm_api_base"].value() == studio.api_base
    studio.reply_text("ready")
    with qtbot.waitSignal(dialog.tested, timeout=LLM_WAIT) as tested:
        dialog.test_button.click()
    assert "answered “ready”" in tested.args[0]
    assert load_settings(data_dir).text("llm_model") == "openai/qwen2.5-7b-instruct"
