"""LoCoMo evidence recall through the CLI contract.

Each conversation is written as a messages JSONL file (turns keep their dia_id
as external_id), imported into its own fresh data dir with
``mirix-app import messages``, and every question is run with
``mirix-app search --queries FILE --json``. Hits map back to turns through
their sources. k counts turns: a hit with several source turns uses that many
of the k, in the order listed, so a memory spanning many turns cannot inflate
recall.

    python tests/bench/locomo_retrieval.py --data ../shared/bench/locomo/locomo_dev.json

Prints evidence recall at 5, 10 and 20 per category and for 1-4 together,
which memory type supplied the hits, and import throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
KS = (5, 10, 20)
SEARCH_LIMIT = 60


def session_time(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y")


def conversation_messages(sample: dict) -> list[dict]:
    conv = sample["conversation"]
    out = []
    n = 1
    while f"session_{n}" in conv:
        start = session_time(conv[f"session_{n}_date_time"])
        for i, turn in enumerate(conv[f"session_{n}"]):
            text = turn["text"]
            if turn.get("blip_caption"):
                text = f"{text} [shared a photo: {turn['blip_caption']}]"
            out.append(
                {
                    "external_id": turn["dia_id"],
                    "speaker": turn["speaker"],
                    "role": "other",
                    "text": text,
                    "at": (start + timedelta(seconds=30 * i)).isoformat(),
                    "session": f"session_{n}",
                }
            )
        n += 1
    return out


def evidence_ids(raw: list[str]) -> list[str]:
    out = []
    for item in raw:
        for part in str(item).split(";"):
            part = part.strip()
            m = re.match(r"D:?(\d+):(\d+)", part)
            if m:
                out.append(f"D{int(m.group(1))}:{int(m.group(2))}")
    return list(dict.fromkeys(out))


def taken_turns(hits: list[dict], k: int) -> tuple[list[str], list[str]]:
    """The first k distinct source turns, and the hit type that supplied each."""
    turns: list[str] = []
    via: list[str] = []
    for hit in hits:
        for source in hit["sources"]:
            ext = source.get("external_id")
            if ext is None or ext in turns:
                continue
            if len(turns) == k:
                return turns, via
            turns.append(ext)
            via.append(hit["type"])
    return turns, via


def run_cli(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "mirix_app", *args, "--data-dir", str(data_dir), "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed: {proc.stderr.strip()}")
    return proc


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--keep", type=Path, help="Keep the data dirs under this folder.")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="search the data dirs a run with --keep left, without importing again",
    )
    args = parser.parse_args()
    samples = json.loads(args.data.read_text())
    recalls: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    sources_used: Counter[str] = Counter()
    imported = 0
    import_work_s = 0.0
    import_wall_s = 0.0
    import_cpu_s = 0.0
    model_s = 0.0
    query_wall_s = 0.0
    questions = 0
    root = args.keep or Path(tempfile.mkdtemp(prefix="locomo-"))
    for sample in samples:
        name = sample.get("sample_id", f"conv{len(recalls)}")
        data_dir = root / name
        work = root / f"{name}-input"
        work.mkdir(parents=True, exist_ok=True)
        messages = conversation_messages(sample)
        (work / "messages.jsonl").write_text(
            "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages)
        )
        if not (args.reuse and (data_dir / "mirix.db").exists()):
            started = time.perf_counter()
            cpu_before = _children_cpu()
            report = json.loads(
                run_cli(["import", "messages", str(work / "messages.jsonl")], data_dir).stdout
            )
            import_wall_s += time.perf_counter() - started
            import_cpu_s += _children_cpu() - cpu_before
            import_work_s += report["seconds"]
            model_s += report["model_seconds"]
            imported += report["imported"]
        qa = [q for q in sample["qa"] if q.get("category") in CATEGORIES]
        (work / "queries.jsonl").write_text(
            "".join(
                json.dumps({"id": str(i), "query": q["question"], "limit": SEARCH_LIMIT}) + "\n"
                for i, q in enumerate(qa)
            )
        )
        started = time.perf_counter()
        out = run_cli(["search", "--queries", str(work / "queries.jsonl")], data_dir).stdout
        query_wall_s += time.perf_counter() - started
        questions += len(qa)
        results = {r["id"]: r["hits"] for r in map(json.loads, out.splitlines())}
        for i, q in enumerate(qa):
            evidence = set(evidence_ids(q["evidence"]))
            if not evidence:
                continue
            for k in KS:
                turns, via = taken_turns(results[str(i)], k)
                recalls[q["category"]][k].append(len(evidence & set(turns)) / len(evidence))
                if k == 10:
                    sources_used.update(v for t, v in zip(turns, via, strict=True) if t in evidence)
        print(f"{name}: {len(messages)} turns, {len(qa)} questions", file=sys.stderr)

    print(f"\nEvidence recall (%) over {len(samples)} conversation(s), k counts turns")
    print(f"{'category':<16}{'n':>5}" + "".join(f"{'R@' + str(k):>8}" for k in KS))
    overall: dict[int, list[float]] = defaultdict(list)
    for cat, label in CATEGORIES.items():
        row = recalls[cat]
        for k in KS:
            overall[k].extend(row[k])
        n = len(row[KS[0]])
        print(
            f"{cat} {label:<14}{n:>5}"
            + "".join(f"{100 * sum(row[k]) / max(n, 1):>8.1f}" for k in KS)
        )
    n = len(overall[KS[0]])
    print(
        f"{'1-4 all':<16}{n:>5}" + "".join(f"{100 * sum(overall[k]) / max(n, 1):>8.1f}" for k in KS)
    )
    total = sum(sources_used.values()) or 1
    print(
        "\nEvidence turns found in the top 10, by the memory type that supplied them: "
        + ", ".join(f"{t} {100 * c / total:.0f}%" for t, c in sources_used.most_common())
    )
    print(
        f"Search: {questions} questions, {1000 * query_wall_s / questions:.0f} ms per question "
        "wall (incl. process start and model load per conversation)"
    )
    if not imported:
        return
    print(
        f"\nImport: {imported} messages, {imported / import_work_s:.0f} messages/s "
        f"(parse, embed, index, commit: {import_work_s:.1f} s; embedding model load "
        f"{model_s:.1f} s); {import_wall_s:.1f} s wall incl. process start and model load"
    )
    print(
        f"Import CPU: {import_cpu_s:.1f} s user+sys in the import processes, start and model "
        f"load included ({imported / import_cpu_s:.0f} messages per CPU second; the load "
        f"average was {os.getloadavg()[0]:.1f} at the end on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
