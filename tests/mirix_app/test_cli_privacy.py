"""The command line's privacy and control: settings checked when set, keys kept
out of settings.json, secrets masked, and forgetting (forget, delete)."""

from __future__ import annotations

from pathlib import Path

from tests.llm_server import MODEL, ScriptedLLMServer
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


SAMPLE = Path(__file__).resolve().parents[2] / "assets" / "sample_messages.jsonl"


def test_a_question_asked_does_not_outrank_the_message_that_answers_it(
    tmp_path: Path, llm_server: ScriptedLLMServer
) -> None:
    data = tmp_path / "data"
    ok(data, "import", "messages", str(SAMPLE))
    ok(data, "config", "set", "llm_model", MODEL)
    ok(data, "config", "set", "llm_api_base", llm_server.api_base)
    ok(data, "config", "set", "chat_topic", "keywords")
    question = "When is Miso's first vaccination?"
    llm_server.reply_text("Miso's first vaccination is on March 20 at the clinic on Elm Street.")
    asked = ok_json(data, "ask", question)
    assert len(asked["message_ids"]) == 2  # the question and the answer are stored
    for only in ((), ("--type", "message")):
        hits = ok_json(data, "search", question, *only)["hits"]
        first = hits[0]
        assert [s["external_id"] for s in first["sources"]] == ["demo-4"], hits[:3]
    # The chat turns are still found, only lower.
    assert set(asked["message_ids"]) <= {h["id"] for h in hits}
