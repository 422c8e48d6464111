"""``mirix-app mcp``: this memory for the user's other AI tools, over the Model
Context Protocol, with the official SDK's low-level server.

Tools come from :mod:`mirix_app.mcp_tools`; resources are the two core blocks
(``mirix://core/persona``, ``mirix://core/human``) and any memory by URI
(``mirix://memory/{id}``). Arguments are checked against each tool's JSON
schema before anything runs; every failure (a bad argument, an unknown id, a
locked database) comes back as a tool error carrying the one ``Error: ...``
line the command line would print, never a traceback (a bug's traceback goes
to the server's stderr, the client's log). Facade calls block, so each runs on
a worker thread.

Transports: stdio (what desktop clients start) and streamable HTTP on
127.0.0.1 behind a bearer token (mirix_app.mcp_http).
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import socket
import sys
import threading
from typing import Any

import anyio
import jsonschema
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS

from agents import AgentError, Assistant
from agents.tool_access import ToolAccess, local_offset
from mirix_app.mcp_http import PATH, run_guarded
from mirix_app.mcp_tools import BY_NAME, Answer, ToolSpec, offered
from storage import StorageError

log = logging.getLogger(__name__)

RESOURCE_NOT_FOUND = -32002
"""The MCP specification's error code for an unknown resource."""
CORE_URI = "mirix://core/"
MEMORY_URI = "mirix://memory/"


def one_line(message: str) -> str:
    """The command line's error line (mirix_app.cli.fail)."""
    return f"Error: {' '.join(message.split())}"


def instructions(read_only: bool) -> str:
    writes = (
        "This server is read-only."
        if read_only
        else "add_memory, edit_memory and delete_memory change the memory when the user asks "
        "(every change is recorded with your name and can be undone)."
    )
    return (
        "mirix-app is the user's own memory, kept on their computer from what was on their "
        "screen and what they said in chats. Search it (search_memories, search_screenshots, "
        "timeline) before saying you do not know the user's context, and cite the time and "
        "source of what you use. Times without an offset are this computer's local time "
        f"(now UTC{local_offset()}). {writes}"
    )


def client_name(ctx: ServerRequestContext[Any, Any]) -> str:
    params = ctx.session.client_params
    info = params.client_info if params is not None else None
    return info.name if info is not None and info.name else "unknown client"


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(BY_NAME[name].schema)


def check_arguments(spec: ToolSpec, args: dict[str, Any]) -> str | None:
    """The first problem with ``args`` as one sentence, or None."""
    validator = _validator(spec.name)
    errors = sorted(validator.iter_errors(args), key=lambda e: list(e.path))
    if not errors:
        return None
    error = errors[0]
    where = ".".join(str(p) for p in error.path)
    return f"Invalid arguments for {spec.name}: {f'{where}: ' if where else ''}{error.message}."


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=one_line(message))], is_error=True)


def answer_result(answer: Answer) -> types.CallToolResult:
    content: list[Any] = [types.TextContent(text=json.dumps(answer.data, ensure_ascii=False))]
    for image in answer.images:
        data = base64.b64encode(image).decode("ascii")
        content.append(types.ImageContent(data=data, mime_type="image/jpeg"))
    return types.CallToolResult(content=content, structured_content=answer.data)


_CORE_HELP = {
    "human": "Who the user is: name, work, preferences, people close to them.",
    "persona": "How the user wants an assistant to behave.",
}
Context = ServerRequestContext[Any, Any]


