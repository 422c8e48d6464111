"""The command line's privacy and control: settings checked when set, keys kept
out of settings.json, secrets masked, and forgetting (forget, delete)."""

from __future__ import annotations

from pathlib import Path

from tests.mirix_app.clirun import fails, ok, ok_json, run

KEY = "sk-live-4eC39HqLyjWDarjtT1zdp7dc9f3Kq2Lm"


def test_config_set_refuses_a_value_outside_the_schema(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fails(run(data, "config", "set", "chat_topic", "banana"), "one of auto, llm, keywords")
    assert ok_json(data, "config", "set", "chat_topic", "keywords")["value"] == "keywords"


def test_a_key_is_never_stored_or_echoed_as_a_setting(tmp_path: Path) -> None:
    data = tmp_path / "data"
    error = fails(run(data, "config", "set", "llm_api_key_env", KEY), "keyring")
    assert "4eC39" not in error
    error = fails(
        run(data, "config", "set", "llm_api_base", f"http://me:{KEY}@llm.local/v1"), "keyring"
    )
    assert "4eC39" not in error
    ok(data, "config", "set", "llm_model", "openai/gpt-4o-mini")
    for args in (("config", "show"), ("status",)):
        assert "4eC39" not in ok(data, *args).stdout
    assert "4eC39" not in (data / "settings.json").read_text()
