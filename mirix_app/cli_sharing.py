"""What sharing one memory between devices needs: ``mirix-app database check``
(the PostgreSQL server of ``database_url``), ``mirix-app migrate --to`` (this
data folder's memory copied there) and ``mirix-app vault export-key`` /
``import-key`` (one vault key per user, carried from device to device by hand,
never through the database)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from agents import AgentError
from agents.database_url import database_url_of, open_storage
from agents.migrate import MigrationReport, migrate_to_postgres
from agents.settings import SettingsError, load_settings
from agents.vault_key import VaultCipher, parse_key
from mirix_app.cli import cli, common_options, emit, fail
from storage import Storage, StorageError, resolve_data_dir
from storage.paths import ensure_data_dir


@cli.group("database")
def database() -> None:
    """The PostgreSQL database that database_url names (see "Sharing one memory")."""


@database.command("check")
@common_options
def database_check(data_dir: Path | None, as_json: bool) -> None:
    """Reach the server, bring its schema up to date, check that this device holds
    the shared vault key, and count what the database holds."""
    try:
        directory = ensure_data_dir(resolve_data_dir(data_dir))
        url = database_url_of(load_settings(directory).text("database_url"))
        if not url:
            fail(
                "database_url is not set: the memory is the SQLite database in the data "
                "folder (mirix-app config set database_url postgresql://USER@HOST/DB)."
            )
        with open_storage(directory, url, cipher=VaultCipher(directory)) as storage:
            stats = storage.stats()
        version, device, where = stats["schema_version"], stats["device"], stats["database"]
        counts = stats["counts"]
    except (StorageError, AgentError, SettingsError) as exc:
        fail(str(exc))
    info = {"database": where, "schema_version": version, "device": device, "counts": counts}

    def human() -> None:
        click.echo(f"{where}: schema version {version}, reachable")
        click.echo(f"this device: {device}; its vault key is the shared one")
        for name, count in counts.items():
            deleted = f" ({count['deleted']} deleted)" if count["deleted"] else ""
            click.echo(f"  {name}: {count['live']}{deleted}")

    emit(as_json, info, human)


@cli.command()
@click.option(
    "--to",
    "url",
    required=True,
    metavar="postgresql://USER@HOST:PORT/DATABASE",
    help="The PostgreSQL database (with pgvector) to copy into: empty, or this folder's "
    "migration stopped before its end.",
)
@common_options
def migrate(url: str, data_dir: Path | None, as_json: bool) -> None:
    """Copy this data folder's memory (its SQLite database: every memory, message,
    screenshot row, version and link, and the batches not yet absorbed) into a
    PostgreSQL database, then verify it (records per kind and a SHA-256 of both
    exports). Safe to interrupt: run it again and it goes on where it stopped.
    Image files stay in this folder. Close the desktop app first."""

    def progress(done: int, total: int, there: int) -> None:
        skipped = f" ({there:,} were there already)" if there else ""
        click.echo(f"Copied {done:,} of {total:,} records{skipped}", err=True)

    try:
        report = migrate_to_postgres(data_dir, url, progress=progress)
    except (StorageError, AgentError, SettingsError) as exc:
        fail(str(exc))
    emit(as_json, report.to_dict(), lambda: _print_migration(report))
    if not report.matches:
        fail(
            "The PostgreSQL database does not hold the same memory as this data folder "
            "(see the counts and checksums above). If the memory changed while it was "
            "copied, run migrate again; otherwise migrate into a new, empty database."
        )


def _print_migration(report: MigrationReport) -> None:
    done = {"new": "Copied", "resumed": "Resumed: copied", "done": "Already migrated:"}
    if report.state == "done":
        click.echo(f"{done['done']} {report.database} (verifying again)")
    else:
        click.echo(
            f"{done[report.state]} {report.written:,} records into {report.database}"
            f" ({report.skipped:,} were there already), {report.batches} batch(es) waiting "
            f"for the memory agents; screenshots named as this device's ({report.device})."
        )
    if report.source is None or report.target is None:
        return
    click.echo(f"{'':<18}{'this folder':>14}{'PostgreSQL':>14}")
    for name in sorted({*report.source.counts, *report.target.counts}):
        here, there = report.source.counts.get(name, 0), report.target.counts.get(name, 0)
        mark = "" if here == there else "  <- differs"
        click.echo(f"{name:<18}{here:>14,}{there:>14,}{mark}")
    click.echo(f"SHA-256 this folder: {report.source.sha256}")
    click.echo(f"SHA-256 PostgreSQL:  {report.target.sha256}")
    if report.matches:
        click.echo(
            f"Verified: the same memory. To use it on this device: mirix-app config set "
            f"database_url '{report.database}' (with its password in the URL if it needs "
            "one: that goes to the OS keyring, not settings.json); on your other devices the "
            "same, after mirix-app vault import-key. Image files stay in this data folder."
        )


@cli.group("vault")
def vault() -> None:
    """The vault key: one per user, the same on every device sharing a memory."""


@vault.command("export-key")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@common_options
def export_key(file: Path, data_dir: Path | None, as_json: bool) -> None:
    """Write this device's vault key to FILE (readable by you only; - for the
    terminal), to import on your other devices. Whoever holds it can read your
    vault secrets: carry it yourself and delete the copy."""
    # The key alone: no database is opened (a shared one may refuse this device).
    cipher = VaultCipher(ensure_data_dir(resolve_data_dir(data_dir)))
    key = cipher.key.key.decode("ascii")
    check = cipher.check_value()
    text = f"# mirix-app vault key (check {check})\n{key}\n"
    if str(file) == "-":
        sys.stdout.write(text)
        return
    try:
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text)
    except FileExistsError:
        fail(f"{file} exists; give a new file (the key is never written over a file).")
    except OSError as exc:
        fail(f"Cannot write {file}: {exc.strerror or exc}.")
    emit(
        as_json,
        {"file": str(file), "check": check},
        lambda: click.echo(f"Vault key written to {file}."),
    )


@vault.command("import-key")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@common_options
def import_key(file: Path, data_dir: Path | None, as_json: bool) -> None:
    """Use the vault key exported on another device (FILE; - reads it from the
    terminal) from now on, kept in this device's keyring (or its key file). Refused
    where this data folder already holds vault items sealed with another key."""
    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="ascii")
    except (OSError, UnicodeError) as exc:
        fail(f"Cannot read {file}: {getattr(exc, 'strerror', None) or exc}.")
    try:
        key = parse_key(text)
    except StorageError as exc:
        fail(str(exc))
    directory = ensure_data_dir(resolve_data_dir(data_dir))
    cipher = VaultCipher(directory)
    if cipher.key.key == key:
        said = "This device already uses that vault key."
    else:
        held = _own_vault_items(directory)
        if held:
            fail(
                f"This data folder holds {held} vault item(s) sealed with its own key; "
                "importing another key would make their secrets unreadable. Export them "
                "(mirix-app export FILE), import the key into a new data folder, then "
                "import them there."
            )
        cipher.replace_key(key)
        said = f"Vault key imported ({cipher.describe()['backend']})."
    check = cipher.check_value()
    emit(as_json, {"check": check}, lambda: click.echo(said))


def _own_vault_items(directory: Path) -> int:
    """Vault items this data folder's own SQLite memory holds (a shared memory's are
    sealed with the shared key, the one being imported)."""
    try:
        if database_url_of(load_settings(directory).text("database_url")):
            return 0
        with Storage.open(directory) as storage:
            items = storage.stats()["counts"]["knowledge_vault"]
    except (StorageError, SettingsError) as exc:
        fail(str(exc))
    return int(items["live"]) + int(items["deleted"])