class MemoryServer:
    """The protocol's handlers over the facade; :meth:`server` is the SDK's Server."""

    def __init__(self, assistant: Assistant, *, read_only: bool) -> None:
        self.assistant = assistant
        self.read_only = read_only
        self.tools = offered(read_only=read_only)

    def server(self) -> Server[Any]:
        return Server(
            "mirix-app",
            version=_version(),
            title="mirix-app memory",
            instructions=instructions(self.read_only),
            on_list_tools=self.list_tools,
            on_call_tool=self.call_tool,
            on_list_resources=self.list_resources,
            on_list_resource_templates=self.list_templates,
            on_read_resource=self.read_resource,
        )

    def access(self, ctx: Context) -> ToolAccess:
        return ToolAccess(self.assistant, client=client_name(ctx), read_only=self.read_only)

    async def list_tools(
        self, ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_tool(spec) for spec in self.tools])

    async def call_tool(
        self, ctx: Context, params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        spec = BY_NAME.get(params.name)
        if spec is None or spec not in self.tools:
            why = " (this server is read-only)" if spec is not None else ""
            return error_result(f"No tool named {params.name!r}{why}.")
        args = dict(params.arguments or {})
        problem = check_arguments(spec, args)
        if problem is not None:
            return error_result(problem)
        try:  # facade calls block: on a worker thread
            answer = await anyio.to_thread.run_sync(spec.run, self.access(ctx), args)
        except (StorageError, AgentError) as exc:
            return error_result(str(exc))
        except Exception:
            log.exception("MCP tool %s failed", spec.name)
            return error_result(
                f"{spec.name} failed on an internal error; the server's log has the details."
            )
        return answer_result(answer)

    async def list_resources(
        self, ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    name=f"core-{label}",
                    title=f"Core memory: {label}",
                    uri=CORE_URI + label,
                    description=help_text,
                    mime_type="text/plain",
                )
                for label, help_text in _CORE_HELP.items()
            ]
        )

    async def list_templates(
        self, ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        memory = types.ResourceTemplate(
            name="memory",
            title="One memory",
            uri_template=MEMORY_URI + "{id}",
            description="A memory (or a chat message or screenshot) by id, as get_memory "
            "returns it: fields, sources and history, as JSON.",
            mime_type="application/json",
        )
        return types.ListResourceTemplatesResult(resource_templates=[memory])

    async def read_resource(
        self, ctx: Context, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        try:
            text, mime = await anyio.to_thread.run_sync(self._resource, self.access(ctx), uri)
        except (StorageError, AgentError) as exc:
            raise MCPError(RESOURCE_NOT_FOUND, one_line(str(exc))) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=text)]
        )

    @staticmethod
    def _resource(access: ToolAccess, uri: str) -> tuple[str, str]:
        """(text, MIME type) of a resource."""
        if uri.startswith(CORE_URI):
            label = uri[len(CORE_URI) :]
            blocks = access.core_blocks()
            if label not in blocks:
                raise MCPError(RESOURCE_NOT_FOUND, f"No core block {label!r}.")
            return blocks[label], "text/plain"
        if uri.startswith(MEMORY_URI) and uri[len(MEMORY_URI) :]:
            item = access.get(uri[len(MEMORY_URI) :])
            return json.dumps(item, ensure_ascii=False), "application/json"
        raise MCPError(INVALID_PARAMS, f"Unknown resource {uri!r}.")


def _tool(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=spec.schema,
        annotations=types.ToolAnnotations(
            title=spec.title,
            read_only_hint=not spec.writes,
            destructive_hint=spec.destructive,
            idempotent_hint=not spec.writes,
            open_world_hint=False,
        ),
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mirix-app")
    except PackageNotFoundError:
        return "0"


def warm_up(assistant: Assistant) -> None:
    """Load the embedder and the search indexes in the background, so the first
    tool call does not wait for them."""

    def run() -> None:
        try:
            assistant.search("warm up", limit=1)
            assistant.screens_search("warm up", limit=1)
        except Exception:  # a warm-up failure shows again, as an error, on first use
            log.debug("warm-up failed", exc_info=True)

    threading.Thread(target=run, name="mcp-warm-up", daemon=True).start()


# -- transports ------------------------------------------------------------------------


def one_blas_thread() -> Any:
    """BLAS on one thread while serving. A tool call embeds one short query: BLAS
    threads gain nothing there, and on a busy machine their spinning made it slow
    (MiniLM on one query: p50 91 ms, p95 387 ms with two threads at a load of 12 on
    two cores; 20 and 27 ms on one)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def serve_stdio(assistant: Assistant, *, read_only: bool) -> None:
    server = MemoryServer(assistant, read_only=read_only).server()

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    with one_blas_thread():
        warm_up(assistant)
        anyio.run(main)


def serve_http(assistant: Assistant, sock: socket.socket, *, token: str, read_only: bool) -> None:
    """Serve streamable HTTP at http://127.0.0.1:PORT/mcp on ``sock`` until stopped,
    behind the bearer token (see mirix_app.mcp_http)."""
    server = MemoryServer(assistant, read_only=read_only).server()
    app = server.streamable_http_app(streamable_http_path=PATH, host="127.0.0.1")
    with one_blas_thread():
        warm_up(assistant)
        run_guarded(app, sock, token)


def log_to_stderr() -> None:
    """Warnings and errors (a bug's traceback) on stderr: a client shows it as the
    server's log; stdout belongs to the protocol."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mirix-app mcp: %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.WARNING)
