"""agents/settings.py and the status / LLM-test paths of the Assistant."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agents import AgentError, open_assistant
from agents.errors import LLMAuthError
from agents.settings import (
    SETTINGS,
    LiveSettings,
    SettingsError,
    load_settings,
    save_setting,
    setting_named,
)
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


def test_a_whole_number_of_thousands_of_digits_is_refused_not_a_crash() -> None:
    with pytest.raises(SettingsError, match="too large a number"):
        setting_named("batch_items").parse("9" * 4000)


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
        ("capture_monitors", "9" * 4301),  # int() refuses that many digits itself
        ("capture_monitors", "²"),  # a digit to isdigit(), not to int()
        ("redact_local", "2"),
    ]:
        with pytest.raises(SettingsError, match=name):
            save_setting(tmp_path, name, bad)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("chat_topic", "banana", "chat_topic must be one of auto, llm, keywords, got 'banana'"),
        ("batch_items", "0", "at least 1"),
        ("batch_items", "2.5", "whole number"),
        ("screenshot_quality", "101", "at most 100"),
        ("capture_monitors", "1,left", "'left' is not a monitor number"),
        ("capture_exclude_titles", "ok,[unclosed", "'[unclosed' is not a valid regular"),
        ("capture_interval_s", "nan", "finite"),
        ("llm_api_base", "localhost:11434", "http:// or https:// URL"),
        ("llm_api_key_env", "OPENAI-API-KEY", "name of an environment variable"),
    ],
)
def test_every_setting_is_checked_by_the_schema_when_set(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        save_setting(tmp_path, name, value)
    assert not (tmp_path / "settings.json").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("llm_api_key_env", "sk-live-4eC39HqLyjWDarjtT1zdp7dc9f3Kq2Lm"),
        ("llm_api_key_env", "AKIAIOSFODNN7EXAMPLE"),
        ("llm_api_key_env", "Zx8Qm2Lk9Vb7Tn4Rp1Ws6Yd3Hf0Jg5Ac"),
        ("llm_api_base", "http://user:s3cretPassw0rd@llm.example.com/v1"),
        ("llm_api_base", "https://llm.example.com/v1?api_key=sk-live-4eC39HqLyjWDarjtT1zdp7dc"),
    ],
)
def test_a_key_where_a_name_or_url_belongs_is_refused_and_never_echoed(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        save_setting(tmp_path, name, value)
    message = str(refused.value)
    assert "keyring" in message
    assert value not in message and "s3cret" not in message and "4eC39" not in message
    assert not (tmp_path / "settings.json").exists()


def test_ordinary_names_and_urls_are_accepted(tmp_path: Path) -> None:
    assert save_setting(tmp_path, "llm_api_key_env", "OPENAI_API_KEY") == "OPENAI_API_KEY"
    assert save_setting(tmp_path, "llm_api_key_env", "MY_KEY_2") == "MY_KEY_2"
    assert save_setting(tmp_path, "llm_api_key_env", "") == ""
    for url in ("http://localhost:11434", "http://192.168.1.20:8000/v1", "https://api.x.ai/v1"):
        assert save_setting(tmp_path, "llm_api_base", url) == url
    assert save_setting(tmp_path, "chat_topic", "keywords") == "keywords"


def test_a_stored_value_the_schema_refuses_falls_back_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An older version stored chat_topic banana: every command still runs (so the
    user can fix it), the default is used, config show says why."""
    (tmp_path / "settings.json").write_text(
        json.dumps({"chat_topic": "banana", "llm_api_key_env": "sk-live-4eC39HqLyjWDarjtT1zdp7dc"})
    )
    loaded = load_settings(tmp_path)
    assert loaded.text("chat_topic") == "auto"
    assert loaded.sources["chat_topic"].startswith("default: the stored value was refused")
    assert loaded.text("llm_api_key_env") == ""
    assert "4eC39" not in loaded.sources["llm_api_key_env"]
    app = open_assistant(tmp_path, embedder=FakeEmbedder())
    try:
        app.set_config("chat_topic", "llm")
        assert app.settings.text("chat_topic") == "llm"
    finally:
        app.close()


def test_live_settings_follow_changes_made_by_another_process(tmp_path: Path) -> None:
    live = LiveSettings(tmp_path)
    seen: list[str] = []
    live.subscribe(lambda s: seen.append(s.text("chat_topic")))
    first = live.current()
    assert live.current() is first  # unchanged file: the same object, no reload
    save_setting(tmp_path, "chat_topic", "keywords")  # as `config set` elsewhere would
    assert live.current().text("chat_topic") == "keywords"
    assert seen == ["keywords"]
    (tmp_path / "settings.json").write_text("{half written")
    assert live.current().text("chat_topic") == "keywords"  # keeps what worked
    (tmp_path / "settings.json").write_text("{}")
    live.set("chat_topic", "llm")
    assert live.current().text("chat_topic") == "llm"
