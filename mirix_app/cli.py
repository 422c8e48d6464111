"""The ``mirix-app`` command line: a thin shell over the Assistant facade.

Library exceptions become one-line messages here and nowhere else; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from click_default_group import DefaultGroup

from agents import SEARCHABLE_TYPES, AgentError, Assistant, open_assistant
from agents.chat import ChatAnswer
from agents.memory_agents import BatchReport
from storage import (
    MEMORY_TYPE_NAMES,
    Hit,
    InvalidInputError,
    Record,
    StorageError,
    kind_named,
    kind_of_id,
)
from storage.inputs import clean_text, json_lines, parse_json
from storage.kinds import format_time, parse_time
from storage.periods import Period, spoken_period

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
MAX_LIMIT = 1000
"""Most hits one query may ask for (--limit, or "limit" in a --queries line)."""


def _offline_defaults() -> None:
    # No hub is ever needed: models ship in PyPI packages. Without these, a miss
    # takes about a minute to time out instead of failing at once.
    for name, value in (
        ("HF_HUB_OFFLINE", "1"),
        ("TRANSFORMERS_OFFLINE", "1"),
        ("LITELLM_LOCAL_MODEL_COST_MAP", "True"),
    ):
        os.environ.setdefault(name, value)


def common_options(fn: F) -> F:
    """Every command takes --data-dir and --json."""
    fn = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")(fn)
    fn = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="MIRIX_APP_HOME",
        help="Data directory (default: $MIRIX_APP_HOME, else the platform's user data dir).",
    )(fn)
    return fn


def fail(message: str) -> None:
    # One line, always: a message may quote user input that holds line breaks.
    click.echo(f"Error: {' '.join(message.splitlines())}", err=True)
    sys.exit(EXIT_ERROR)


@contextlib.contextmanager
def assistant(data_dir: Path | None, *, finish_builds: bool = True) -> Iterator[Assistant]:
    """The facade for a command; ``finish_builds`` False drops a search graph still
    being built on exit (a server stopping), instead of finishing it first."""
    try:
        app = open_assistant(data_dir)
    except (StorageError, AgentError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"Cannot use the data directory {data_dir or ''}: {exc.strerror or exc}.")
    try:
        yield app
    except (StorageError, AgentError) as exc:
        fail(str(exc))
    finally:
        app.close(finish_builds=finish_builds)


def emit(as_json: bool, payload: Any, human: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        human()


def parse_body(text: str) -> dict[str, Any]:
    try:
        body = parse_json(text)
    except InvalidInputError as exc:
        fail(f"--json-body is {exc}")
    if not isinstance(body, dict):
        fail("--json-body must be a JSON object.")
    return dict(body)


MASK = "••••••"
REVEAL = click.option(
    "--reveal", is_flag=True, help="Show vault secrets (masked as •••••• otherwise)."
)


def masked(type_name: str, values: dict[str, Any], *, reveal: bool) -> dict[str, Any]:
    """``values`` with the type's secret fields (a vault item's secret) masked."""
    if reveal:
        return values
    secret = kind_named(type_name).secret_fields
    return {k: (MASK if k in secret and v else v) for k, v in values.items()}


def print_record(record: Record, *, reveal: bool = False) -> None:
    state = f"deleted {record.deleted_at}" if record.deleted else "live"
    click.echo(f"{record.id}  ({record.type}, version {record.version}, {state})")
    for name, value in masked(record.type, record.fields, reveal=reveal).items():
        if value not in (None, "", []):
            if value == MASK:
                value = f"{MASK} (use --reveal to see it)"
            click.echo(f"  {name}: {value}")
    for source in record.sources:
        ext = f" [{source.external_id}]" if source.external_id else ""
        click.echo(f"  source: {source.kind} {source.id}{ext}")


BAR_CELLS = 8


def score_bar(score: float, best: float) -> str:
    """How a hit scored next to the best of its list, as a bar of eight cells (the
    number itself means nothing to a reader; --json keeps it)."""
    if best <= 0:
        return "·" * BAR_CELLS
    filled = max(1, round(BAR_CELLS * max(0.0, score) / best))
    return "█" * filled + "·" * (BAR_CELLS - filled)


def print_hits(hits: list[Hit], period: Period | None = None) -> None:
    if period is not None:
        since, until = (
            t.astimezone().strftime("%Y-%m-%d %H:%M") for t in (period.since, period.until)
        )
        words = ", ".join(f'"{w}"' for w in period.words)
        click.echo(f"Period asked about ({words}): {since} to {until}.")
    if not hits:
        click.echo("No matches.")
    best = max((h.score for h in hits), default=0.0)
    for n, hit in enumerate(hits, start=1):
        text = hit.text if len(hit.text) <= 160 else hit.text[:159] + "…"
        bar = score_bar(hit.score, best)
        click.echo(f"{n:>2}. {bar}  [{hit.type}] {hit.id}  {hit.at[:16].replace('T', ' ')}")
        click.echo(f"    {text}")
        if hit.sources and kind_named(hit.type).is_memory:
            refs = ", ".join(s.external_id or s.id for s in hit.sources[:5])
            click.echo(f"    from: {refs}")


# -- the group -----------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="mirix-app")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory for the desktop app (mirix-app --data-dir DIR) or for the "
    "command that follows.",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """mirix-app: a local memory assistant.

    With no command, starts the desktop app (tray icon; data directory from
    --data-dir, else $MIRIX_APP_HOME, else the platform's user data dir).

    Memories live in one SQLite database per data directory, in six types
    (core, episodic, semantic, procedural, resource, knowledge_vault), next to
    the raw messages they came from.
    """
    _offline_defaults()
    if data_dir is not None:
        # Before a command: its own --data-dir defaults to $MIRIX_APP_HOME, which
        # click reads when the command's options are parsed, after this.
        os.environ["MIRIX_APP_HOME"] = str(data_dir)
    if ctx.invoked_subcommand is None:
        from mirix_app.entry import start_desktop

        start_desktop(data_dir)


@cli.group("import", cls=DefaultGroup, default="all", default_if_no_args=False)
def import_group() -> None:
    """Import messages (import messages FILE) or an export file (import FILE)."""


@import_group.command("messages")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid lines, report the others.")
@common_options
def import_messages_cmd(
    file: Path, skip_invalid: bool, data_dir: Path | None, as_json: bool
) -> None:
    """Import chat messages from a JSON Lines FILE, one message a line:

    {"external_id": str, "speaker": str, "role": "user"|"assistant"|"other",
    "text": str, "at": ISO-8601 time, "session": str}

    external_id, role and session are optional. The file goes in whole or not at
    all: an invalid line stops the import unless --skip-invalid. Messages whose
    external_id is already stored are skipped, so re-running is safe.
    """
    with assistant(data_dir) as app, _progress("Embedding", enabled=not as_json) as progress:
        report = app.import_messages(file, skip_invalid=skip_invalid, progress=progress)

        def human() -> None:
            click.echo(
                f"Imported {report.imported} message(s) and {report.memories} episodic "
                f"memory(ies); {report.skipped_existing} already present."
            )
            for line, error in report.skipped_invalid:
                click.echo(f"Skipped line {line}: {error}", err=True)

        emit(as_json, report.to_dict(), human)


@import_group.command("all", hidden=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite items whose id already exists.")
@common_options
def import_all_cmd(file: Path, replace: bool, data_dir: Path | None, as_json: bool) -> None:
    """Import a file written by 'mirix-app export' (all types, history, provenance)."""
    with assistant(data_dir) as app:
        counts = app.import_export(file, replace=replace)
        emit(
            as_json,
            counts,
            lambda: click.echo(
                "Imported " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + "."
                if counts
                else "Nothing to import."
            ),
        )


@cli.command()
@click.argument("query", required=False)
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(SEARCHABLE_TYPES),
    help="Search only this type (repeatable). Default: all.",
)
@click.option(
    "--since",
    help="Only items at or after this time: ISO-8601, today, yesterday, a weekday "
    "(the last one), or an age such as 2h, 3d, 1w.",
)
@click.option(
    "--until", help="Only items at or before this time (same forms; a day means its end)."
)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, MAX_LIMIT))
@click.option(
    "--queries",
    type=click.Path(dir_okay=False, path_type=Path),
    help='Run many queries from a JSONL file of {"id", "query", "limit", "at"} ("at": '
    "when the question is asked, ISO-8601; default now).",
)
@common_options
def search(
    query: str | None,
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    limit: int,
    queries: Path | None,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Search memories and raw messages (full text and meaning, fused).

    A period the query speaks of ("last month", "two weeks ago", "上个月") is
    preferred: what happened then ranks first, the rest still counts."""
    if (query is None) == (queries is None):
        fail("Give a QUERY or --queries FILE (not both).")
    with assistant(data_dir) as app:
        if queries is not None:
            _batch_search(app, queries, types, since, until, limit, as_json)
        else:
            assert query is not None
            query = clean_text(query)  # bytes that are not UTF-8 (see storage.inputs)
            now = datetime.now().astimezone()
            hits = app.search(
                query, types=types, since=since, until=until, limit=limit, asked_at=now
            )
            period = spoken_period(query, now)
            emit(
                as_json,
                {
                    "query": query,
                    "period": period_dict(period),
                    "hits": [h.to_dict() for h in hits],
                },
                lambda: print_hits(hits, period),
            )
        left_out = app.storage.left_out_of_meaning_search()
        if left_out:
            click.echo(
                f"Note: {left_out} rows were embedded by another model and are left out of "
                "meaning search; run: mirix-app reindex",
                err=True,
            )


def _batch_search(
    app: Assistant,
    path: Path,
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    default_limit: int,
    as_json: bool,
) -> None:
    jobs = _read_queries(path)
    for qid, text, limit, at in jobs:
        now = at or datetime.now().astimezone()
        hits = app.search(
            text, types=types, since=since, until=until, limit=limit or default_limit, asked_at=now
        )
        period = spoken_period(text, now)
        if as_json:
            payload = {
                "id": qid,
                "period": period_dict(period),
                "hits": [h.to_dict() for h in hits],
            }
            click.echo(json.dumps(payload, ensure_ascii=False))
        else:
            click.echo(f"== {qid}: {text}")
            print_hits(hits, period)


def period_dict(period: Period | None) -> dict[str, Any] | None:
    """A period a query speaks of, as named ("last week": from the Monday of the
    week before until now), as ``search --json`` shows it; search prefers a little
    more (:meth:`Period.window`)."""
    if period is None:
        return None
    since, until = (format_time(t) for t in (period.since, period.until))
    return {"since": since, "until": until, "words": list(period.words)}


def _read_queries(path: Path) -> list[tuple[str, str, int | None, datetime | None]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"Cannot read {path}: {exc}.")
    jobs: list[tuple[str, str, int | None, datetime | None]] = []
    for number, line in json_lines(text):
        if not line.strip():
            continue
        try:
            obj = parse_json(line)
        except InvalidInputError as exc:
            fail(f"{path}:{number}: {exc}")
        if not isinstance(obj, dict) or not isinstance(obj.get("query"), str):
            fail(f'{path}:{number}: expected {{"id", "query", "limit"}} with a string query.')
        if not obj["query"].strip():
            fail(f"{path}:{number}: the query is empty.")
        limit = obj.get("limit")
        if limit is not None and (type(limit) is not int or not 1 <= limit <= MAX_LIMIT):
            fail(f"{path}:{number}: limit must be a positive integer (at most {MAX_LIMIT}).")
        at = None
        if obj.get("at") is not None:
            try:
                at = datetime.fromisoformat(parse_time(obj["at"], what='"at"'))
            except InvalidInputError as exc:
                fail(f"{path}:{number}: {exc}")
        jobs.append((str(obj.get("id", number)), obj["query"], limit, at))
    return jobs


@cli.command()
@click.argument("type_name", metavar="TYPE", type=click.Choice(MEMORY_TYPE_NAMES))
@click.option("--json-body", "body", required=True, help="The memory's fields as a JSON object.")
@common_options
def add(type_name: str, body: str, data_dir: Path | None, as_json: bool) -> None:
    """Add a memory of TYPE, e.g. add semantic --json-body '{"name": ..., "summary": ...}'."""
    values = parse_body(body)
    with assistant(data_dir) as app:
        record = app.add(type_name, values)
        emit(
            as_json,
            masked(record.type, record.to_dict(), reveal=False),
            lambda: click.echo(f"Added {record.id}"),
        )


@cli.command()
@click.argument("item_id", metavar="ID")
@REVEAL
@common_options
def show(item_id: str, reveal: bool, data_dir: Path | None, as_json: bool) -> None:
    """Show a memory or a raw message by id, with its sources."""
    with assistant(data_dir) as app:
        record = app.show(item_id)
        payload = masked(record.type, record.to_dict(), reveal=reveal)
        emit(as_json, payload, lambda: print_record(record, reveal=reveal))


@cli.command()
@click.argument("item_id", metavar="ID")
@click.option("--json-body", "body", required=True, help="The fields to change, as JSON.")
@common_options
def edit(item_id: str, body: str, data_dir: Path | None, as_json: bool) -> None:
    """Change fields of a memory; the id stays and the old version goes to history."""
    changes = parse_body(body)
    with assistant(data_dir) as app:
        record = app.edit(item_id, changes)
        emit(
            as_json,
            masked(record.type, record.to_dict(), reveal=False),
            lambda: click.echo(f"Updated {record.id} to version {record.version}"),
        )


@cli.command()
@click.argument("item_id", metavar="ID")
@click.option("--yes", "-y", is_flag=True, help="Forget a message or screenshot without asking.")
@common_options
def delete(item_id: str, yes: bool, data_dir: Path | None, as_json: bool) -> None:
    """Delete a memory (soft: 'restore ID' brings it back), or forget a recorded
    message or screenshot for good, with the memories made only from it (see
    'forget'; asks first on a terminal, elsewhere give --yes)."""
    with assistant(data_dir) as app:
        if not kind_of_id(item_id).is_memory:
            from mirix_app.cli_forget import forget_sources

            forget_sources(app, ids=[item_id], yes=yes, dry_run=False, as_json=as_json)
            return
        record = app.delete(item_id)
        emit(
            as_json,
            masked(record.type, record.to_dict(), reveal=False),
            lambda: click.echo(
                f"Deleted {record.id} (restore it with: mirix-app restore {record.id})"
            ),
        )


@cli.command()
@click.argument("item_id", metavar="ID")
@common_options
def restore(item_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Bring back a deleted memory."""
    with assistant(data_dir) as app:
        record = app.restore(item_id)
        emit(
            as_json,
            masked(record.type, record.to_dict(), reveal=False),
            lambda: click.echo(f"Restored {record.id}"),
        )


@cli.command()
@click.argument("item_id", metavar="ID")
@REVEAL
@common_options
def history(item_id: str, reveal: bool, data_dir: Path | None, as_json: bool) -> None:
    """List the previous versions of a memory, oldest first (vault secrets masked
    unless --reveal)."""
    with assistant(data_dir) as app:
        current = app.show(item_id)
        entries = [
            {**e.to_dict(), "data": masked(current.type, e.data, reveal=reveal)}
            for e in app.history(item_id)
        ]

        def human() -> None:
            for e in entries:
                made = str(e["data"].get("updated_at") or "")[:19]
                click.echo(
                    f"v{e['version']}  {made}  by {_author(e['changed_by'])}  "
                    f"(then {e['change']}, {e['changed_at'][:19]})"
                )
                for name, value in _version_fields(e["data"]):
                    click.echo(f"    {name}: {value}")
            click.echo(
                f"v{current.version}  {current.updated_at[:19]}  by "
                f"{_author(current.changed_by)}  current"
            )

        emit(
            as_json,
            {
                "id": item_id,
                "current": masked(current.type, current.to_dict(), reveal=reveal),
                "history": entries,
            },
            human,
        )


_VERSION_META = frozenset({"id", "created_at", "updated_at", "deleted_at", "version", "changed_by"})


def _version_fields(data: dict[str, Any], width: int = 160) -> list[tuple[str, str]]:
    """A stored version's own fields that hold something, each cut to ``width``."""
    out: list[tuple[str, str]] = []
    for name, value in data.items():
        if name in _VERSION_META or value in (None, "", [], {}):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        text = " ".join(text.split())
        out.append((name, text if len(text) <= width else text[: width - 1] + "…"))
    return out


def _author(changed_by: str | None) -> str:
    """Who made a version: another AI tool (mcp:NAME), or mirix-app itself."""
    return changed_by or "mirix-app"


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@common_options
def export(file: Path, data_dir: Path | None, as_json: bool) -> None:
    """Write everything (all six types, messages, history, provenance) to FILE."""
    with assistant(data_dir) as app:
        count = app.export(file)
        emit(
            as_json,
            {"file": str(file), "records": count},
            lambda: click.echo(f"Exported {count} record(s) to {file}"),
        )


@cli.command()
@common_options
def stats(data_dir: Path | None, as_json: bool) -> None:
    """Counts per type, database size and where the data lives."""
    with assistant(data_dir) as app:
        info = app.stats()

        def human() -> None:
            click.echo(f"Data directory: {info['data_dir']}")
            click.echo(f"Database: {info['database']} ({info['database_bytes'] / 1e6:.1f} MB)")
            for name, c in info["counts"].items():
                click.echo(f"  {name:<16} {c['live']:>8} live {c['deleted']:>6} deleted")
            click.echo(
                f"History entries: {info['history_entries']}, "
                f"provenance links: {info['provenance_links']}"
            )
            shots = info["screenshots"]
            click.echo(
                f"Screenshot images: {shots['image_bytes'] / 1e6:.1f} MB of a "
                f"{shots['budget_bytes'] / 1024**3:g} GB budget "
                f"({shots['images_deleted_for_budget']} deleted for the budget)"
            )

        emit(as_json, info, human)


@cli.command()
@common_options
def status(data_dir: Path | None, as_json: bool) -> None:
    """What is in use: data, embedding model, LLM (or the rule-based floor), vault key,
    and how screen capture runs here (or why it does not start by itself)."""
    with assistant(data_dir) as app:
        info = app.status()

        def human() -> None:
            click.echo(f"Data directory: {info['data_dir']}")
            click.echo(
                f"Database: {info['database_bytes'] / 1e6:.1f} MB, {info['memories']} memories, "
                f"{info['messages']} messages"
            )
            pending = info["batches"].get("pending", 0)
            if pending:
                click.echo(f"Batches waiting for the memory agents: {pending} (run: absorb)")
            if info["batches"].get("open"):
                click.echo("A batch of chat turns is filling (sealed when full or old).")
            for batch in info.get("retrying_batches", []):
                click.echo(
                    f"Batch {batch['id']} failed {batch['attempts']} time(s), kept for a "
                    f"retry (in the background from {batch['next_try_at'][:16]} UTC, or now "
                    f"with: absorb; to stop: batches give-up ID): {batch['last_error']}"
                )
            if info["batches"].get("failed"):
                click.echo(
                    f"Batches given up: {info['batches']['failed']} (see: batches list; "
                    "queue one again with: batches retry ID)"
                )
            emb = info["embedder"]
            click.echo(f"Embeddings: {emb['name']} ({emb['precision'] or 'default'})")
            if emb["rows_to_reindex"]:
                click.echo(
                    f"Rows embedded by another model, left out of meaning search: "
                    f"{emb['rows_to_reindex']} (run: reindex)"
                )
            llm = info["llm"]
            if llm["mode"] == "provider":
                base = f" at {llm['api_base']}" if llm["api_base"] else ""
                click.echo(f"LLM: {llm['model']}{base} (key from {llm['api_key_from']})")
            elif llm["mode"] == "local":
                click.echo(f"LLM: embedded {llm['model']} ({llm['reason']}; {llm['path']})")
            else:
                click.echo(f"LLM: none, rule-based floor ({llm['reason']})")
            key = info["vault_key"]
            if key:
                click.echo(f"Vault key: {key['backend']} ({key['location']})")
            _capture_lines(info["capture"])

        emit(as_json, info, human)


def _capture_lines(capture: dict[str, Any]) -> None:
    screen = capture["screen"] or "none"
    windows = capture["windows"] or "none"
    click.echo(f"Capture: screen: {screen}; windows: {windows} ({capture['reason']})")
    if capture["idle"]:
        click.echo(f"Idle time: {capture['idle']}")
    if capture["blocked"]:
        click.echo(capture["blocked"])
    elif capture["rules_off_by_choice"]:
        click.echo(
            f"Capture runs with the app and title rules off, by your choice "
            f"({capture['windows_unknown']})."
        )


@cli.command()
@common_options
def reindex(data_dir: Path | None, as_json: bool) -> None:
    """Embed anew, with the embedding model in use, every memory, message and
    screenshot whose vector another model made (after an upgrade or a change of
    the embedder setting): until then meaning search leaves them out. From the
    stored text (no OCR); safe to interrupt and run again."""
    with assistant(data_dir) as app, _progress("Embedding", enabled=not as_json) as progress:
        done = app.reindex(progress=progress)
        emit(as_json, {"reindexed": done}, lambda: click.echo(f"Rows embedded anew: {done}."))


@cli.group()
def config() -> None:
    """Show or change settings (stored in DATA_DIR/settings.json)."""


@config.command("show")
@common_options
def config_show(data_dir: Path | None, as_json: bool) -> None:
    """List every setting with its value, where the value comes from, and help."""
    with assistant(data_dir) as app:
        rows = app.config()

        def human() -> None:
            for row in rows:
                where = "" if row["source"] == "default" else f"  (from the {row['source']})"
                click.echo(f"{row['name']} = {shown_value(row['value'])}{where}")
                click.echo(f"    {row['help']}")

        emit(as_json, rows, human)


@config.command("set")
@click.argument("name")
@click.argument("value")
@common_options
def config_set(name: str, value: str, data_dir: Path | None, as_json: bool) -> None:
    """Set NAME to VALUE (an environment variable MIRIX_APP_<NAME> still wins)."""
    with assistant(data_dir) as app:
        app.set_config(name, value)
        current = {r["name"]: r for r in app.config()}[name]
        emit(as_json, current, lambda: click.echo(f"{name} = {shown_value(current['value'])}"))


def shown_value(value: Any) -> str:
    """A setting's value as it is typed to ``config set``: true/false, lists as
    comma-separated items, text as it is ("(empty)" for none)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "(empty)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if str(value) else "(empty)"


@cli.command()
@common_options
def absorb(data_dir: Path | None, as_json: bool) -> None:
    """Run the memory agents over the pending batches now.

    One meta-agent call per batch picks the memory types with work; only those
    agents run. A batch whose provider call fails stays queued for the next run;
    when the provider itself fails (key refused, unreachable, rate-limited) the run
    stops and the remaining batches wait too. Unlike the background run, this
    retries failed batches at once, and only the part that failed: the
    meta-agent's call is not repeated once its memories are written. A batch too
    long for the model is split in two and both halves are absorbed.
    """

    def line(number: int, total: int, batch: BatchReport) -> None:
        if batch.status == "done":
            what = f"done: {batch.memories_written} memory write(s) in " + (
                ", ".join(batch.memory_types) or "no type"
            )
        elif batch.status == "split":
            what = f"too long for the model, split in two: {batch.error}"
        elif batch.status == "taken over":
            what = f"left to another run: {batch.error}"
        else:
            what = f"failed, kept for a retry: {batch.error}"
        images = f", {batch.key_frames} key frame image(s)" if batch.key_frames else ""
        click.echo(
            f"[{number}/{total}] {batch.id}: {what} ({batch.llm_calls} LLM call(s), "
            f"{batch.prompt_tokens} prompt tokens{images})",
            err=True,
        )

    with assistant(data_dir) as app:
        report = app.absorb(progress=line)

        def human() -> None:
            if report.message:
                click.echo(report.message)
            if report.mode != "llm":
                return
            totals = report.to_dict()
            split = f", split in two: {report.split}" if report.split else ""
            click.echo(
                f"Batches done: {report.done}, failed (kept for a retry): {report.failed}"
                f"{split}; memories written: {report.memories_written}; LLM calls: "
                f"{totals['llm_calls']}, prompt tokens: {totals['prompt_tokens']}."
            )

        emit(as_json, report.to_dict(), human)


@cli.group()
def batches() -> None:
    """The observation batches waiting for the memory agents, and what to do with
    one that keeps failing."""


@batches.command("list")
@common_options
def batches_list(data_dir: Path | None, as_json: bool) -> None:
    """Every batch not yet done: filling, waiting, retrying (with its last error and
    next try) or given up."""
    with assistant(data_dir) as app:
        rows = app.batches()

        def human() -> None:
            if not rows:
                click.echo("No batches waiting for the memory agents.")
            for row in rows:
                what = ", ".join(f"{n} {kind}(s)" for kind, n in row["observations"].items())
                click.echo(f"{row['id']}  {row['state']:<9} {row['created_at'][:16]}  {what}")
                if row["attempts"]:
                    retry = (
                        f"; next try {row['next_try_at'][:16]} UTC" if row["next_try_at"] else ""
                    )
                    click.echo(
                        f"    {row['attempts']} failed attempt(s){retry}: {row['last_error']}"
                    )

        emit(as_json, rows, human)


@batches.command("give-up")
@click.argument("batch_id")
@common_options
def batches_give_up(batch_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Stop retrying BATCH_ID: its messages and screenshots stay stored and
    searchable, but no memories are made from them (undo: batches retry)."""
    with assistant(data_dir) as app:
        row = app.give_up_batch(batch_id)
        emit(as_json, row, lambda: click.echo(f"Batch {batch_id} given up."))


@batches.command("retry")
@click.argument("batch_id")
@common_options
def batches_retry(batch_id: str, data_dir: Path | None, as_json: bool) -> None:
    """Queue a given-up BATCH_ID again: the next run of the memory agents (the
    background one, or absorb) takes it."""
    with assistant(data_dir) as app:
        row = app.retry_batch(batch_id)
        emit(as_json, row, lambda: click.echo(f"Batch {batch_id} queued again."))


@cli.command()
@click.argument("question")
@click.option("--session", help="Continue this chat session (default: a new one).")
@common_options
def ask(question: str, session: str | None, data_dir: Path | None, as_json: bool) -> None:
    """Ask QUESTION: the answer streams from the LLM, using the memories found for
    its topic, then the memories it was given are listed with their sources.

    The exchange is stored and queued for the memory agents. With no LLM
    configured it says so and lists the memories found.
    """
    with assistant(data_dir) as app:
        sink = None if as_json else _echo_token
        answer = app.ask(question, session=session, on_token=sink)
        if as_json:
            click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
            return
        _finish_answer(answer)
        _print_memories(answer)


@cli.command()
@click.option("--session", help="Continue this chat session (default: a new one).")
@common_options
def chat(session: str | None, data_dir: Path | None, as_json: bool) -> None:
    """A conversation in the terminal, in one session: type a message, the answer
    streams back. 'exit', 'quit' or end of input (Ctrl-D) leaves.

    An LLM failure prints a one-line error and the conversation goes on; your
    message is stored either way. --json prints one JSON object per answer.
    """
    with assistant(data_dir) as app:
        current = session
        while True:
            if not as_json:
                click.echo("you> ", nl=False, err=True)
            line = sys.stdin.readline()
            if not line or line.strip().lower() in ("exit", "quit"):
                break
            if not line.strip():
                continue
            try:
                if not as_json:
                    click.echo("mirix> ", nl=False)
                answer = app.ask(
                    line.strip(), session=current, on_token=None if as_json else _echo_token
                )
            except (StorageError, AgentError) as exc:
                click.echo("")
                click.echo(f"Error: {' '.join(str(exc).splitlines())}", err=True)
                continue
            current = answer.session
            if as_json:
                click.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
            else:
                _finish_answer(answer)
                cited = [h.id for h in answer.memories if h.id in answer.answer]
                if cited:
                    click.echo(f"  (memories cited: {', '.join(cited)})", err=True)


def _echo_token(piece: str) -> None:
    click.echo(piece, nl=False)
    sys.stdout.flush()


def _finish_answer(answer: ChatAnswer) -> None:
    if answer.answered:
        click.echo("")  # the streamed answer's line
    else:
        click.echo(answer.answer)


def _print_memories(answer: ChatAnswer) -> None:
    if not answer.memories:
        click.echo(f"\nNo memories found for: {answer.topic}")
        return
    what = "given to the model" if answer.answered else "found"
    click.echo(f"\nMemories {what} (topic: {answer.topic}):")
    for hit in answer.memories:
        text = hit.text if len(hit.text) <= 120 else hit.text[:119] + "…"
        mark = "*" if hit.id in answer.answer else " "
        click.echo(f" {mark} [{hit.type}] {hit.id}  {hit.at[:16]}  {text}")
        if kind_named(hit.type).is_memory and hit.sources:
            refs = ", ".join(s.external_id or s.id for s in hit.sources[:5])
            click.echo(f"      from: {refs}")


@cli.group()
def llm() -> None:
    """The configured LLM provider, and model servers found on this computer."""


@llm.command("test")
@common_options
def llm_test(data_dir: Path | None, as_json: bool) -> None:
    """Check the configured provider with one small call."""
    with assistant(data_dir) as app:
        result = app.llm_test()
        emit(
            as_json,
            result,
            lambda: click.echo(
                f"{result['model']} answered {result['reply']!r} in {result['seconds']:.2f} s "
                f"({result['prompt_tokens']} prompt, "
                f"{result['completion_tokens']} completion tokens)"
            ),
        )


@llm.command("list")
@common_options
def llm_list(data_dir: Path | None, as_json: bool) -> None:
    """Look for model servers running on this computer (127.0.0.1 only, the ports
    of local_server_ports: Ollama, LM Studio, llama.cpp, vLLM) and list their
    models, with the settings that would use one. Nothing is configured."""
    with assistant(data_dir) as app:
        servers = app.local_servers()

        def human() -> None:
            if not servers:
                ports = ", ".join(app.settings.texts("local_server_ports"))
                click.echo(f"No model server answered on 127.0.0.1 (ports {ports}).")
                return
            for server in servers:
                click.echo(f"{server.label} at {server.url} ({len(server.models)} model(s))")
                for model in server.models:
                    marks = ("  [takes images]" if model.images else "") + (
                        "  [no tool calls: the memory agents need them]"
                        if model.tools is False
                        else ""
                    )
                    click.echo(f"  {server.model_name(model)}{marks}")
            first = servers[0]
            if first.models:
                click.echo(
                    "To use one: mirix-app config set llm_model "
                    f"{first.model_name(first.models[0])} && mirix-app config set "
                    f"llm_api_base {first.api_base()}  (or choose it in Settings)"
                )

        emit(as_json, [s.to_dict() for s in servers], human)


@cli.group()
def core() -> None:
    """Core memory: the persona and human blocks, edited by line."""


_LABEL = click.argument("label", type=click.Choice(("persona", "human")))


@core.command("show")
@_LABEL
@common_options
def core_show(label: str, data_dir: Path | None, as_json: bool) -> None:
    """Print a block with line numbers."""
    with assistant(data_dir) as app:
        block = app.storage.core.block(label)
        lines = app.storage.core.lines(label)

        def human() -> None:
            for n, line in enumerate(lines, start=1):
                click.echo(f"{n:>3}  {line}")
            if not lines:
                click.echo("(empty)")

        emit(as_json, block.to_dict(), human)


@core.command("append")
@_LABEL
@click.argument("line")
@common_options
def core_append(label: str, line: str, data_dir: Path | None, as_json: bool) -> None:
    """Add LINE at the end of a block."""
    with assistant(data_dir) as app:
        block = app.core_append(label, line)
        emit(as_json, block.to_dict(), lambda: click.echo(f"{label}: version {block.version}"))


@core.command("replace")
@_LABEL
@click.argument("number", type=int)
@click.argument("line")
@common_options
def core_replace(label: str, number: int, line: str, data_dir: Path | None, as_json: bool) -> None:
    """Replace line NUMBER (1-based) of a block; an empty LINE removes it."""
    with assistant(data_dir) as app:
        block = app.core_replace_line(label, number, line)
        emit(as_json, block.to_dict(), lambda: click.echo(f"{label}: version {block.version}"))


@core.command("rewrite")
@_LABEL
@click.argument("text")
@common_options
def core_rewrite(label: str, text: str, data_dir: Path | None, as_json: bool) -> None:
    """Replace the whole block with TEXT."""
    with assistant(data_dir) as app:
        block = app.core_rewrite(label, text)
        emit(as_json, block.to_dict(), lambda: click.echo(f"{label}: version {block.version}"))


@contextlib.contextmanager
def _progress(label: str, *, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; nothing when piped or printing JSON."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    bar: Any = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


import mirix_app.cli_capture  # noqa: E402  (registers the capture commands)
import mirix_app.cli_forget  # noqa: E402  (registers the forget command)
import mirix_app.cli_mcp  # noqa: E402  (registers the mcp commands)
import mirix_app.cli_screens  # noqa: E402  (registers the screens commands)
import mirix_app.cli_sharing  # noqa: E402, F401  (registers the database and vault commands)


@functools.wraps(cli)
def main() -> None:
    cli(prog_name="mirix-app")
