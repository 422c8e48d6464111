"""``mirix-app capture``: grab the screen now, capture until interrupted, pause, resume.

Registered from cli.py by importing this module.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import click

from agents import AgentError, Assistant
from agents.capture import CaptureEvent
from mirix_app.cli import assistant, cli, common_options, emit, fail
from storage import StorageError

# What `capture run` prints for humans: kept frames on stdout, state changes on stderr.
_STATE_KINDS = {"paused", "resumed", "error", "stopped"}


@cli.group("capture")
def capture_group() -> None:
    """Capture the screen: once, continuously, or pause and resume it."""


@capture_group.command("once")
@common_options
def capture_once(data_dir: Path | None, as_json: bool) -> None:
    """Grab every monitor now; print what was kept, or why not (duplicate, excluded
    app or title, paused)."""
    with assistant(data_dir) as app:
        result = app.capture_once()

        def human() -> None:
            for event in result.events:
                click.echo(event.line())

        emit(as_json, result.to_dict(), human)


ABSORB_EVERY_S = 60.0


def _absorb_due(app: Assistant) -> None:
    """With an LLM configured, the memory agents take the due batches as capture
    goes on; a failure leaves them queued for the next minute (or ``absorb``)."""
    try:
        report = app.absorb_due()
    except (AgentError, StorageError) as exc:
        click.echo(f"Memory agents: {' '.join(str(exc).splitlines())}", err=True)
        return
    if report is not None and report.batches:
        click.echo(
            f"Memory agents: {report.done} batch(es) absorbed, {report.failed} kept for a "
            f"retry, {report.memories_written} memories written.",
            err=True,
        )


@capture_group.command("run")
@click.option("--verbose", "-v", is_flag=True, help="Also print duplicates and exclusions.")
@common_options
def capture_run(verbose: bool, data_dir: Path | None, as_json: bool) -> None:
    """Capture until interrupted (Ctrl-C): one line per kept frame."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def on_event(event: CaptureEvent) -> None:
        if as_json:
            click.echo(json.dumps(event.to_dict(), ensure_ascii=False))
        elif event.kind == "kept" or verbose:
            click.echo(event.line())
        elif event.kind in _STATE_KINDS:
            click.echo(event.line(), err=True)
        sys.stdout.flush()

    # Ctrl-C and SIGTERM stop it the same way, also where SIGINT was inherited as
    # ignored (a job started with `&` from a script): the frame being read is kept.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with assistant(data_dir) as app:
            # Refuses here, with the reason, where the windows shown cannot be
            # identified and the user has not chosen to capture anyway.
            service = app.capture_service(on_event=on_event)
            service.start()
            try:
                last_absorb = time.monotonic()
                while not stop.is_set() and not service.wait_stopped(0.25):
                    if time.monotonic() - last_absorb >= ABSORB_EVERY_S:
                        _absorb_due(app)
                        last_absorb = time.monotonic()
            except KeyboardInterrupt:
                pass
            finally:
                service.stop()
            if not as_json:
                click.echo(f"Capture stopped: {service.kept} frame(s) kept.", err=True)
            if service.state == "error":
                fail(f"Capture failed: {service.reason}")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@capture_group.command("pause")
@click.argument("reason", required=False, default="paused by the user")
@common_options
def capture_pause(reason: str, data_dir: Path | None, as_json: bool) -> None:
    """Pause every capture of this data directory (also a running 'capture run')
    until 'capture resume'."""
    with assistant(data_dir) as app:
        app.capture_pause(reason)
        emit(as_json, {"paused": True, "reason": reason}, lambda: click.echo(f"Paused: {reason}"))


@capture_group.command("resume")
@common_options
def capture_resume(data_dir: Path | None, as_json: bool) -> None:
    """Resume capture after 'capture pause'."""
    with assistant(data_dir) as app:
        app.capture_resume()
        emit(as_json, {"paused": False}, lambda: click.echo("Capture resumed."))
