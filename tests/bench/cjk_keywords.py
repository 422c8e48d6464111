"""Which tokenization of CJK text serves keyword search best: measured with
SQLite FTS5 BM25 directly (no embeddings), on CMRC 2018 (paragraphs as
documents, questions as queries) and the Chinese personal-chat set.

    python tests/bench/cjk_keywords.py --cmrc ../shared/bench/cmrc2018/cmrc2018_dev.json

Variants: character bigrams alone, bigrams plus single characters
(storage.cjk's index form and storage.fts's query terms: what mirix-app
does), jieba's search-mode words (needs ``pip install jieba``; skipped
without it), and FTS5's own trigram tokenizer. Prints
hit@1 / hit@5, index size and indexing time per variant.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import zh_chat_data

from storage.cjk import bigrams, index_form
from storage.fts import query_terms

Tokenize = Callable[[str], list[str]]
_RUN = re.compile(r"\w+")


def _chosen_query(text: str) -> list[str]:
    return query_terms(text)


def _bigram_query(text: str) -> list[str]:
    """The query's terms without its single CJK characters."""
    return [t for t in query_terms(text) if len(t) > 1 or t.isascii()]


def _bigram_doc(text: str) -> str:
    return index_form(text, unigrams=False)


def _jieba(text: str) -> list[str]:
    import jieba

    return [w.lower() for w in jieba.cut_for_search(text) if _RUN.fullmatch(w)]


def _trigram_query(text: str) -> list[str]:
    # The trigram tokenizer matches substrings of 3+ characters: the query's
    # trigrams (of each \w run), ORed.
    out: list[str] = []
    for run in _RUN.findall(text.lower()):
        out.extend(run[i : i + 3] for i in range(max(1, len(run) - 2)) if len(run) >= 3)
    return list(dict.fromkeys(out))


VARIANTS: dict[str, tuple[str, Callable[[str], str], Tokenize]] = {
    # name: (fts5 tokenizer, document form, query terms)
    "bigrams": ("porter unicode61 remove_diacritics 2", _bigram_doc, _bigram_query),
    "bigrams + single chars (chosen)": (
        "porter unicode61 remove_diacritics 2",
        index_form,
        _chosen_query,
    ),
    "jieba search mode": (
        "porter unicode61 remove_diacritics 2",
        lambda t: " ".join(_jieba(t)),
        _jieba,
    ),
    "fts5 trigram": ("trigram", lambda t: t, _trigram_query),
}


def evaluate(
    docs: list[str], queries: list[tuple[str, set[int]]], variant: str
) -> tuple[float, float, float, int]:
    tokenizer, doc_form, query_form = VARIANTS[variant]
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE d USING fts5(t, tokenize='{tokenizer}')")
    started = time.perf_counter()
    conn.executemany("INSERT INTO d(rowid, t) VALUES (?, ?)", enumerate(map(doc_form, docs)))
    conn.commit()
    index_s = time.perf_counter() - started
    size = sum(len(r[0] or b"") for r in conn.execute("SELECT block FROM d_data"))
    hit1 = hit5 = 0
    for question, answers in queries:
        terms = query_form(question)
        if not terms:
            continue
        expression = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        ranked = [
            r[0]
            for r in conn.execute(
                "SELECT rowid FROM d WHERE d MATCH ? ORDER BY rank LIMIT 5", (expression,)
            )
        ]
        hit1 += bool(ranked[:1] and ranked[0] in answers)
        hit5 += bool(answers & set(ranked))
    n = len(queries)
    return 100 * hit1 / n, 100 * hit5 / n, index_s, size


def cmrc(path: Path, limit: int | None) -> tuple[list[str], list[tuple[str, set[int]]]]:
    data = json.loads(path.read_text())["data"]
    docs: list[str] = []
    queries: list[tuple[str, set[int]]] = []
    for article in data:
        for paragraph in article["paragraphs"]:
            docs.append(paragraph["context"])
            queries += [(q["question"], {len(docs) - 1}) for q in paragraph["qas"]]
    return docs, queries[:limit] if limit else queries


def chat() -> tuple[list[str], list[tuple[str, set[int]]]]:
    msgs = zh_chat_data.messages()
    docs = [m["text"] for m in msgs]
    by_key: dict[str, int] = {m["key"]: i for i, m in enumerate(msgs) if m["key"]}
    return docs, [(q, {by_key[k] for k in keys}) for q, keys in zh_chat_data.QUESTIONS]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cmrc", type=Path)
    parser.add_argument("--limit", type=int, help="CMRC questions to use (default: all)")
    args = parser.parse_args()
    sets = {"Chinese chat": chat()}
    if args.cmrc:
        sets["CMRC 2018 dev"] = cmrc(args.cmrc, args.limit)
    variants = list(VARIANTS)
    try:
        import jieba

        jieba.setLogLevel(60)
    except ImportError:
        variants.remove("jieba search mode")
    for name, (docs, queries) in sets.items():
        print(f"{name}: {len(docs)} documents, {len(queries)} questions")
        print(f"  {'variant':32} {'hit@1':>6} {'hit@5':>6} {'index s':>8} {'index KB':>9}")
        for variant in variants:
            h1, h5, seconds, size = evaluate(docs, queries, variant)
            print(f"  {variant:32} {h1:6.1f} {h5:6.1f} {seconds:8.2f} {size / 1024:9.0f}")
    assert bigrams("猫") == ["猫"]


if __name__ == "__main__":
    main()
