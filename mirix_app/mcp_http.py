"""The HTTP side of ``mirix-app mcp --http PORT``: a socket on 127.0.0.1 only,
and every request refused (401) unless it carries ``Authorization: Bearer
TOKEN``, the token kept in the data directory
(:func:`agents.tool_access.bearer_token`). The MCP app itself comes from the
SDK (mirix_app.mcp_server); uvicorn serves it."""

from __future__ import annotations

import hmac
import json
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

PATH = "/mcp"

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def listen(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:``port``; OSError when it cannot."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    return sock


def run_guarded(app: ASGIApp, sock: socket.socket, token: str) -> None:
    """Serve ``app`` on ``sock`` behind the bearer token until stopped (Ctrl-C)."""
    import uvicorn

    config = uvicorn.Config(
        BearerGuard(app, token), log_level="warning", lifespan="on", access_log=False
    )
    uvicorn.Server(config).run(sockets=[sock])


class BearerGuard:
    """Lets through only HTTP requests carrying ``Authorization: Bearer TOKEN``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            given = b""
            for name, value in scope.get("headers") or ():
                if name.lower() == b"authorization":
                    given = value
            if not hmac.compare_digest(given, self.expected):
                await _refuse(send)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Any) -> None:
    message = "Send 'Authorization: Bearer TOKEN' (the token: mirix-app mcp token)."
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="mirix-app"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
