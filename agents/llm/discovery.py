"""Model servers already running on this computer: found, not configured.

Each port of ``local_server_ports`` on 127.0.0.1 (nothing else is ever
contacted) is asked, with short timeouts, first Ollama's own model list
(``GET /api/tags``) and, failing that, the OpenAI-compatible ``GET /v1/models``
(LM Studio, a llama.cpp server, vLLM and others). A server that says which of
its models take images is believed: Ollama's ``POST /api/show`` (its
``capabilities`` list ``vision``), LM Studio's ``GET /api/v0/models`` (type
``vlm``), a llama.cpp server's ``GET /props`` (``modalities.vision``).
Embedding-only models are left out where the server says what they are.

A chosen model is configured through litellm with the prefix its server needs:
``ollama_chat/NAME`` with the server as ``llm_api_base`` (Ollama's chat
endpoint, which takes the memory agents' tool calls natively; litellm's
``ollama/`` uses the completion endpoint and only imitates tools), and
``openai/NAME`` with ``http://127.0.0.1:PORT/v1`` for the others.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"
TIMEOUT_S = 0.5
MAX_BYTES = 4 * 1024 * 1024
KEY_FRAMES = 2
"""Key frames per screen batch chosen along with a local model that takes images
(the images stay on this computer)."""
PORT_NAMES = {11434: "Ollama", 1234: "LM Studio", 8080: "llama.cpp server", 8000: "vLLM"}
OWNER_NAMES = {"llamacpp": "llama.cpp server", "vllm": "vLLM", "ollama": "Ollama"}

# No proxy, ever: a proxy from the environment must not see (or reroute) a probe.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class LocalModel:
    name: str
    """As the server lists it (``llama3.2:latest``, ``qwen2.5-7b-instruct``)."""
    images: bool = False
    """The server says the model takes images."""
    tools: bool | None = None
    """Whether it makes tool calls (the memory agents need them), where the server
    says (Ollama's capabilities); None: not known."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "images": self.images, "tools": self.tools}


@dataclass(frozen=True)
class LocalServer:
    kind: str
    """``ollama`` (Ollama's own API) or ``openai`` (OpenAI-compatible)."""
    label: str
    port: int
    models: tuple[LocalModel, ...]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def model_name(self, model: LocalModel) -> str:
        """The litellm model name for ``model`` on this server."""
        prefix = "ollama_chat" if self.kind == "ollama" else "openai"
        return f"{prefix}/{model.name}"

    def api_base(self) -> str:
        return self.url if self.kind == "ollama" else self.url + "/v1"

    def settings_for(self, model: LocalModel, *, key_frames: bool = True) -> dict[str, str]:
        """The settings (as ``config set`` takes them) that make ``model`` the LLM:
        no API key; images only where the server says the model takes them, and then
        ``KEY_FRAMES`` key frames per screen batch unless ``key_frames`` is off."""
        out = {
            "llm_model": self.model_name(model),
            "llm_api_base": self.api_base(),
            "llm_api_key_env": "",
            "llm_images": "yes" if model.images else "no",
        }
        if model.images:
            out["vision_key_frames"] = str(KEY_FRAMES if key_frames else 0)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "port": self.port,
            "url": self.url,
            "api_base": self.api_base(),
            "models": [{**m.to_dict(), "llm_model": self.model_name(m)} for m in self.models],
        }


def parse_ports(values: Sequence[str]) -> list[int]:
    """The ports of the ``local_server_ports`` setting as numbers."""
    from agents.errors import AgentError

    ports = []
    for value in values:
        if not value.strip().isdigit() or not 0 < int(value) < 65536:
            raise AgentError(f"local_server_ports: {value!r} is not a port number (1-65535).")
        ports.append(int(value))
    return ports


