"""The MCP SDK's own client for the tests of ``mirix-app mcp``: a ClientSession
over stdio (the server started as a subprocess, PYTHONPATH kept so it runs this
checkout) or over streamable HTTP, driven from plain synchronous tests through
an anyio blocking portal."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Any

import httpx2
import mcp.types as types
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(Path(sys.executable).with_name("mirix-app"))
CLIENT = "pytest-client"


def server_env() -> dict[str, str]:
    """The test's environment, with this checkout first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


class Client:
    """Calls on an open ClientSession; every reply's text is kept for checks."""

    def __init__(self, portal: BlockingPortal, session: ClientSession) -> None:
        self.portal = portal
        self.session = session
        self.seen: list[str] = []

    def tools(self) -> list[types.Tool]:
        return list(self.portal.call(self.session.list_tools).tools)

    def call(self, name: str, arguments: dict[str, Any] | None = None) -> types.CallToolResult:
        result: types.CallToolResult = self.portal.call(
            self.session.call_tool, name, arguments or {}
        )
        self.seen.extend(c.text for c in result.content if isinstance(c, types.TextContent))
        return result

    def data(self, name: str, arguments: dict[str, Any] | None = None) -> Any:
        """A successful call's JSON."""
        result = self.call(name, arguments)
        assert not result.is_error, result.content
        first = result.content[0]
        assert isinstance(first, types.TextContent)
        return json.loads(first.text)

    def error(self, name: str, arguments: dict[str, Any] | None = None) -> str:
        """A failed call's one line."""
        result = self.call(name, arguments)
        assert result.is_error, result.content
        assert len(result.content) == 1 and isinstance(result.content[0], types.TextContent)
        return result.content[0].text

    def read(self, uri: str) -> str:
        result = self.portal.call(self.session.read_resource, uri)
        text = result.contents[0].text
        self.seen.append(text)
        return str(text)


@contextlib.asynccontextmanager
async def _stdio(
    data_dir: Path, args: tuple[str, ...], errlog: IO[str]
) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=SCRIPT, args=["mcp", *args, "--data-dir", str(data_dir)], env=server_env()
    )
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write, client_info=types.Implementation(name=CLIENT, version="1")) as s,
    ):
        await s.initialize()
        yield s


@contextlib.contextmanager
def stdio_session(data_dir: Path, *args: str, log: Path) -> Iterator[Client]:
    """``mirix-app mcp ARGS`` started over stdio; its stderr goes to ``log``."""
    with (
        log.open("w", encoding="utf-8") as errlog,
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_stdio(data_dir, args, errlog)) as session,
    ):
        yield Client(portal, session)


@contextlib.asynccontextmanager
async def _http(url: str, token: str | None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        httpx2.AsyncClient(headers=headers) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write, client_info=types.Implementation(name=CLIENT, version="1")) as s,
    ):
        await s.initialize()
        yield s


@contextlib.contextmanager
def http_session(url: str, token: str | None) -> Iterator[Client]:
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_http(url, token)) as session,
    ):
        yield Client(portal, session)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def http_server(data_dir: Path, *args: str, log: Path) -> Iterator[str]:
    """``mirix-app mcp --http PORT --json ARGS`` running; yields its URL."""
    port = free_port()
    command = [SCRIPT, "mcp", "--http", str(port), "--json", *args, "--data-dir", str(data_dir)]
    with (
        log.open("w", encoding="utf-8") as errlog,
        subprocess.Popen(
            command, env=server_env(), stdout=subprocess.PIPE, stderr=errlog, text=True
        ) as process,
    ):
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, log.read_text(encoding="utf-8")
            url = str(json.loads(line)["url"])
            _wait_for(port)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_for(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")
