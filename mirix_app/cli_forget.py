"""``mirix-app forget``: take back what was recorded, for good.

Registered from cli.py by importing this module; ``delete`` uses
:func:`forget_sources` for a message or screenshot id.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from agents import Assistant
from mirix_app.cli import assistant, cli, common_options, emit, fail

YES = click.option(
    "--yes", "-y", is_flag=True, help="Go ahead without asking (it cannot be undone)."
)


def forget_sources(
    app: Assistant,
    *,
    ids: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
    application: str | None = None,
    yes: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Show what goes, ask (on a terminal; elsewhere --yes is required), forget."""
    plan = app.forget_plan(ids=ids, since=since, until=until, app=application)
    if dry_run or not plan.items:
        said = f"Would forget {plan.describe()}." if plan.items else "Nothing recorded to forget."
        emit(as_json, plan.to_dict(), lambda: click.echo(said))
        return
    if not yes:
        if not sys.stdin.isatty():
            fail(f"Forgetting {plan.describe()} cannot be undone: add --yes to go ahead.")
        if not click.confirm(
            f"Forget {plan.describe()}? This cannot be undone.", default=False, err=True
        ):
            click.echo("Nothing was forgotten.", err=True)
            return
    report = app.forget(ids=ids, since=since, until=until, app=application)

    def human() -> None:
        click.echo(f"Forgot {report.plan.describe()}.")
        if report.frames_waiting:
            click.echo(f"Dropped {report.frames_waiting} captured frame(s) not stored yet.")
        if not report.wal_cleared:
            click.echo(
                "Warning: another process was reading the database, so its write-ahead log "
                "(mirix.db-wal) still holds old pages; run the same command again once the "
                "desktop app is idle or closed.",
                err=True,
            )

    emit(as_json, report.to_dict(), human)


@cli.command()
@click.option(
    "--since",
    help="Forget what was recorded at or after this time: ISO-8601, today, yesterday, "
    "a weekday (the last one), or an age such as 10m, 2h, 3d.",
)
@click.option("--until", help="... and at or before this one (same forms; default: up to now).")
@click.option(
    "--app",
    "application",
    help="Only screenshots of this application (part of its name, any case); no messages.",
)
@click.option("--dry-run", is_flag=True, help="Only say what would be forgotten.")
@YES
@common_options
def forget(
    since: str | None,
    until: str | None,
    application: str | None,
    dry_run: bool,
    yes: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Forget for good the messages and screenshots recorded in a time range (and
    of one application): their images, text, index entries and vectors, the
    memories made only from them (history included), and frames of that time not
    stored yet. Memories with other sources stay and keep those. Asks first on a
    terminal; elsewhere give --yes."""
    if since is None and until is None and application is None:
        fail("Say what to forget: --since TIME [--until TIME] [--app NAME].")
    with assistant(data_dir) as app:
        forget_sources(
            app,
            since=since,
            until=until,
            application=application,
            yes=yes,
            dry_run=dry_run,
            as_json=as_json,
        )