def find_local_servers(ports: Sequence[int], *, timeout_s: float = TIMEOUT_S) -> list[LocalServer]:
    """The model servers answering on ``ports`` of 127.0.0.1, in the order given."""
    if not ports:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(ports))) as pool:
        found = list(pool.map(lambda port: probe(port, timeout_s), ports))
    return [server for server in found if server is not None]


def probe(port: int, timeout_s: float = TIMEOUT_S) -> LocalServer | None:
    """What answers on ``port``: Ollama, an OpenAI-compatible server, or nothing."""
    base = f"http://{HOST}:{port}"
    tags = _get_json(f"{base}/api/tags", timeout_s)
    if isinstance(tags, dict) and isinstance(tags.get("models"), list):
        return LocalServer("ollama", "Ollama", port, _ollama_models(base, tags, timeout_s))
    listed = _get_json(f"{base}/v1/models", timeout_s)
    if not (isinstance(listed, dict) and isinstance(listed.get("data"), list)):
        return None
    entries = [e for e in listed["data"] if isinstance(e, dict) and isinstance(e.get("id"), str)]
    owners = {str(e.get("owned_by") or "").lower() for e in entries}
    label = next(
        (OWNER_NAMES[o] for o in owners if o in OWNER_NAMES),
        PORT_NAMES.get(port, "OpenAI-compatible server"),
    )
    if label == "Ollama":  # /api/tags did not answer, but its /v1 did
        label = "OpenAI-compatible server"
    types = _lmstudio_types(base, timeout_s)
    vision = _llamacpp_vision(base, timeout_s) if len(entries) == 1 else False
    models = [
        LocalModel(e["id"], images=types.get(e["id"]) == "vlm" or vision)
        for e in entries
        if types.get(e["id"]) != "embeddings"
    ]
    return LocalServer("openai", label, port, tuple(models))


def _ollama_models(base: str, tags: dict[str, Any], timeout_s: float) -> tuple[LocalModel, ...]:
    out = []
    for entry in tags["models"]:
        name = entry.get("name") or entry.get("model") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            continue
        shown = _post_json(f"{base}/api/show", {"model": name}, timeout_s)
        capabilities = shown.get("capabilities") if isinstance(shown, dict) else None
        if isinstance(capabilities, list):
            if capabilities and "completion" not in capabilities:
                continue  # an embedding model
            images, tools = "vision" in capabilities, "tools" in capabilities
        else:  # an older Ollama: the model's families tell about images
            details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
            images = any(f in ("clip", "mllama") for f in details.get("families") or ())
            tools = None
        out.append(LocalModel(name, images=images, tools=tools))
    return tuple(out)


def _lmstudio_types(base: str, timeout_s: float) -> dict[str, str]:
    """LM Studio's own list says each model's type: llm, vlm or embeddings."""
    listed = _get_json(f"{base}/api/v0/models", timeout_s)
    if not isinstance(listed, dict) or not isinstance(listed.get("data"), list):
        return {}
    return {
        str(e["id"]): str(e.get("type") or "")
        for e in listed["data"]
        if isinstance(e, dict) and "id" in e
    }


def _llamacpp_vision(base: str, timeout_s: float) -> bool:
    """A llama.cpp server serves one model; /props says whether it reads images."""
    props = _get_json(f"{base}/props", timeout_s)
    modalities = props.get("modalities") if isinstance(props, dict) else None
    return isinstance(modalities, dict) and modalities.get("vision") is True


def _get_json(url: str, timeout_s: float) -> Any:
    return _request(urllib.request.Request(url), timeout_s)


def _post_json(url: str, body: dict[str, Any], timeout_s: float) -> Any:
    data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}, method="POST"
    )
    return _request(request, timeout_s)


def _request(request: urllib.request.Request, timeout_s: float) -> Any:
    """The JSON body of a 200 answer; None for anything else (refused, timed out,
    an error status, not JSON)."""
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            if response.status != 200:
                return None
            return json.loads(response.read(MAX_BYTES + 1)[:MAX_BYTES])
    except (OSError, urllib.error.URLError, ValueError):
        return None
