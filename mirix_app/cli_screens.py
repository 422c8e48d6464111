"""The ``screens`` commands: import screenshots from a manifest and search them."""

from __future__ import annotations

import json
from pathlib import Path

import click

from agents.screens import ScreenHit
from agents.screens.search import group_similar
from mirix_app.cli import (
    MAX_LIMIT,
    _progress,
    _read_queries,
    assistant,
    cli,
    common_options,
    emit,
    fail,
    score_bar,
)


@cli.group("screens")
def screens() -> None:
    """Screenshots: import existing images, search them by what was on screen."""


@screens.command("import")
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--no-dedup", is_flag=True, help="Keep near-duplicate frames too.")
@common_options
def screens_import(manifest: Path, no_dedup: bool, data_dir: Path | None, as_json: bool) -> None:
    """Import screenshots listed in MANIFEST, one JSON object a line:

    {"path": str, "at": ISO-8601 time, "app": str, "title": str, "external_id": str}

    All but path are optional; relative paths are relative to the manifest. Each
    image goes through dedup (unless --no-dedup), OCR and embedding. Bad lines and
    unreadable images are reported with their line number and skipped.
    """
    with assistant(data_dir) as app, _progress("Reading screens", enabled=not as_json) as progress:
        report = app.import_screens(manifest, dedup=not no_dedup, progress=progress)

        def human() -> None:
            click.echo(
                f"Imported {report.imported} screenshot(s); {report.duplicates} near-duplicate(s) "
                f"and {report.existing} already present skipped; {report.batches} batch(es) "
                "queued for the memory agents."
            )
            for line, error in report.problems:
                click.echo(f"Skipped line {line}: {error}", err=True)

        emit(as_json, report.to_dict(), human)


@screens.command("reindex")
@common_options
def screens_reindex(data_dir: Path | None, as_json: bool) -> None:
    """Embed the parts of screenshots kept by an older mirix-app (before schema
    v6), from their stored text, so search compares a question with each part of
    a screen and not only its whole. No OCR is run again; safe to interrupt and
    run again. Screenshots kept since are done already."""
    with (
        assistant(data_dir) as app,
        _progress("Embedding screens", enabled=not as_json) as progress,
    ):
        done = app.reindex_screens(progress=progress)
        emit(
            as_json,
            {"reindexed": done},
            lambda: click.echo(f"Screenshots given chunk embeddings: {done}."),
        )


@screens.command("search")
@click.argument("query", required=False)
@click.option(
    "--since",
    help="Only screenshots at or after this time: ISO-8601, today, yesterday, a "
    "weekday (the last one), or an age such as 2h, 3d, 1w.",
)
@click.option(
    "--until", help="Only screenshots at or before this time (same forms; a day means its end)."
)
@click.option("--app", help="Only screenshots of this application (part of its name).")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, MAX_LIMIT))
@click.option(
    "--queries",
    type=click.Path(dir_okay=False, path_type=Path),
    help='Run many queries from a JSONL file of {"id", "query", "limit", "at"} ("at": '
    "when the question is asked, ISO-8601; default now).",
)
@click.option(
    "--distinct",
    is_flag=True,
    help="One hit per group of frames of one window showing the same text (the best); "
    "JSON hits then list the others under 'alike'.",
)
@common_options
def screens_search(
    query: str | None,
    since: str | None,
    until: str | None,
    app: str | None,
    limit: int,
    queries: Path | None,
    distinct: bool,
    data_dir: Path | None,
    as_json: bool,
) -> None:
    """Search screenshots by their text (OCR, keyword and meaning fused). A period
    the query speaks of ("yesterday", "last week") is preferred, not required."""
    if (query is None) == (queries is None):
        fail("Give a QUERY or --queries FILE (not both).")
    jobs = _read_queries(queries) if queries is not None else [("1", query or "", None, None)]
    with assistant(data_dir) as mirix:
        for qid, text, own_limit, at in jobs:
            wanted = own_limit or limit
            # --distinct asks for more frames, so `wanted` groups remain after grouping.
            hits = mirix.screens_search(
                text,
                since=since,
                until=until,
                app=app,
                limit=wanted * 3 if distinct else wanted,
                asked_at=at,
            )
            groups = group_similar(hits)[:wanted] if distinct else [[h] for h in hits]
            if as_json:
                found = []
                for group in groups:
                    item = group[0].to_dict()
                    if distinct:
                        item["alike"] = [h.screenshot_id for h in group[1:]]
                    found.append(item)
                click.echo(json.dumps({"id": qid, "hits": found}, ensure_ascii=False))
            else:
                if queries is not None:
                    click.echo(f"== {qid}: {text}")
                _print_screen_hits(groups)


def _print_screen_hits(groups: list[list[ScreenHit]]) -> None:
    if not groups:
        click.echo("No matches.")
    best = max((group[0].score for group in groups), default=0.0)
    for n, (hit, *alike) in enumerate(groups, start=1):
        window = " — ".join(p for p in (hit.title, hit.app) if p)
        ext = f" [{hit.external_id}]" if hit.external_id else ""
        more = f"  (+{len(alike)} alike)" if alike else ""
        bar = score_bar(hit.score, best)
        click.echo(
            f"{n:>2}. {bar}  {hit.screenshot_id}{ext}  {hit.at[:19].replace('T', ' ')}  "
            f"{window}{more}"
        )
        click.echo(f"    {hit.snippet}")
        if hit.elsewhere is not None:
            where = f"(image on the device {hit.elsewhere}; its text is here)"
        else:
            where = hit.path or "(image deleted to stay within storage_budget_gb; text kept)"
        click.echo(f"    {where}")
