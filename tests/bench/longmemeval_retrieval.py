"""LongMemEval-S retrieval through the command line: each question's haystack
(about 50 user-assistant sessions, ~500 turns) is imported into its own data
folder with ``mirix-app import messages`` (external id = session id and turn
number), the question searched with ``mirix-app search --queries --json`` as asked on its
``question_date`` (a period it speaks of, "the past three months", counts back
from then).
k counts turns, as in the LoCoMo bench.

    python tests/bench/longmemeval_retrieval.py \
        --data ../shared/bench/longmemeval/longmemeval_s_dev60.json

Per question type and overall: the share of questions with an evidence turn
(``has_answer``) within the first 5 and the first 10 turns, the share of
evidence turns within 10, and the share of answer sessions with a turn within
10; plain BM25 over the same turns beside each, and import speed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat_bench import BM25, import_messages, search, source_ids

METRICS = ("@5", "@10", "turns@10", "sessions@10")


def haystack(item: dict) -> list[dict]:
    out = []
    seen: set[str] = set()
    for sid, date, turns in zip(
        item["haystack_session_ids"], item["haystack_dates"], item["haystack_sessions"], strict=True
    ):
        if sid in seen:  # a few haystacks hold a session twice: its turns once
            continue
        seen.add(sid)
        start = datetime.strptime(date[:10] + date[-6:], "%Y/%m/%d %H:%M")
        for i, turn in enumerate(turns):
            out.append(
                {
                    "external_id": f"{sid}:{i}",
                    "speaker": turn["role"],
                    "role": turn["role"],
                    "text": turn["content"],
                    "at": (start + timedelta(seconds=30 * i)).isoformat(),
                    "session": sid,
                    "evidence": bool(turn.get("has_answer")),
                }
            )
    return out


def asked_at(item: dict) -> str:
    """When the question is asked (its ``question_date``), as the turns' times are
    read: "the past three months" counts back from it."""
    date = item["question_date"]
    return datetime.strptime(date[:10] + date[-6:], "%Y/%m/%d %H:%M").isoformat()


def score(found: list[str], evidence: set[str], sessions: set[str]) -> dict[str, float]:
    top10 = set(found[:10])
    return {
        "@5": float(bool(evidence & set(found[:5]))),
        "@10": float(bool(evidence & top10)),
        "turns@10": len(evidence & top10) / len(evidence),
        "sessions@10": len({t.rsplit(":", 1)[0] for t in top10} & sessions) / len(sessions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--per-type", type=int, help="only the first N questions of each type")
    parser.add_argument("--keep", type=Path, help="keep the data folders here")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="search the data folders a run with --keep left, without importing again",
    )
    args = parser.parse_args()
    items = json.loads(args.data.read_text())
    if args.per_type:
        taken: dict[str, int] = defaultdict(int)
        kept = []
        for item in items:
            taken[item["question_type"]] += 1
            if taken[item["question_type"]] <= args.per_type:
                kept.append(item)
        items = kept
    root = args.keep or Path(tempfile.mkdtemp(prefix="longmemeval-"))
    ours: dict[str, list[dict[str, float]]] = defaultdict(list)
    plain: dict[str, list[dict[str, float]]] = defaultdict(list)
    imported = work_s = text_bytes = 0.0
    search_s = 0.0
    for n, item in enumerate(items, start=1):
        turns = haystack(item)
        evidence = {t["external_id"] for t in turns if t["evidence"]}
        if not evidence:
            continue
        sessions = set(item["answer_session_ids"])
        data_dir = root / item["question_id"]
        if not (args.reuse and (data_dir / "mirix.db").exists()):
            report = import_messages(turns, data_dir)
            imported += report.messages
            work_s += report.work_s
            text_bytes += sum(len(t["text"].encode()) for t in turns)
        started = time.perf_counter()
        (hits,) = search([item["question"]], data_dir, limit=30, at=[asked_at(item)])
        search_s += time.perf_counter() - started
        kind = item["question_type"]
        ours[kind].append(score(source_ids(hits, 10), evidence, sessions))
        ranked = BM25([t["text"] for t in turns]).rank(item["question"], 10)
        plain[kind].append(score([turns[i]["external_id"] for i in ranked], evidence, sessions))
        print(f"{n}/{len(items)} {kind}: {ours[kind][-1]}", file=sys.stderr)
    print(f"LongMemEval-S: {sum(map(len, ours.values()))} questions, k counts turns")
    header = "".join(f"{m:>13}" for m in METRICS)
    print(f"{'question type':28}{'n':>3}{header}   (mirix-app / plain BM25)")
    every: list[tuple[dict[str, float], dict[str, float]]] = []
    for kind in sorted(ours):
        pairs = list(zip(ours[kind], plain[kind], strict=True))
        every += pairs
        print(f"{kind:28}{len(pairs):>3}" + _row(pairs))
    print(f"{'overall':28}{len(every):>3}" + _row(every))
    if not imported:
        return
    print(
        f"\nImport: {imported:.0f} turns ({text_bytes / max(imported, 1):.0f} bytes on average), "
        f"{imported / work_s:.0f} turns/s (parse, embed, index, commit); "
        f"search {1000 * search_s / max(len(every), 1):.0f} ms a question wall incl. process start"
    )


def _row(pairs: list[tuple[dict[str, float], dict[str, float]]]) -> str:
    cells = []
    for m in METRICS:
        a = 100 * sum(p[0][m] for p in pairs) / len(pairs)
        b = 100 * sum(p[1][m] for p in pairs) / len(pairs)
        cells.append(f"{a:6.1f}/{b:5.1f}")
    return "".join(f"{c:>13}" for c in cells)


if __name__ == "__main__":
    main()
