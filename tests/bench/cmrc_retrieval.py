"""CMRC 2018 (Chinese Wikipedia reading comprehension) as a retrieval set,
through the command line: every paragraph is imported as a message with
``mirix-app import messages``, every question searched with ``mirix-app
search --queries --json``; a question is a hit@k when its paragraph is among
the first k distinct messages the hits come from.

    python tests/bench/cmrc_retrieval.py \
        --data ../shared/bench/cmrc2018/cmrc2018_dev.json [--sample 600]

Prints hit@1 and hit@5 (all 3,219 questions by default, or a seeded sample),
next to plain BM25 over character bigrams on the same paragraphs, and import
speed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat_bench import BM25, import_messages, pct, search, source_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--sample", type=int, help="questions to use (seeded sample)")
    parser.add_argument("--keep", type=Path, help="keep the data folder here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="search the data folder a run with --keep left, without importing again",
    )
    args = parser.parse_args()
    articles = json.loads(args.data.read_text())["data"]
    paragraphs: list[str] = []
    questions: list[tuple[str, int]] = []
    for article in articles:
        for paragraph in article["paragraphs"]:
            paragraphs.append(paragraph["context"])
            questions += [(q["question"], len(paragraphs) - 1) for q in paragraph["qas"]]
    if args.sample and args.sample < len(questions):
        questions = random.Random(2018).sample(questions, args.sample)
    messages = [
        {
            "external_id": f"p{i}",
            "speaker": "wiki",
            "role": "other",
            "text": text,
            "at": f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}",
            "session": f"p{i}",  # unrelated paragraphs: no neighbouring context
        }
        for i, text in enumerate(paragraphs)
    ]
    root = args.keep or Path(tempfile.mkdtemp(prefix="cmrc-"))
    data_dir = root / "data"
    reuse = args.reuse and (data_dir / "mirix.db").exists()
    imported = None if reuse else import_messages(messages, data_dir)
    started = time.perf_counter()
    results = search([q for q, _ in questions], data_dir, limit=10)
    search_s = time.perf_counter() - started
    bm25 = BM25(paragraphs)
    ours = [0, 0]
    plain = [0, 0]
    for (question, answer), hits in zip(questions, results, strict=True):
        found = source_ids(hits, 5)
        ours[0] += found[:1] == [f"p{answer}"]
        ours[1] += f"p{answer}" in found
        ranked = bm25.rank(question, 5)
        plain[0] += ranked[:1] == [answer]
        plain[1] += answer in ranked
    n = len(questions)
    print(f"CMRC 2018 dev: {len(paragraphs)} paragraphs, {n} questions")
    print(f"{'':28}{'hit@1':>7}{'hit@5':>7}")
    print(f"{'mirix-app search':28}{pct(ours[0], n):>7}{pct(ours[1], n):>7}")
    print(f"{'plain BM25, bigrams':28}{pct(plain[0], n):>7}{pct(plain[1], n):>7}")
    print(f"\nSearch {1000 * search_s / n:.0f} ms a question wall")
    if imported is None:
        return
    print(
        f"Import: {imported.messages} paragraphs, {imported.messages / imported.work_s:.0f}/s "
        f"(model load {imported.model_s:.1f} s; {imported.wall_s:.1f} s wall)"
    )


if __name__ == "__main__":
    main()
