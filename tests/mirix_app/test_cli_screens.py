"""The screens commands through the CLI: import with bad lines and dedup, search
with filters, the batch form and its JSON shape."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from tests.mirix_app.clirun import fails, ok, ok_json, run
from tests.screens_data import save_screen, write_manifest


def test_import_reports_bad_lines_and_search_finds_the_rest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_screen(tmp_path / "a.png", ["Dentist appointment Friday"])
    save_screen(tmp_path / "b.png", ["Dentist appointment Friday"])
    save_screen(tmp_path / "c.png", ["Weekly grocery list", "eggs milk bread"], shade=220)
    (tmp_path / "bad.png").write_text("not an image")
    manifest = write_manifest(
        tmp_path / "m.jsonl",
        [
            {"path": "a.png", "at": "2024-04-01T10:00:00Z", "app": "calendar", "external_id": "a"},
            {"path": "b.png", "at": "2024-04-01T10:00:02Z", "app": "calendar", "external_id": "b"},
            "[1, 2]",
            {"path": "bad.png"},
            {"path": "c.png", "at": "2024-04-02T10:00:00Z", "app": "notes", "external_id": "c"},
        ],
    )
    result = ok(data, "screens", "import", str(manifest))
    assert "Imported 2 screenshot(s); 1 near-duplicate(s)" in result.stdout
    assert "Skipped line 3: expected a JSON object." in result.stderr
    assert "Skipped line 4:" in result.stderr and "not an image" in result.stderr

    out = ok_json(data, "screens", "search", "dentist appointment")
    assert set(out) == {"id", "hits"}
    top = out["hits"][0]
    assert set(top) == {
        "screenshot_id",
        "external_id",
        "at",
        "app",
        "title",
        "score",
        "snippet",
        "path",
        "elsewhere",
    }
    assert (top["external_id"], top["app"], top["elsewhere"]) == ("a", "calendar", None)
    assert Path(top["path"]).exists()
    only_notes = ok_json(data, "screens", "search", "dentist grocery", "--app", "notes")
    assert [h["external_id"] for h in only_notes["hits"]] == ["c"]
    later = ok_json(data, "screens", "search", "dentist grocery", "--since", "2024-04-02")
    assert [h["external_id"] for h in later["hits"]] == ["c"]

    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"id": "q1", "query": "grocery list", "limit": 1})
        + "\n"
        + json.dumps({"id": "q2", "query": "dentist"})
        + "\n",
        encoding="utf-8",
    )
    lines = ok(data, "screens", "search", "--queries", str(queries), "--json").stdout.splitlines()
    answers = [json.loads(line) for line in lines]
    assert [a["id"] for a in answers] == ["q1", "q2"]
    assert [h["external_id"] for h in answers[0]["hits"]] == ["c"]
    assert "Screenshot images:" in ok(data, "stats").stdout
    human = ok(data, "screens", "search", "grocery list").stdout
    assert "c.png" not in human and "notes" in human and "eggs milk bread" in human


def test_no_dedup_keeps_repeated_frames(tmp_path: Path) -> None:
    for name in ("a", "b"):
        save_screen(tmp_path / f"{name}.png", ["Same screen"])
    manifest = write_manifest(tmp_path / "m.jsonl", [{"path": "a.png"}, {"path": "b.png"}])
    report = ok_json(tmp_path / "data", "screens", "import", str(manifest), "--no-dedup")
    assert (report["imported"], report["duplicates"]) == (2, 0)


@pytest.mark.sqlite_only  # makes the rows an older SQLite schema left
def test_reindex_embeds_the_parts_of_screenshots_an_older_version_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("a", "b"):
        save_screen(tmp_path / f"{name}.png", [f"Screen {name}", "Quarterly numbers"])
    manifest = write_manifest(tmp_path / "m.jsonl", [{"path": "a.png"}, {"path": "b.png"}])
    ok(data, "screens", "import", str(manifest), "--no-dedup")
    assert ok_json(data, "screens", "reindex") == {"reindexed": 0}  # new frames have them
    with sqlite3.connect(data / "mirix.db") as conn:
        conn.execute("UPDATE screenshots SET chunk_embeddings = NULL")
    assert ok(data, "screens", "reindex").stdout == "Screenshots given chunk embeddings: 2.\n"
    with sqlite3.connect(data / "mirix.db") as conn:
        missing = conn.execute(
            "SELECT count(*) FROM screenshots WHERE chunk_embeddings IS NULL"
        ).fetchone()[0]
    assert missing == 0


def test_distinct_gives_one_hit_per_window_showing_the_same_text(tmp_path: Path) -> None:
    data = tmp_path / "data"
    save_screen(tmp_path / "a.png", ["Quarterly numbers", "Revenue up 12 percent"])
    save_screen(tmp_path / "b.png", ["Quarterly numbers", "Revenue up 12 percent"])
    save_screen(tmp_path / "c.png", ["Quarterly numbers draft", "ask Priya"], shade=220)
    window = {"app": "sheets", "title": "Q3"}
    manifest = write_manifest(
        tmp_path / "m.jsonl",
        [
            {"path": "a.png", "external_id": "a", **window},
            {"path": "b.png", "external_id": "b", **window},
            {"path": "c.png", "external_id": "c", "app": "mail", "title": "Inbox"},
        ],
    )
    ok(data, "screens", "import", str(manifest), "--no-dedup")
    every = ok_json(data, "screens", "search", "quarterly numbers")["hits"]
    assert sorted(h["external_id"] for h in every) == ["a", "b", "c"]
    assert all("alike" not in h for h in every)  # the contract's shape, unchanged
    grouped = ok_json(data, "screens", "search", "quarterly numbers", "--distinct")["hits"]
    assert len(grouped) == 2
    (twice,) = [h for h in grouped if h["external_id"] in ("a", "b")]
    other = {h["screenshot_id"] for h in every if h["external_id"] in ("a", "b")}
    assert twice["alike"] == list(other - {twice["screenshot_id"]})
    assert "(+1 alike)" in ok(data, "screens", "search", "quarterly", "--distinct").stdout


def test_clear_errors(tmp_path: Path) -> None:
    data = tmp_path / "data"
    fails(run(data, "screens", "import", str(tmp_path / "missing.jsonl")), "cannot read")
    fails(run(data, "screens", "search"), "QUERY or --queries")
    fails(run(data, "screens", "search", "x", "--since", "soon"), "ISO-8601")
    fails(run(data, "screens", "search", "   "), "empty")


def test_an_image_too_thin_for_ocr_is_reported_and_skipped_on_every_run(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Image.new("RGB", (100_000, 1), "white").save(tmp_path / "thin.png")
    save_screen(tmp_path / "ok.png", ["Invoice number 4711"])
    manifest = write_manifest(
        tmp_path / "m.jsonl",
        [{"path": "thin.png", "external_id": "thin"}, {"path": "ok.png", "external_id": "ok"}],
    )
    for run_number in (1, 2):
        report = ok_json(data, "screens", "import", str(manifest))
        assert (report["imported"], report["existing"]) == ((1, 0) if run_number == 1 else (0, 1))
        [problem] = report["skipped_invalid"]
        assert problem["line"] == 1 and "100000x1 pixels: too thin" in problem["error"]
    assert ok_json(data, "screens", "search", "invoice")["hits"][0]["external_id"] == "ok"


CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian: fonts-wqy-microhei


def _chinese_screen(path: Path, lines: list[str]) -> Path:
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (900, 60 + 50 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(CJK_FONT), 30)
    for n, line in enumerate(lines):
        draw.text((30, 30 + 50 * n), line, fill=(20, 20, 20), font=font)
    image.save(path)
    return path


@pytest.mark.skipif(not CJK_FONT.exists(), reason="needs a Chinese font: fonts-wqy-microhei")
def test_a_chinese_screenshot_is_found_by_a_chinese_question(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _chinese_screen(
        tmp_path / "chat.png",
        ["小雨", "周六下午三点在西湖边的咖啡馆见面吧", "好的，我带上那本书"],
    )
    _chinese_screen(
        tmp_path / "weather.png", ["天气预报", "明天杭州小雨转晴", "气温十八到二十五度"]
    )
    save_screen(tmp_path / "en.png", ["Quarterly budget review", "Finance team meeting"])
    manifest = write_manifest(
        tmp_path / "m.jsonl",
        [
            {"path": "chat.png", "app": "WeChat", "title": "小雨", "external_id": "chat"},
            {"path": "weather.png", "app": "Browser", "title": "天气", "external_id": "weather"},
            {"path": "en.png", "app": "Mail", "external_id": "en"},
        ],
    )
    ok(data, "screens", "import", str(manifest))
    # a word inside an unspaced line
    out = ok_json(data, "screens", "search", "咖啡馆")
    assert out["hits"][0]["external_id"] == "chat"
    assert "咖啡馆" in out["hits"][0]["snippet"]
    # a question worded otherwise ("小雨" is also "light rain" on the weather page)
    out = ok_json(data, "screens", "search", "我和小雨约在哪里碰头？")
    assert out["hits"][0]["external_id"] == "chat"
    out = ok_json(data, "screens", "search", "明天会下雨吗")
    assert out["hits"][0]["external_id"] == "weather"
