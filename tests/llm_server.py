"""A scripted OpenAI-compatible chat server on 127.0.0.1, for driving the LLM
client (through litellm, over real HTTP) in tests.

Each request to ``POST /v1/chat/completions`` takes the next scripted reply
from a queue: text, tool calls (arguments as a dict, or a raw string for
malformed JSON), an HTTP error with an OpenAI-style body, a delay before a
reply (for timeouts), or a context-length error. ``"stream": true`` requests
get text replies as server-sent events. Every request's body and headers are
recorded, so tests can check what was (and was not) sent.

Replies are taken in order, except that a reply with a ``route`` goes only to a
request that offers a tool whose name starts with it (the memory agents run in
parallel, so their requests arrive in any order). A ``responder`` function, when
set, answers every request the queue has no reply for (the benchmark's oracle).

With the queue empty and no responder the server answers 500 "script
exhausted", which the tests see as a failure.

It can also stand in for a model server found on this computer (see
agents/llm/discovery.py): ``models`` are listed at ``GET /v1/models``; with
``kind="lmstudio"`` also at LM Studio's ``GET /api/v0/models`` (with their
type); with ``kind="ollama"`` it speaks Ollama's own API instead: ``GET
/api/tags``, ``POST /api/show`` (a model's capabilities) and ``POST /api/chat``,
whose replies come from the same queue in Ollama's format (newline-delimited
JSON when streamed).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "openai/scripted"


@dataclass(frozen=True)
class Reply:
    text: str | None = None
    tool_calls: Sequence[tuple[str, dict[str, Any] | str]] = ()
    """(tool name, arguments): a dict is sent as JSON, a str as it is."""
    status: int = 200
    error: dict[str, Any] | None = None
    delay_s: float = 0.0
    usage: tuple[int, int] | None = None
    """(prompt, completion) tokens; by default counted from the words."""
    chunks: Sequence[str] | None = None
    """How a streamed text is split; by default word by word."""
    route: str | None = None
    """Only a request offering a tool whose name starts with this takes the reply."""


@dataclass(frozen=True)
class ListedModel:
    """A model the server lists."""

    name: str
    capabilities: tuple[str, ...] = ("completion",)
    """What Ollama's /api/show says it does ("vision": it takes images)."""
    type: str = "llm"
    """LM Studio's type for it: llm, vlm (takes images) or embeddings."""


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str = field(repr=False)
    at: float = 0.0
    """time.monotonic() when the request arrived."""

    def tool_names(self) -> list[str]:
        return [str(t["function"]["name"]) for t in self.body.get("tools") or ()]


