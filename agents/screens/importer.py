"""Backfilling screenshots from a manifest: one JSON object a line,
``{"path", "at", "app", "title", "external_id"}`` (all but ``path`` optional;
relative paths are relative to the manifest).

A bad line or an unreadable image is reported with its line number and
skipped; the rest are imported, each kept as soon as it is read (an
interrupted import keeps what it finished, and a re-run skips external ids
already stored).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents.errors import IngestError
from agents.screens.frame import Frame, FrameError, open_image
from agents.screens.pipeline import ScreenPipeline
from storage import InvalidInputError
from storage.inputs import json_lines, parse_json
from storage.kinds import format_time, parse_time

Progress = Callable[[int, int], None]
_KEYS = {"path", "at", "app", "title", "external_id", "monitor"}


@dataclass
class ScreenImportReport:
    imported: int = 0
    duplicates: int = 0
    """Near-duplicates of the frame before them (skipped unless --no-dedup)."""
    existing: int = 0
    """Lines whose external_id is already stored."""
    problems: list[tuple[int, str]] = field(default_factory=list)
    batches: int = 0
    seconds: float = 0.0
    ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "duplicates": self.duplicates,
            "existing": self.existing,
            "skipped_invalid": [{"line": n, "error": e} for n, e in self.problems],
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class ManifestLine:
    line: int
    path: Path
    at: str | None
    app: str
    title: str
    external_id: str | None
    monitor: int | None


def read_manifest(path: Path) -> tuple[list[ManifestLine], list[tuple[int, str]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise IngestError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path} is not UTF-8 text (byte {exc.start}).") from exc
    good: list[ManifestLine] = []
    problems: list[tuple[int, str]] = []
    for number, raw in json_lines(text):
        if not raw.strip():
            continue
        try:
            good.append(_manifest_line(number, raw, path.parent))
        except InvalidInputError as exc:
            problems.append((number, str(exc)))
    if not good and not problems:
        raise IngestError(f"{path} lists no screenshots.")
    return good, problems


def _manifest_line(number: int, raw: str, base: Path) -> ManifestLine:
    obj = parse_json(raw)
    if not isinstance(obj, dict):
        raise InvalidInputError("expected a JSON object.")
    unknown = sorted(set(obj) - _KEYS)
    if unknown:
        raise InvalidInputError(f"unknown key(s) {', '.join(unknown)}.")
    if not isinstance(obj.get("path"), str) or not obj["path"].strip():
        raise InvalidInputError("path is required (a non-empty string).")
    for key in ("at", "app", "title", "external_id"):
        if obj.get(key) is not None and not isinstance(obj[key], str):
            raise InvalidInputError(f"{key} must be a string.")
    monitor = obj.get("monitor")
    if monitor is not None and (not isinstance(monitor, int) or isinstance(monitor, bool)):
        raise InvalidInputError("monitor must be an integer.")
    at = parse_time(obj["at"], what="at") if obj.get("at") else None
    image = Path(obj["path"]).expanduser()
    return ManifestLine(
        line=number,
        path=image if image.is_absolute() else base / image,
        at=at,
        app=obj.get("app") or "unknown",
        title=obj.get("title") or "",
        external_id=obj.get("external_id") or None,
        monitor=monitor,
    )


def import_manifest(
    pipeline: ScreenPipeline,
    manifest: Path,
    *,
    dedup: bool = True,
    progress: Progress | None = None,
) -> ScreenImportReport:
    started = time.perf_counter()
    lines, problems = read_manifest(manifest)
    report = ScreenImportReport(problems=problems)
    seen: dict[str, int] = {}
    batches_before = pipeline.batches_queued
    for done, entry in enumerate(lines, start=1):
        try:
            if entry.external_id is not None:
                if entry.external_id in seen:
                    raise FrameError(
                        f"external_id {entry.external_id!r} repeats line {seen[entry.external_id]}."
                    )
                seen[entry.external_id] = entry.line
            result = pipeline.process(_frame(entry), dedup=dedup)
        except (FrameError, InvalidInputError) as exc:
            report.problems.append((entry.line, str(exc)))
        else:
            if result.outcome == "kept" and result.stored is not None:
                report.imported += 1
                report.ids.append(result.stored.id)
            elif result.outcome == "duplicate":
                report.duplicates += 1
            elif result.outcome == "exists":
                report.existing += 1
        if progress is not None:
            progress(done, len(lines))
    pipeline.flush_batches()
    report.batches = pipeline.batches_queued - batches_before
    report.problems.sort()
    report.seconds = time.perf_counter() - started
    return report


def _frame(entry: ManifestLine) -> Frame:
    image = open_image(entry.path)
    at = entry.at
    if at is None:  # no time given: when the file was last written
        try:
            at = format_time(datetime.fromtimestamp(entry.path.stat().st_mtime, UTC))
        except (OverflowError, OSError, ValueError):
            raise FrameError(f"{entry.path} has no usable modification time; give 'at'.") from None
    return Frame(
        image=image,
        at=at,
        monitor=entry.monitor,
        app=entry.app,
        title=entry.title,
        external_id=entry.external_id,
    )
