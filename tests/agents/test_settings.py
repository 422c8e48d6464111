"""agents/settings.py and the status / LLM-test paths of the Assistant."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents import AgentError, open_assistant
from agents.errors import LLMAuthError
from agents.settings import SETTINGS, SettingsError, load_settings, save_setting
from tests.fakes import FakeEmbedder
from tests.llm_server import ScriptedLLMServer


def test_defaults_file_and_environment_in_that_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(tmp_path)["llm_model"] == ""
    save_setting(tmp_path, "llm_model", "openai/gpt-4o-mini")
    save_setting(tmp_path, "llm_timeout_s", "12.5")
    loaded = load_settings(tmp_path)
    assert (loaded["llm_model"], loaded.sources["llm_model"]) == ("openai/gpt-4o-mini", "file")
    assert loaded["llm_timeout_s"] == 12.5
    assert (tmp_path / "settings.json").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("MIRIX_APP_LLM_MODEL", "ollama/llama3.2")
    assert load_settings(tmp_path).sources["llm_model"] == "environment"
    assert load_settings(tmp_path).llm().model == "ollama/llama3.2"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("nope", "x", "Unknown setting"),
        ("llm_timeout_s", "soon", "number"),
        ("llm_timeout_s", "-1", "positive"),
        ("vision_key_frames", "5", "at most 4"),
        ("vision_key_frames", "-1", "at least 0"),
        ("vision_key_frames", "1.5", "number"),
    ],
)
def test_bad_settings_are_refused(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        save_setting(tmp_path, name, value)
    assert not (tmp_path / "settings.json").exists()


def test_key_frames_are_off_by_default_and_zero_is_a_valid_value(tmp_path: Path) -> None:
    assert load_settings(tmp_path).integer("vision_key_frames") == 0
    assert save_setting(tmp_path, "vision_key_frames", "4") == 4
    assert save_setting(tmp_path, "vision_key_frames", "0") == 0
    assert load_settings(tmp_path).sources["vision_key_frames"] == "file"


def test_a_damaged_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("{not json")
    with pytest.raises(SettingsError, match="fix or delete"):
        load_settings(tmp_path)
    (tmp_path / "settings.json").write_text(json.dumps({"llm_key": "sk-123"}))
    with pytest.raises(SettingsError, match="unknown setting"):
        load_settings(tmp_path)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in readme


def test_status_names_the_floor_when_no_llm_is_configured(tmp_path: Path) -> None:
    app = open_assistant(tmp_path, embedder=FakeEmbedder())
    try:
        status = app.status()
        assert status["llm"]["mode"] == "rule-based floor"
        assert status["llm"]["reason"].endswith("local_llm is off")  # tests' default
        assert status["vault_key"]["backend"] == "key-file"
        assert status["embedder"]["name"] == "fake-bag-of-words"
        with pytest.raises(AgentError, match="No LLM is configured"):
            app.llm_test()
    finally:
        app.close()


def test_llm_test_makes_one_call_to_the_configured_provider(
    tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    app = open_assistant(tmp_path, embedder=FakeEmbedder())
    try:
        app.set_config("llm_model", "openai/scripted")
        app.set_config("llm_api_base", llm_server.api_base)
        llm_server.reply_text("ready")
        result = app.llm_test()
        assert result["reply"] == "ready"
        assert len(llm_server.requests) == 1
        assert app.status()["llm"] == {
            "mode": "provider",
            "model": "openai/scripted",
            "api_base": llm_server.api_base,
            "api_key_from": "OS keyring",
        }
    finally:
        app.close()


def test_a_missing_api_key_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    app = open_assistant(tmp_path, embedder=FakeEmbedder())
    try:
        app.set_config("llm_model", "openai/gpt-4o-mini")
        with pytest.raises(LLMAuthError, match="No API key for openai"):
            app.llm_test()
    finally:
        app.close()


def test_switches_and_lists_parse_from_text_json_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MIRIX_APP_LOCAL_LLM")  # the tests' default turns it off
    assert load_settings(tmp_path).flag("local_llm") is True
    save_setting(tmp_path, "local_llm", "off")
    save_setting(tmp_path, "capture_monitors", "1, 2")
    save_setting(tmp_path, "capture_exclude_titles", '["secret.*window", "vault"]')
    loaded = load_settings(tmp_path)
    assert loaded.flag("local_llm") is False
    assert loaded.texts("capture_monitors") == ("1", "2")
    assert loaded.texts("capture_exclude_titles") == ("secret.*window", "vault")
    stored = json.loads((tmp_path / "settings.json").read_text())
    assert stored["capture_monitors"] == ["1", "2"] and stored["local_llm"] is False
    monkeypatch.setenv("MIRIX_APP_LOCAL_LLM", "yes")
    assert load_settings(tmp_path).flag("local_llm") is True
    for name, bad in [
        ("local_llm", "maybe"),
        ("capture_monitors", "[1, 2]"),
        ("redact_local", "2"),
    ]:
        with pytest.raises(SettingsError, match=name):
            save_setting(tmp_path, name, bad)
