"""mirix-app ask and mirix-app chat, against the scripted server."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mirix_app.cli import cli
from tests.llm_server import MODEL, ScriptedLLMServer
from tests.mirix_app.clirun import fails, ok, ok_json, run


def configure(data: Path, server: ScriptedLLMServer) -> None:
    ok(data, "config", "set", "llm_model", MODEL)
    ok(data, "config", "set", "llm_api_base", server.api_base)


def test_ask_prints_the_answer_then_the_memories_with_sources(
    loaded: Path, llm_server: ScriptedLLMServer
) -> None:
    configure(loaded, llm_server)
    found = ok_json(loaded, "search", "guitar lessons music school", "--type", "episodic")
    memory = found["hits"][0]["id"]
    llm_server.reply_text(f"Your guitar lessons start next Tuesday [{memory}].")
    result = ok(loaded, "ask", "When do Caroline's guitar lessons start?")
    lines = result.stdout.splitlines()
    assert lines[0] == f"Your guitar lessons start next Tuesday [{memory}]."
    assert any(line.startswith(" * [episodic] " + memory) for line in lines)  # cited: starred
    assert any("from: D2:1" in line for line in lines)  # its source message


def test_ask_json_is_one_object(loaded: Path, llm_server: ScriptedLLMServer) -> None:
    configure(loaded, llm_server)
    llm_server.reply_text("Pottery, with the kids.")
    out = ok_json(loaded, "ask", "What class did Melanie take with the kids?", "--session", "s9")
    assert out["answer"] == "Pottery, with the kids." and out["session"] == "s9"
    assert out["topic"] and out["memories"] and out["sources"]
    assert all({"id", "type", "text", "sources"} <= set(m) for m in out["memories"])


def test_ask_without_an_llm_says_so(loaded: Path) -> None:
    result = ok(loaded, "ask", "What class did Melanie take with the kids?")
    assert result.stdout.startswith("No LLM is configured")
    assert "Memories found" in result.stdout and "Pottery" in result.stdout


def test_ask_with_a_refused_key_is_one_clean_line(
    loaded: Path, llm_server: ScriptedLLMServer
) -> None:
    configure(loaded, llm_server)
    llm_server.reply_error(401)
    fails(run(loaded, "ask", "Anything about pottery?"), "refused the API key")
    # the question was kept (and is found, below the message about pottery)
    history = ok_json(loaded, "search", "Anything about pottery", "--type", "message")
    texts = [h["text"] for h in history["hits"]]
    assert texts[0] == "Pottery class with the kids was messy but fun."
    assert "Anything about pottery?" in texts


def chat(data: Path, text: str, *extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["chat", "--data-dir", str(data), *extra], input=text, prog_name="mirix-app"
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def test_chat_keeps_one_session_and_survives_an_error(
    loaded: Path, llm_server: ScriptedLLMServer
) -> None:
    configure(loaded, llm_server)
    ok(loaded, "config", "set", "chat_topic", "keywords")  # no topic calls in this script
    llm_server.reply_text("Hello Caroline.")
    llm_server.reply_error(401)
    llm_server.reply_text("You said hello.")
    code, out, err = chat(loaded, "Hello, it is Caroline.\n\nWhat did I say?\nAgain?\nexit\n")
    assert code == 0
    assert "Hello Caroline." in out and "You said hello." in out
    errors = [line for line in err.splitlines() if "Error:" in line]
    assert len(errors) == 1 and "refused the API key" in errors[0]
    last = llm_server.bodies()[-1]["messages"]
    # One session: the third request carries the whole conversation so far.
    assert [m["role"] for m in last] == ["system", "user", "assistant", "user", "user"]


def test_chat_json_prints_an_object_per_answer_and_ends_at_eof(
    loaded: Path, llm_server: ScriptedLLMServer
) -> None:
    configure(loaded, llm_server)
    llm_server.reply_text("One.").reply_text("Two.")
    code, out, _ = chat(loaded, "first message here\nsecond message here\n", "--json")
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert [a["answer"] for a in answers] == ["One.", "Two."]
    assert answers[0]["session"] == answers[1]["session"]
