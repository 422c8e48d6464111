"""The Chinese personal-chat set (tests/bench/zh_chat_data.py) through the
command line: the conversation is imported with ``mirix-app import
messages`` and each question searched with ``mirix-app search --queries
--json``. A question is a hit@k when a message that answers it is among the
first k distinct messages the hits come from.

    python tests/bench/zh_chat_retrieval.py

Prints hit@1 and hit@5 over all questions and over those sharing no
character bigram with their answers, next to plain BM25 over bigrams.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import zh_chat_data
from chat_bench import BM25, import_messages, pct, search, source_ids, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=Path, help="keep the data folder here")
    parser.add_argument("--misses", action="store_true", help="list the questions missed at 5")
    args = parser.parse_args()
    messages = zh_chat_data.messages()
    by_key = {m["key"]: m for m in messages if m["key"]}
    root = args.keep or Path(tempfile.mkdtemp(prefix="zh-chat-"))
    imported = import_messages(messages, root / "data")
    questions = zh_chat_data.QUESTIONS
    results = search([q for q, _ in questions], root / "data", limit=10)
    bm25 = BM25([m["text"] for m in messages])
    rows = {"all": [0, 0, 0, 0, 0], "no shared bigram": [0, 0, 0, 0, 0]}
    for (question, keys), hits in zip(questions, results, strict=True):
        answers = {by_key[k]["external_id"] for k in keys}
        shared = set(tokens(question)) & {t for k in keys for t in tokens(by_key[k]["text"])}
        found = source_ids(hits, 5)
        ranked = [messages[i]["external_id"] for i in bm25.rank(question, 5)]
        marks = (
            1,
            bool(found[:1]) and found[0] in answers,
            bool(answers & set(found)),
            bool(ranked[:1]) and ranked[0] in answers,
            bool(answers & set(ranked)),
        )
        for name in ("all", "no shared bigram") if not shared else ("all",):
            rows[name] = [a + b for a, b in zip(rows[name], marks, strict=True)]
        if args.misses and not marks[2]:
            print(f"missed: {question} -> {[h['text'][:30] for h in hits[:3]]}")
    print(f"Chinese personal chat: {len(messages)} messages, {len(questions)} questions")
    print(f"{'questions':20}{'n':>4}{'hit@1':>8}{'hit@5':>8}{'BM25 @1':>9}{'BM25 @5':>9}")
    for name, (n, h1, h5, b1, b5) in rows.items():
        print(f"{name:20}{n:>4}{pct(h1, n):>8}{pct(h5, n):>8}{pct(b1, n):>9}{pct(b5, n):>9}")
    print(
        f"\nImport: {imported.messages} messages, {imported.messages / imported.work_s:.0f}/s "
        f"(model load {imported.model_s:.1f} s)"
    )


if __name__ == "__main__":
    main()
