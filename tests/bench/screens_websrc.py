"""Screenshot search on real web pages (WebSRC sample), through the CLI contract.

The 18 screenshots under ``DATA/<domain>/<nn>/*.png`` are listed in a manifest
(external id = the domain's two letters + the file stem, as the question ids
name them) and imported with ``mirix-app screens import``; the 30 questions of
the ``dataset.csv`` files are run with ``mirix-app screens search --queries
FILE --json``.

    python tests/bench/screens_websrc.py --data ../shared/bench/websrc

Prints hit@1 and hit@5 (the screenshot named by the first nine characters of
the question id) and OCR answer recall (answers found, ignoring case and
punctuation, in the stored OCR text of their screenshot).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def mirix(data_dir: Path, *args: str, **env_extra: str) -> str:
    """Run ``mirix-app ARGS --data-dir DATA_DIR`` as a user would; its stdout."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **env_extra)
    done = subprocess.run(
        [sys.executable, "-m", "mirix_app", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"mirix-app {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.casefold()).split())


def load(data: Path) -> tuple[list[dict], list[dict]]:
    images = [
        {"path": str(p), "external_id": p.parent.parent.name[:2] + p.stem, "app": "browser"}
        for p in sorted(data.glob("*/*/*.png"))
    ]
    questions = []
    for csv_path in sorted(data.glob("*/*/dataset.csv")):
        with csv_path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                questions.append(
                    {"id": row["id"], "query": row["question"], "answer": row["answer"]}
                )
    return images, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/bench/websrc"))
    parser.add_argument("--show", action="store_true", help="Print each question's top hits.")
    args = parser.parse_args()
    images, questions = load(args.data.resolve())  # the manifest lives elsewhere: absolute paths
    if not images or not questions:
        sys.exit(f"No screenshots or questions under {args.data}.")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        manifest = root / "manifest.jsonl"
        manifest.write_text("".join(json.dumps(i) + "\n" for i in images), encoding="utf-8")
        queries = root / "queries.jsonl"
        queries.write_text(
            "".join(
                json.dumps({"id": q["id"], "query": q["query"], "limit": 5}) + "\n"
                for q in questions
            ),
            encoding="utf-8",
        )
        data_dir = root / "data"
        started = time.perf_counter()
        report = json.loads(mirix(data_dir, "screens", "import", str(manifest), "--json"))
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        answers = [
            json.loads(line)
            for line in mirix(
                data_dir, "screens", "search", "--queries", str(queries), "--json"
            ).splitlines()
        ]
        search_s = time.perf_counter() - started
        with sqlite3.connect(data_dir / "mirix.db") as conn:
            texts = dict(conn.execute("SELECT external_id, ocr_text FROM screenshots"))
    by_id = {a["id"]: a for a in answers}
    hit1 = hit5 = found = 0
    for q in questions:
        target = q["id"][:9]
        ranked = [h["external_id"] for h in by_id[q["id"]]["hits"]]
        hit1 += ranked[:1] == [target]
        hit5 += target in ranked[:5]
        found += normalise(q["answer"]) in normalise(texts.get(target, ""))
        if args.show:
            mark = "1" if ranked[:1] == [target] else ("5" if target in ranked[:5] else "-")
            print(f"[{mark}] {q['id'][:9]} {q['query'][:60]!r} -> {ranked}")
    n = len(questions)
    print(
        f"screenshots imported: {report['imported']} of {len(images)} "
        f"({report['duplicates']} near-duplicates) in {import_s:.1f} s"
    )
    print(f"questions: {n}, search wall time {search_s:.1f} s (one process, model load included)")
    print(
        f"hit@1 {100 * hit1 / n:.1f}  hit@5 {100 * hit5 / n:.1f}  "
        f"OCR answer recall {100 * found / n:.1f}"
    )


if __name__ == "__main__":
    main()
