"""What the message-retrieval benches share: importing messages and running
queries through the mirix-app command line (its JSON contract), and plain
BM25 over the same texts as the baseline printed beside it.

Imported with ``sys.path`` set to this folder by the bench scripts.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from storage.cjk import index_form
from storage.fts import query_terms

_WORD = re.compile(r"\w+")


def run_cli(args: list[str], data_dir: Path, **env: str) -> str:
    """stdout of ``mirix-app ARGS --data-dir DIR --json``; exits on failure."""
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env}
    cmd = [sys.executable, "-m", "mirix_app", *args, "--data-dir", str(data_dir), "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed: {proc.stderr.strip()}")
    return proc.stdout


@dataclass
class Imported:
    messages: int
    work_s: float
    """Parse, embed, index and commit, as the import reports it."""
    model_s: float
    wall_s: float


def import_messages(messages: Sequence[dict], data_dir: Path, **env: str) -> Imported:
    """Write ``messages`` (mirix-app message dicts; other keys dropped) and
    import them into ``data_dir``."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    path = data_dir.parent / f"{data_dir.name}-messages.jsonl"
    keep = ("external_id", "speaker", "role", "text", "at", "session")
    path.write_text(
        "".join(
            json.dumps({k: m[k] for k in keep if k in m}, ensure_ascii=False) + "\n"
            for m in messages
        )
    )
    started = time.perf_counter()
    report = json.loads(run_cli(["import", "messages", str(path)], data_dir, **env))
    return Imported(
        report["imported"],
        report["seconds"],
        report["model_seconds"],
        time.perf_counter() - started,
    )


def search(
    queries: Sequence[str],
    data_dir: Path,
    limit: int,
    at: Sequence[str | None] | None = None,
    **env: str,
) -> list[list[dict]]:
    """The hits of each query, in order (``mirix-app search --queries``); ``at``:
    when each is asked (ISO-8601; None or absent: now)."""
    path = data_dir.parent / f"{data_dir.name}-queries.jsonl"
    asked = list(at) if at is not None else [None] * len(queries)
    lines = []
    for i, (q, when) in enumerate(zip(queries, asked, strict=True)):
        job = {"id": str(i), "query": q, "limit": limit}
        if when is not None:
            job["at"] = when
        lines.append(json.dumps(job, ensure_ascii=False) + "\n")
    path.write_text("".join(lines))
    out = run_cli(["search", "--queries", str(path)], data_dir, **env)
    results = {r["id"]: r["hits"] for r in map(json.loads, out.splitlines())}
    return [results[str(i)] for i in range(len(queries))]


def source_ids(hits: list[dict], k: int) -> list[str]:
    """The first ``k`` distinct source external ids of ``hits``: k counts
    turns, so a hit with several sources uses that many of the k."""
    out: list[str] = []
    for hit in hits:
        for source in hit["sources"]:
            ext = source.get("external_id")
            if ext is None or ext in out:
                continue
            if len(out) == k:
                return out
            out.append(ext)
    return out


def tokens(text: str) -> list[str]:
    """Plain tokens for the baseline: lower-cased words, CJK runs as bigrams
    (without the single characters mirix-app also indexes)."""
    return [w.lower() for w in _WORD.findall(index_form(text, unigrams=False))]


class BM25:
    """Okapi BM25 (k1 1.2, b 0.75) over whole texts: the plain baseline, with
    the query's words chosen as mirix-app chooses them (function words out)."""

    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.docs = [Counter(tokens(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / max(len(self.docs), 1)
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.k1, self.b = k1, b

    def rank(self, query: str, k: int) -> list[int]:
        bigram_form = set(tokens(query))  # mirix-app's query terms, less single characters
        terms = [t for t in query_terms(query) if t in self.idf and t in bigram_form]
        scores: list[tuple[float, int]] = []
        for i, doc in enumerate(self.docs):
            norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
            score = sum(
                self.idf[t] * doc[t] * (self.k1 + 1) / (doc[t] + norm) for t in terms if t in doc
            )
            if score > 0:
                scores.append((score, i))
        scores.sort(key=lambda s: (-s[0], s[1]))
        return [i for _, i in scores[:k]]


def pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f}" if whole else "  n/a"
