"""agents/llm/discovery.py: model servers on 127.0.0.1 found through Ollama's own
API or the OpenAI-compatible /v1/models (scripted servers, real HTTP), and the
settings that choose one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from agents import AgentError
from agents.llm import LocalModel, LocalServer, find_local_servers, parse_ports
from agents.llm.discovery import probe
from tests.llm_server import ListedModel, ScriptedLLMServer

ROOT = Path(__file__).resolve().parents[2]
OLLAMA_MODELS = (
    ListedModel("llama3.2:latest", ("completion", "tools")),
    ListedModel("llava:7b", ("completion", "vision")),
    ListedModel("nomic-embed-text:latest", ("embedding",)),
)
LMSTUDIO_MODELS = (
    ListedModel("qwen2.5-7b-instruct"),
    ListedModel("qwen2-vl-7b-instruct", type="vlm"),
    ListedModel("text-embedding-nomic-embed-text-v1.5", type="embeddings"),
)


@pytest.fixture
def ollama() -> Iterator[ScriptedLLMServer]:
    with ScriptedLLMServer(kind="ollama", models=OLLAMA_MODELS) as server:
        yield server


@pytest.fixture
def lmstudio() -> Iterator[ScriptedLLMServer]:
    with ScriptedLLMServer(kind="lmstudio", models=LMSTUDIO_MODELS) as server:
        yield server


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_ollama_server_lists_its_chat_models_and_which_take_images(
    ollama: ScriptedLLMServer,
) -> None:
    server = probe(ollama.port)
    assert server is not None
    assert (server.kind, server.label, server.port) == ("ollama", "Ollama", ollama.port)
    assert server.models == (
        LocalModel("llama3.2:latest", images=False, tools=True),
        LocalModel("llava:7b", images=True, tools=False),
    )  # the embedding model is left out
    asked = [(r.path, r.body.get("model")) for r in ollama.requests]
    assert ("/api/tags", None) in asked and ("/api/show", "llava:7b") in asked


def test_an_openai_compatible_server_lists_its_models(lmstudio: ScriptedLLMServer) -> None:
    server = probe(lmstudio.port)
    assert server is not None
    assert (server.kind, server.label) == ("openai", "OpenAI-compatible server")
    assert server.models == (
        LocalModel("qwen2.5-7b-instruct", images=False),
        LocalModel("qwen2-vl-7b-instruct", images=True),  # LM Studio says: vlm
    )


def test_nothing_listening_or_not_a_model_server_is_not_found() -> None:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html>hello</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    web = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    Thread(target=web.serve_forever, daemon=True).start()
    try:
        assert probe(closed_port()) is None
        assert probe(int(web.server_address[1])) is None
    finally:
        web.shutdown()
        web.server_close()


def test_servers_come_in_the_order_of_the_ports(
    ollama: ScriptedLLMServer, lmstudio: ScriptedLLMServer
) -> None:
    found = find_local_servers([lmstudio.port, closed_port(), ollama.port])
    assert [s.port for s in found] == [lmstudio.port, ollama.port]
    assert find_local_servers([]) == []


def test_choosing_a_model_gives_litellm_its_name_and_the_server() -> None:
    ollama = LocalServer("ollama", "Ollama", 11434, ())
    text = LocalModel("llama3.2:latest")
    assert ollama.settings_for(text) == {
        "llm_model": "ollama_chat/llama3.2:latest",
        "llm_api_base": "http://127.0.0.1:11434",
        "llm_api_key_env": "",
        "llm_images": "no",
    }
    studio = LocalServer("openai", "LM Studio", 1234, ())
    vision = LocalModel("qwen2-vl-7b-instruct", images=True)
    chosen = studio.settings_for(vision)
    assert chosen["llm_model"] == "openai/qwen2-vl-7b-instruct"
    assert chosen["llm_api_base"] == "http://127.0.0.1:1234/v1"
    assert (chosen["llm_images"], chosen["vision_key_frames"]) == ("yes", "2")
    assert studio.settings_for(vision, key_frames=False)["vision_key_frames"] == "0"


def test_ports_must_be_port_numbers() -> None:
    assert parse_ports(["11434", " 8080 "]) == [11434, 8080]
    for bad in ("0", "70000", "ollama"):
        with pytest.raises(AgentError, match="not a port number"):
            parse_ports([bad])


def test_a_proxy_in_the_environment_is_never_asked(ollama: ScriptedLLMServer) -> None:
    # In a fresh process, so the proxy is in the environment before anything loads.
    with ScriptedLLMServer() as proxy:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env |= {"http_proxy": proxy.url, "HTTP_PROXY": proxy.url, "ALL_PROXY": proxy.url}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
        code = f"from agents.llm.discovery import probe; print(probe({ollama.port}).label)"
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        assert out.stdout.strip() == "Ollama", out.stderr
        assert proxy.requests == []
