"""The screen pipeline end to end on real files: Pillow-made screens, real
rapidocr, real SQLite; the text embedder is the hashed bag of words from
tests/fakes.py (nothing of the project is replaced)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from PIL import Image

from agents import Assistant
from agents.screens import Frame, FrameError, PipelineConfig, ScreenPipeline
from agents.screens.ocr import RapidOcr, lines_text
from agents.screens.service import ScreenService
from tests.screens_data import save_screen, screen, write_manifest


@pytest.fixture(scope="module")
def ocr() -> RapidOcr:
    engine = RapidOcr()
    engine.load()
    return engine


def service(assistant: Assistant, ocr: RapidOcr, **config: object) -> ScreenService:
    assistant.screen_service = ScreenService(
        assistant.storage, assistant.embedder, assistant.settings, ocr=ocr
    )
    if config:
        pipeline = assistant.screen_service.pipeline()
        pipeline.config = PipelineConfig(**{**pipeline.config.__dict__, **config})  # type: ignore[arg-type]
    return assistant.screen_service


def test_ocr_reads_the_text_of_a_rendered_screen(ocr: RapidOcr) -> None:
    text = lines_text(ocr.read(screen(["Quarterly budget review", "Invoice 4471 approved"])))
    assert "Quarterly budget review" in text
    assert "Invoice 4471 approved" in text


def test_import_keeps_user_only_webp_files_and_finds_the_text(
    assistant: Assistant, ocr: RapidOcr, tmp_path: Path
) -> None:
    service(assistant, ocr)
    save_screen(tmp_path / "a.png", ["Flight to Lisbon", "Gate 22 boarding"])
    save_screen(tmp_path / "b.png", ["Pasta recipe", "Boil the water first"])
    manifest = write_manifest(
        tmp_path / "m.jsonl",
        [
            {"path": "a.png", "at": "2024-05-01T09:00:00Z", "app": "firefox", "external_id": "a"},
            {"path": "b.png", "at": "2024-05-01T10:00:00Z", "app": "gedit", "title": "notes"},
        ],
    )
    report = assistant.import_screens(manifest)
    assert (report.imported, report.problems) == (2, [])

    hits = assistant.screens_search("boarding gate")
    assert hits[0].external_id == "a"
    assert "Gate 22" in hits[0].snippet
    assert (hits[0].app, hits[0].at) == ("firefox", "2024-05-01T09:00:00.000000Z")
    for path in (hits[0].path, hits[0].thumb_path):
        assert path is not None
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with Image.open(path) as img:
            assert img.format == "WEBP"
    with Image.open(hits[0].thumb_path or "") as thumb:
        assert thumb.width <= 320
    assert stat.S_IMODE(os.stat(assistant.storage.data_dir / "frames").st_mode) == 0o700
    # Re-importing the same manifest adds nothing.
    again = assistant.import_screens(manifest)
    assert (again.imported, again.existing) == (0, 1)  # b has no external_id: a dedup


def test_bad_lines_and_bad_images_are_reported_and_the_rest_imported(
    assistant: Assistant, ocr: RapidOcr, tmp_path: Path
) -> None:
    service(assistant, ocr)
    save_screen(tmp_path / "good.png", ["Meeting notes for Tuesday"])
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not an image")
    data = (tmp_path / "good.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    Image.new("1", (8000, 8000)).save(tmp_path / "huge.png")
    manifest = write_manifest(
        tmp_path / "m.jsonl",
        [
            "{not json",
            {"at": "2024-01-01"},
            {"path": "good.png", "at": "yesterday"},
            {"path": "empty.png"},
            {"path": "notes.txt"},
            {"path": "cut.png"},
            {"path": "huge.png"},
            {"path": "missing.png"},
            {"path": "good.png", "at": "2024-01-02T08:00:00"},
        ],
    )
    report = assistant.import_screens(manifest)
    assert report.imported == 1
    problems = dict(report.problems)
    assert sorted(problems) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "JSON" in problems[1]
    assert "path is required" in problems[2]
    assert "ISO-8601" in problems[3]
    assert "empty file" in problems[4]
    assert "not an image" in problems[5]
    assert "damaged or truncated" in problems[6]
    assert "8000x8000" in problems[7]
    assert "does not exist" in problems[8]


def test_near_duplicates_are_skipped_unless_dedup_is_off(
    assistant: Assistant, ocr: RapidOcr, tmp_path: Path
) -> None:
    service(assistant, ocr)
    for name in ("one", "two"):
        save_screen(tmp_path / f"{name}.png", ["The same screen twice"])
    manifest = write_manifest(tmp_path / "m.jsonl", [{"path": "one.png"}, {"path": "two.png"}])
    first = assistant.import_screens(manifest)
    assert (first.imported, first.duplicates) == (1, 1)
    second = assistant.import_screens(manifest, dedup=False)
    assert (second.imported, second.duplicates) == (2, 0)


def test_over_the_budget_the_oldest_images_go_and_their_rows_stay(
    assistant: Assistant, ocr: RapidOcr, tmp_path: Path
) -> None:
    entries = []
    for n, words in enumerate(["Alpha report draft", "Beta invoice total", "Gamma trip plan"]):
        save_screen(tmp_path / f"{n}.png", [words], shade=200 + 20 * n)
        entries.append(
            {"path": f"{n}.png", "at": f"2024-02-0{n + 1}T12:00:00Z", "external_id": str(n)}
        )
    service(assistant, ocr)
    assistant.import_screens(write_manifest(tmp_path / "m.jsonl", entries))
    used = assistant.stats()["screenshots"]["image_bytes"]
    assert used > 0
    # A budget a little under what the three use: only the oldest must go.
    service(assistant, ocr, budget_bytes=used - 1)
    pipeline = assistant.screens.pipeline()
    assert pipeline.files.enforce_budget(used - 1) == 1

    oldest = assistant.screens_search("Alpha report draft")[0]
    assert oldest.external_id == "0"
    assert oldest.path is None and oldest.thumb_path is None
    assert "Alpha report draft" in oldest.snippet  # the text stays searchable
    newest = assistant.screens_search("Gamma trip plan")[0]
    assert newest.path is not None and Path(newest.path).exists()
    stats = assistant.stats()["screenshots"]
    assert stats["images_deleted_for_budget"] == 1
    assert stats["image_bytes"] <= used - 1
    assert stats["budget_bytes"] == int(assistant.settings.number("storage_budget_gb") * 1024**3)
    assert assistant.stats()["counts"]["screenshot"]["live"] == 3


def test_search_filters_by_time_and_app(
    assistant: Assistant, ocr: RapidOcr, tmp_path: Path
) -> None:
    service(assistant, ocr)
    entries = [
        {"path": "a.png", "at": "2024-03-01T09:00:00Z", "app": "Firefox", "external_id": "a"},
        {"path": "b.png", "at": "2024-03-05T09:00:00Z", "app": "Slack", "external_id": "b"},
        {"path": "c.png", "at": "2024-03-09T09:00:00Z", "app": "Firefox", "external_id": "c"},
    ]
    for entry, extra in zip(entries, ("first", "second", "third"), strict=True):
        save_screen(tmp_path / str(entry["path"]), ["Project Falcon status", f"the {extra} update"])
    assistant.import_screens(write_manifest(tmp_path / "m.jsonl", entries), dedup=False)

    def found(**filters: str) -> list[str | None]:
        return sorted(h.external_id for h in assistant.screens_search("Falcon status", **filters))

    assert found() == ["a", "b", "c"]
    assert found(app="firefox") == ["a", "c"]
    assert found(since="2024-03-04") == ["b", "c"]
    assert found(until="2024-03-06", app="slack") == ["b"]
    assert found(since="2024-03-02", until="2024-03-04") == []
    assert assistant.screen_activity(None, None) == [
        ("2024-03-01T09", "Firefox", 1),
        ("2024-03-05T09", "Slack", 1),
        ("2024-03-09T09", "Firefox", 1),
    ]


def test_bad_frames_raise_clear_errors(assistant: Assistant, ocr: RapidOcr) -> None:
    pipeline = service(assistant, ocr).pipeline()
    with pytest.raises(FrameError, match="empty"):
        pipeline.process(Frame(Image.new("RGB", (0, 0)), "2024-01-01T00:00:00Z", 1, "x", ""))
    with pytest.raises(FrameError, match="megapixel"):
        pipeline.process(Frame(Image.new("1", (8000, 8000)), "2024-01-01T00:00:00Z", 1, "x", ""))


def test_capture_never_waits_for_ocr_and_keeps_the_newest_frames(
    assistant: Assistant, ocr: RapidOcr
) -> None:
    pipeline = ScreenPipeline(
        assistant.storage, assistant.embedder, config=PipelineConfig(queue_size=1), ocr=ocr
    )
    words = ["apple", "banana", "cherry", "damson", "elderberry"]
    outcomes = [
        pipeline.submit(
            Frame(
                screen([f"Fruit {w}"], shade=150 + 20 * n), f"2024-01-01T00:00:0{n}Z", 1, "app", ""
            )
        )
        for n, w in enumerate(words)
    ]
    assert outcomes == ["queued"] * 5
    pipeline.close()
    kept = assistant.storage.screenshots.list(limit=10)
    assert pipeline.skipped >= 3  # OCR of one frame outlasts four submissions
    assert len(kept) + pipeline.skipped == 5
    assert any("elderberry" in str(r.fields["ocr_text"]) for r in kept)  # the newest is kept