class ScriptedLLMServer:
    def __init__(self, *, kind: str = "openai", models: Sequence[ListedModel] = ()) -> None:
        assert kind in ("openai", "lmstudio", "ollama"), kind
        self.kind = kind
        self.models = list(models)
        self._replies: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[Request] = []
        self.responder: Callable[[Request], Reply] | None = None
        """Answers a request when no queued reply fits it."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="scripted-llm",
            daemon=True,
        )

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> ScriptedLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes delayed replies
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- script ------------------------------------------------------------------------

    def add(self, *replies: Reply) -> ScriptedLLMServer:
        with self._lock:
            self._replies.extend(replies)
        return self

    def reply_text(self, text: str, **kw: Any) -> ScriptedLLMServer:
        return self.add(Reply(text=text, **kw))

    def reply_tool_calls(
        self,
        *calls: tuple[str, dict[str, Any] | str],
        text: str | None = None,
        route: str | None = None,
    ) -> ScriptedLLMServer:
        return self.add(Reply(text=text, tool_calls=calls, route=route))

    def reply_error(
        self,
        status: int,
        message: str = "",
        *,
        code: str | None = None,
        type: str = "",
        route: str | None = None,
    ) -> ScriptedLLMServer:
        body = {
            "message": message or f"Scripted error {status}.",
            "type": type or _ERROR_TYPES.get(status, "server_error"),
            "param": None,
            "code": code,
        }
        return self.add(Reply(status=status, error=body, route=route))

    def reply_delay(self, seconds: float, text: str = "late") -> ScriptedLLMServer:
        return self.add(Reply(text=text, delay_s=seconds))

    def reply_context_length(self) -> ScriptedLLMServer:
        return self.reply_error(
            400,
            "This model's maximum context length is 8192 tokens. However, your messages "
            "resulted in 9001 tokens. Please reduce the length of the messages.",
            code="context_length_exceeded",
            type="invalid_request_error",
        )

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._replies)

    def bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests]

    def raw_bodies(self) -> str:
        """Every request body as sent, joined: for "this never left the machine" checks."""
        return "\n".join(r.raw for r in self.requests)

    def _next(self, request: Request) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            offered = request.tool_names()
            for reply in self._replies:
                if reply.route is None or any(n.startswith(reply.route) for n in offered):
                    self._replies.remove(reply)
                    return reply
            responder = self.responder
        return responder(request) if responder is not None else None


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


def _handler_for(server: ScriptedLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

        def do_POST(self) -> None:
            self._guarded(self._post)

        def do_GET(self) -> None:
            self._guarded(self._get)

        def _guarded(self, handle: Callable[[], None]) -> None:
            try:
                handle()
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                pass  # the client gave up (a timeout test): nothing to answer
            except Exception as exc:  # a bug in a test script: say so, never crash
                with contextlib.suppress(OSError):
                    self._json(500, {"error": {"message": f"scripted server: {exc!r}"}})

        def _get(self) -> None:
            server.requests.append(Request(self.path, dict(self.headers.items()), {}, ""))
            path = self.path.rstrip("/")
            listing = _listing(server, path)
            if listing is None:
                self._json(404, {"error": {"message": f"no route {self.path}"}})
            else:
                self._json(200, listing)

        def _post(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            try:
                body = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                body = {}
            request = Request(self.path, dict(self.headers.items()), body, raw, time.monotonic())
            path = self.path.rstrip("/")
            if server.kind == "ollama" and path == "/api/show":
                server.requests.append(request)
                self._show(body)
                return
            ollama_chat = server.kind == "ollama" and path == "/api/chat"
            reply = server._next(request)
            if not (path.endswith("/chat/completions") or ollama_chat):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            if reply is None:
                self._json(500, {"error": {"message": "scripted server: script exhausted"}})
                return
            if reply.delay_s and server._stopping.wait(reply.delay_s):
                return
            if reply.error is not None:
                payload = (
                    {"error": reply.error["message"]} if ollama_chat else {"error": reply.error}
                )
                self._json(reply.status, payload)
            elif ollama_chat:
                self._ollama_chat(reply, body)
            elif body.get("stream"):
                self._stream(reply, body)
            else:
                self._json(200, _completion(reply, body))

        def _show(self, body: dict[str, Any]) -> None:
            found = [m for m in server.models if m.name == body.get("model")]
            if not found:
                self._json(404, {"error": f"model '{body.get('model')}' not found"})
                return
            self._json(200, {"capabilities": list(found[0].capabilities), "details": {}})

        def _ollama_chat(self, reply: Reply, body: dict[str, Any]) -> None:
            text = reply.text or ""
            usage = _usage(reply, body, text)
            done = {
                "model": body.get("model"),
                "done": True,
                "done_reason": "stop",
                "prompt_eval_count": usage["prompt_tokens"],
                "eval_count": usage["completion_tokens"],
            }
            calls = [
                {"function": {"name": name, "arguments": args if isinstance(args, dict) else {}}}
                for name, args in reply.tool_calls
            ]
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if calls:
                message["tool_calls"] = calls
            if not body.get("stream"):
                self._json(200, {**done, "message": message})
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            pieces = list(reply.chunks) if reply.chunks is not None else _words(text)
            for piece in pieces:
                chunk = {"model": body.get("model"), "done": False}
                chunk["message"] = {"role": "assistant", "content": piece}
                self.wfile.write(json.dumps(chunk).encode("utf-8") + b"\n")
            last = {**done, "message": {**message, "content": ""}}
            self.wfile.write(json.dumps(last).encode("utf-8") + b"\n")
            self.wfile.flush()

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, reply: Reply, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            cid = "chatcmpl-" + uuid.uuid4().hex[:12]
            text = reply.text or ""
            pieces = list(reply.chunks) if reply.chunks is not None else _words(text)
            self._event(_chunk(cid, {"role": "assistant", "content": ""}, None))
            for piece in pieces:
                self._event(_chunk(cid, {"content": piece}, None))
            self._event(_chunk(cid, {}, "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                final = _chunk(cid, {}, None)
                final["choices"] = []
                final["usage"] = _usage(reply, body, text)
                self._event(final)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _event(self, payload: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(payload).encode("utf-8") + b"\n\n")
            self.wfile.flush()

    return Handler


def _listing(server: ScriptedLLMServer, path: str) -> dict[str, Any] | None:
    """What a GET of ``path`` lists, or None (no such route on this kind of server)."""
    if path == "/v1/models":
        owner = "library" if server.kind == "ollama" else "organization_owner"
        data = [{"id": m.name, "object": "model", "owned_by": owner} for m in server.models]
        return {"object": "list", "data": data}
    if server.kind == "lmstudio" and path == "/api/v0/models":
        return {"data": [{"id": m.name, "type": m.type} for m in server.models]}
    if server.kind == "ollama" and path == "/api/tags":
        return {"models": [{"name": m.name, "model": m.name, "details": {}} for m in server.models]}
    return None


def _words(text: str) -> list[str]:
    out: list[str] = []
    for i, word in enumerate(text.split(" ")):
        out.append(word if i == 0 else " " + word)
    return [w for w in out if w]


def _usage(reply: Reply, body: dict[str, Any], text: str) -> dict[str, int]:
    if reply.usage is not None:
        prompt, completion = reply.usage
    else:
        prompt = sum(len(str(m.get("content") or "").split()) + 4 for m in body["messages"])
        completion = max(1, len(text.split()))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:10]}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for name, args in reply.tool_calls
        ]
    return {
        "id": "chatcmpl-" + uuid.uuid4().hex[:12],
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "scripted")),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(reply, body, reply.text or ""),
    }


def _chunk(cid: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "scripted",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
