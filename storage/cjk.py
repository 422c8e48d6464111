"""Chinese, Japanese and Korean text for full-text search.

These scripts are written without spaces between words, and FTS5's unicode61
tokenizer splits on spaces and punctuation only: a whole Chinese sentence was
one token, so no word inside it could match. Here every run of CJK characters
becomes its overlapping character bigrams and its single characters ("我喜欢猫"
-> "我喜 喜欢 欢猫 我 喜 欢 猫"), as Lucene's CJK analyzer does with
``outputUnigrams``: a two-character word, the commonest length, is one token, a
longer word the sequence of its bigrams, and a one-character word (猫, 车, 茶)
or a question that shares only characters with its answer (血型 against 型血)
still matches. A query is cut the same way, so a word found anywhere inside an
unspaced sentence matches; BM25 weighs a common single character little.
Bigrams were chosen by measurement over jieba's dictionary words and FTS5's
trigrams, single characters added by measurement of the whole search
(``tests/bench/cjk_keywords.py``, ``zh_chat_retrieval.py``, ``cmrc_retrieval.py``).
Text without CJK characters passes through unchanged, so English is indexed
as before.

:func:`index_form` is what goes into an index, :func:`split_cjk` what a query
word becomes; both are pure and deterministic, because an index entry is
removed by tokenizing the stored text again: a change to them needs a
migration that re-indexes every row they change. A PostgreSQL full-text index
can use the same two functions (``to_tsvector('simple', index_form(text))``).
"""

from __future__ import annotations

import re

_CJK_CHARS = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals, Kangxi radicals
    "\u3005-\u3007"  # 々 〆 〇
    "\u3040-\u30ff"  # Hiragana, Katakana (with ー)
    "\u3100-\u312f"  # Bopomofo
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK Extensions B-H
)
_CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")
_HAS_CJK_OR_WIDE = re.compile(f"[{_CJK_CHARS}\uff01-\uff5e]")
# Full-width ASCII (ＡＢＣ１２３), common in CJK text, read as the ASCII it stands for.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


# Chinese question words and sentence particles, the counterpart of the English
# function words dropped from a query: a bigram holding one (什么, 哪里, 是谁,
# 了吗) matches rows that merely ask or chat, not the rows that answer. Measured with
# tests/bench/cjk_keywords.py and the CLI benches.
_QUERY_FUNCTION_CHARS = frozenset("什么哪谁吗呢吧啊")


def is_function_token(token: str) -> bool:
    """Whether a CJK query token holds a question word or particle."""
    return not token.isascii() and any(c in _QUERY_FUNCTION_CHARS for c in token)


def bigrams(run: str) -> list[str]:
    """The overlapping character pairs of a run of CJK characters (a single
    character is its own token)."""
    if len(run) < 2:
        return [run] if run else []
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(run: str, *, unigrams: bool = True) -> list[str]:
    """A run of CJK characters as index tokens: its bigrams, then (unless
    ``unigrams`` is false, as indexes were before schema v12) its single
    characters."""
    pairs = bigrams(run)
    return pairs + list(run) if unigrams and len(run) > 1 else pairs


def has_cjk(text: str) -> bool:
    return not text.isascii() and _CJK_RUN.search(text) is not None


def mostly_not_cjk(text: str) -> bool:
    """Whether at most half of the word characters of ``text`` are CJK: an
    English model reads the words of such a text, and of a Chinese or Japanese
    sentence only a scattering of unknown pieces."""
    if text.isascii():
        return True
    letters = [c for c in text if c.isalnum()]
    return 2 * sum(1 for c in letters if has_cjk(c)) <= len(letters)


def mostly_cjk(text: str) -> bool:
    return not mostly_not_cjk(text)


def index_form(text: str, *, unigrams: bool = True) -> str:
    """``text`` as a full-text index should hold it: each CJK run replaced by its
    :func:`tokens` between spaces, full-width ASCII made ASCII; anything else as
    it is (an ASCII text is returned unchanged)."""
    if text.isascii() or _HAS_CJK_OR_WIDE.search(text) is None:
        return text
    text = text.translate(_FULL_WIDTH)
    return _CJK_RUN.sub(lambda m: " " + " ".join(tokens(m.group(), unigrams=unigrams)) + " ", text)


def split_cjk(word: str) -> list[str]:
    """One query word (a ``\\w+`` match) as index tokens: its non-CJK parts as
    words and each CJK run as its :func:`tokens`, in order ("iPhone手机壳" ->
    ["iPhone", "手机", "机壳", "手", "机", "壳"])."""
    if word.isascii():
        return [word]
    word = word.translate(_FULL_WIDTH)
    out: list[str] = []
    last = 0
    for m in _CJK_RUN.finditer(word):
        if m.start() > last:
            out.append(word[last : m.start()])
        out.extend(tokens(m.group()))
        last = m.end()
    if last < len(word):
        out.append(word[last:])
    return out
