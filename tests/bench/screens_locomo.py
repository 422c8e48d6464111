"""Screenshot search at scale: the three LoCoMo dev conversations rendered as
screenshots of a chat app, imported with their session times through
``mirix-app screens import``, searched with their questions through
``mirix-app screens search --queries --json``.

Each screenshot shows up to TURNS_PER_SCREEN consecutive turns of one session
(a chat window scrolled page by page), with the session's date in the header.
A question's evidence turns count as covered when a returned screenshot shows
them; the script prints evidence recall over the top 5 and top 10 screenshots
per category (1-4), plus import and OCR throughput.

    python tests/bench/screens_locomo.py --data ../shared/bench/locomo/locomo_dev.json
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import textwrap
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from screens_websrc import mirix as run_cli  # the script's folder is on sys.path

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
TURNS_PER_SCREEN = 8
WIDTH, LINE, FONT = 1100, 26, 20
KS = (5, 10)


def session_time(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y")


def render(title: str, date: str, turns: list[dict], me: str) -> Image.Image:
    font = ImageFont.load_default(size=FONT)
    rows: list[tuple[str, bool]] = []
    for turn in turns:
        text = turn["text"]
        if turn.get("blip_caption"):
            text += f" [photo: {turn['blip_caption']}]"
        mine = turn["speaker"] == me
        wrapped = textwrap.wrap(f"{turn['speaker']}: {text}", width=70) or [""]
        rows.extend((line, mine) for line in wrapped)
        rows.append(("", mine))
    height = 90 + LINE * len(rows)
    image = Image.new("RGB", (WIDTH, height), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 60), fill=(40, 90, 160))
    draw.text((20, 16), f"{title}   {date}", fill=(255, 255, 255), font=font)
    for n, (line, mine) in enumerate(rows):
        x = 300 if mine else 20
        draw.text((x, 80 + LINE * n), line, fill=(20, 20, 20), font=font)
    return image


def build(sample: dict, folder: Path) -> tuple[list[dict], dict[str, set[str]]]:
    conv = sample["conversation"]
    a, b = conv["speaker_a"], conv["speaker_b"]
    entries, shows = [], {}
    n = 1
    while f"session_{n}" in conv:
        start = session_time(conv[f"session_{n}_date_time"])
        turns = conv[f"session_{n}"]
        for first in range(0, len(turns), TURNS_PER_SCREEN):
            page = turns[first : first + TURNS_PER_SCREEN]
            ext = f"{sample['sample_id']}-s{n}-{first}"
            path = folder / f"{ext}.png"
            render(f"Chat with {b}", start.strftime("%d %B %Y"), page, a).save(path)
            at = start + timedelta(seconds=30 * (first + len(page) - 1))
            entries.append(
                {
                    "path": path.name,
                    "at": at.isoformat(),
                    "app": "Messenger",
                    "title": f"Chat with {b}",
                    "external_id": ext,
                }
            )
            shows[ext] = {t["dia_id"] for t in page}
        n += 1
    return entries, shows


def evidence(raw: list[str]) -> set[str]:
    out = set()
    for item in raw:
        for part in str(item).split(";"):
            m = re.search(r"D:?(\d+):(\d+)", part.replace(" ", ""))
            if m:
                out.add(f"D{m.group(1)}:{m.group(2)}")
    return out


def mirix(data_dir: Path, *args: str) -> str:
    # Three conversations run at once: one OCR/BLAS thread each.
    return run_cli(data_dir, *args, OMP_NUM_THREADS="1")


def run_one(sample: dict, root: Path) -> tuple[dict, list[tuple[int, float, float]]]:
    folder = root / sample["sample_id"]
    folder.mkdir()
    entries, shows = build(sample, folder)
    manifest = folder / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    qas = [q for q in sample["qa"] if q.get("category") in CATEGORIES and evidence(q["evidence"])]
    queries = folder / "queries.jsonl"
    queries.write_text(
        "".join(
            json.dumps({"id": str(i), "query": q["question"], "limit": max(KS)}) + "\n"
            for i, q in enumerate(qas)
        ),
        encoding="utf-8",
    )
    data = folder / "data"
    started = time.perf_counter()
    report = json.loads(mirix(data, "screens", "import", str(manifest), "--no-dedup", "--json"))
    report["wall_s"] = time.perf_counter() - started
    report["screens"] = len(entries)
    answers = {}
    for line in mirix(data, "screens", "search", "--queries", str(queries), "--json").splitlines():
        obj = json.loads(line)
        answers[obj["id"]] = [h["external_id"] for h in obj["hits"]]
    scores = []
    for i, q in enumerate(qas):
        wanted = evidence(q["evidence"])
        row = []
        for k in KS:
            covered = set().union(*(shows.get(e, set()) for e in answers[str(i)][:k]))
            row.append(len(wanted & covered) / len(wanted))
        scores.append((q["category"], *row))
    return report, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/bench/locomo/locomo_dev.json"))
    args = parser.parse_args()
    samples = json.loads(args.data.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(len(samples)) as pool:
        results = list(pool.map(lambda s: run_one(s, Path(tmp)), samples))
    by_cat: dict[int, list[tuple[float, float]]] = defaultdict(list)
    screens = seconds = 0.0
    for report, scores in results:
        screens += report["screens"]
        seconds += report["seconds"]
        for cat, *row in scores:
            by_cat[cat].append(tuple(row))
    print(
        f"screenshots: {int(screens)} rendered and imported; "
        f"{seconds / screens:.2f} s per screenshot (OCR + embeddings + files, "
        f"{len(samples)} imports in parallel)"
    )
    print("evidence recall | " + " | ".join(f"top {k}" for k in KS) + " | questions")
    everything = [row for rows in by_cat.values() for row in rows]
    for cat, name in CATEGORIES.items():
        rows = by_cat.get(cat, [])
        if rows:
            cells = " | ".join(
                f"{100 * sum(r[j] for r in rows) / len(rows):.1f}" for j in range(len(KS))
            )
            print(f"{cat} {name} | {cells} | {len(rows)}")
    cells = " | ".join(
        f"{100 * sum(r[j] for r in everything) / len(everything):.1f}" for j in range(len(KS))
    )
    print(f"1-4 | {cells} | {len(everything)}")


if __name__ == "__main__":
    main()
