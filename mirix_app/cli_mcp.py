"""The ``mcp`` commands: serve this memory to other AI tools over the Model
Context Protocol (stdio, or streamable HTTP on 127.0.0.1), and the HTTP token.

The MCP SDK is imported only when a server starts, so the rest of the command
line stays light."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from click_default_group import DefaultGroup

from agents import AgentError
from agents.tool_access import bearer_token
from mirix_app.cli import assistant, cli, common_options, fail
from storage import resolve_data_dir
from storage.paths import ensure_data_dir


@cli.group("mcp", cls=DefaultGroup, default="serve", default_if_no_args=True)
def mcp_group() -> None:
    """Serve this memory to other AI tools (Claude Desktop, Cursor, VS Code, ...)
    over MCP: 'mirix-app mcp' speaks stdio (what those tools start);
    'mirix-app mcp --http PORT' serves http://127.0.0.1:PORT/mcp with a bearer
    token ('mirix-app mcp token')."""


@mcp_group.command("serve")
@click.option(
    "--http",
    "port",
    type=click.IntRange(1, 65535),
    help="Serve streamable HTTP on 127.0.0.1:PORT instead of stdio (bearer token required).",
)
@click.option(
    "--read-only",
    is_flag=True,
    help="Offer only the reading tools (also: config set mcp_read_only true).",
)
@common_options
def mcp_serve(port: int | None, read_only: bool, data_dir: Path | None, as_json: bool) -> None:
    """Run the MCP server until the client closes it (stdio) or Ctrl-C (HTTP).

    Tools: search_memories, get_memory, search_screenshots, timeline,
    read_core_memory, and unless read-only add_memory, edit_memory,
    delete_memory, restore_memory. Vault secrets never leave; text is redacted
    as for an LLM provider; every change is recorded as made by mcp:CLIENT.
    With --http, --json prints where it listens as one JSON line; over stdio,
    stdout is the protocol and nothing else is printed there.
    """
    from mirix_app import mcp_http, mcp_server

    mcp_server.log_to_stderr()
    # A client stops its server whenever it likes: a search graph still being built
    # then is dropped (built again next time), not finished while the client waits.
    with assistant(data_dir, finish_builds=False) as app:
        read_only = read_only or app.settings.flag("mcp_read_only")
        if port is None:
            mcp_server.serve_stdio(app, read_only=read_only)
            return
        token = bearer_token(app.storage.data_dir)
        try:
            sock = mcp_http.listen(port)
        except OSError as exc:
            fail(f"Cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}.")
        url = f"http://127.0.0.1:{port}{mcp_http.PATH}"
        if as_json:
            click.echo(json.dumps({"url": url, "read_only": read_only}))
        else:
            mode = "read-only, " if read_only else ""
            click.echo(
                f"MCP server at {url} ({mode}send the header 'Authorization: Bearer TOKEN'; "
                "the token: mirix-app mcp token). Ctrl-C stops it.",
                err=True,
            )
        sys.stdout.flush()
        mcp_server.serve_http(app, sock, token=token, read_only=read_only)


@mcp_group.command("token")
@click.option("--new", "renew", is_flag=True, help="Replace the token (the old one stops working).")
@common_options
def mcp_token(renew: bool, data_dir: Path | None, as_json: bool) -> None:
    """Print the bearer token HTTP clients of 'mirix-app mcp --http' must send
    (made on first use, kept in DATA_DIR/mcp-token, readable by you only)."""
    try:
        directory = ensure_data_dir(resolve_data_dir(data_dir))
        token = bearer_token(directory, renew=renew)
    except OSError as exc:
        fail(f"Cannot use the data directory {data_dir or ''}: {exc.strerror or exc}.")
    except AgentError as exc:
        fail(str(exc))
    click.echo(json.dumps({"token": token}) if as_json else token)
