"""The text embedder's backends side by side: speed, agreement, memory.

Each backend runs in its own fresh process, one after another, round after
round (the machine's cores may be shared, so take the best round and look at
the spread). A process loads the model, embeds 100 texts and reads its
resident memory (VmRSS: "RSS MB"), then embeds the whole corpus and saves the
vectors ("after": VmRSS then; "peak": VmHWM);
the parent compares them with sentence-transformers in float32 (the reference).

    python tests/bench/embedder.py [--data locomo_dev.json] [--rounds 3]

"short/s" is the rate on the corpus's texts of at most 300 characters (chat
length), "1 text ms" the time to embed one of them alone (a query). The corpus
mixes chat turns (from --data, a LoCoMo file, when given), paragraphs
of this repository's README and docstrings, texts longer than the 256-token
window, Chinese and Japanese, emoji and near-empty strings.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = {
    "numpy": {"backend": "numpy"},
    "torch-bf16": {"backend": "torch", "precision": "bf16"},
    "torch-fp32": {"backend": "torch", "precision": "fp32"},
}
REFERENCE = "torch-fp32"
SHORT_CHARS = 300  # chat-length texts, timed apart

CJK = [
    "我喜欢在周末去公园散步",
    "今天的天气非常好我们一起去爬山吧。",
    "会議は午後三時に始まります。資料を準備してください。",
    "東京で新しいレストランを見つけました",
    "이번 주말에 친구들과 영화를 보러 갈 거예요",
]
EMOJI = ["🎉🎉🎉", "Weekend plans 🎉🌳 with the family 👨‍👩‍👧", "👍", "❤️ love it", "🚀 launch day!"]
EMPTYISH = ["", " ", "\n", "?", "...", "a", "ok", "\t\t", "!!!", "-"]


def repo_paragraphs() -> list[str]:
    texts = [p.strip() for p in (ROOT / "README.md").read_text().split("\n\n") if p.strip()]
    for path in sorted(ROOT.glob("*/**/*.py")):
        if ".venv" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text())
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    texts.extend(p.strip() for p in doc.split("\n\n") if p.strip())
    return texts


def locomo_turns(path: Path) -> list[str]:
    turns = []
    for sample in json.loads(path.read_text()):
        conv = sample["conversation"]
        n = 1
        while f"session_{n}" in conv:
            turns.extend(turn["text"] for turn in conv[f"session_{n}"])
            n += 1
    return turns


def corpus(data: Path | None, size: int) -> list[str]:
    rng = random.Random(7)
    base = repo_paragraphs() + (locomo_turns(data) if data else [])
    rng.shuffle(base)
    longs = [" ".join(rng.sample(base, 12)) for _ in range(size // 20)]
    mixed = [f"{rng.choice(base)} {rng.choice(CJK)} {rng.choice(EMOJI)}" for _ in range(size // 20)]
    special = (CJK + EMOJI + EMPTYISH) * 4
    texts = special + longs + mixed
    texts += base[: max(0, size - len(texts))]
    rng.shuffle(texts)
    return texts[:size]


def rss_mb() -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return (
        int(fields["VmRSS"].split()[0]) / 1024,
        int(fields["VmHWM"].split()[0]) / 1024,
    )


def worker(name: str, texts_file: Path, out: Path) -> None:
    from agents.embeddings import MiniLMEmbedder

    texts = json.loads(texts_file.read_text())
    started = time.perf_counter()
    embedder = MiniLMEmbedder(**BACKENDS[name])  # type: ignore[arg-type]
    embedder.embed(texts[:100])
    first = time.perf_counter() - started
    rss, peak = rss_mb()
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - started
    np.save(out, vectors)
    short = [t for t in texts if len(t) <= SHORT_CHARS]
    started = time.perf_counter()
    embedder.embed(short)
    short_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text in short[:50]:
        embedder.embed([text])
    single_ms = (time.perf_counter() - started) / len(short[:50]) * 1000
    after, peak = rss_mb()
    report = {
        "rss_after_mb": after,
        "short_rate": len(short) / short_seconds,
        "single_ms": single_ms,
        "first_100_s": first,
        "rss_mb": rss,
        "peak_mb": peak,  # VmHWM over the whole run
        "seconds": seconds,
        "torch_loaded": "torch" in sys.modules,
    }
    print(json.dumps(report))


def run_worker(name: str, texts_file: Path, out: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--texts", str(texts_file), "--out", str(out)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="a LoCoMo JSON file for chat-like turns")
    parser.add_argument("--size", type=int, default=2000, help="texts in the corpus")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.texts, args.out)
        return

    names = args.backends.split(",")
    texts = corpus(args.data, args.size)
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts))
        from tokenizers import Tokenizer

        from agents.embeddings import minilm_model_dir

        tok = Tokenizer.from_file(str(minilm_model_dir() / "tokenizer.json"))
        tok.no_truncation()
        lengths = [len(e.ids) for e in tok.encode_batch(texts)]
        print(
            f"{len(texts)} texts, tokens: median {statistics.median(lengths):.0f}, "
            f"max {max(lengths)}, {sum(n > 256 for n in lengths)} over 256; "
            f"cores {os.cpu_count()} (shared: timings are noisy)"
        )
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
        for round_no in range(args.rounds):
            for name in names:
                result = run_worker(name, texts_file, Path(tmp) / f"{name}.npy")
                runs[name].append(result)
                print(
                    f"  round {round_no + 1} {name:11s} {len(texts) / result['seconds']:7.1f} "
                    f"texts/s  RSS {result['rss_mb']:.0f} MB",
                    flush=True,
                )
        vectors = {name: np.load(Path(tmp) / f"{name}.npy") for name in names}
    print(
        f"\n{'backend':11s} {'texts/s best':>12s} {'median':>7s} {'short/s':>7s} "
        f"{'1 text ms':>9s} {'load+100 s':>10s} "
        f"{'RSS MB':>7s} {'after':>5s} {'peak MB':>7s} {'torch':>5s}  "
        f"cosine to {REFERENCE} mean / min"
    )
    for name in names:
        rates = [len(texts) / r["seconds"] for r in runs[name]]
        last = runs[name][-1]
        agreement = "-"
        if REFERENCE in vectors and name != REFERENCE:
            cos = np.sum(vectors[name] * vectors[REFERENCE], axis=1)
            agreement = f"{cos.mean():.7f} / {cos.min():.7f}"
        print(
            f"{name:11s} {max(rates):12.1f} {statistics.median(rates):7.1f} "
            f"{max(r['short_rate'] for r in runs[name]):7.1f} "
            f"{min(r['single_ms'] for r in runs[name]):9.1f} "
            f"{min(r['first_100_s'] for r in runs[name]):10.2f} "
            f"{last['rss_mb']:7.0f} {last['rss_after_mb']:5.0f} "
            f"{last['peak_mb']:7.0f} {'yes' if last['torch_loaded'] else 'no':>5s}  {agreement}"
        )


if __name__ == "__main__":
    main()
