"""Screenshot search: keyword (FTS5 BM25 over OCR text, window title and app),
meaning (the OCR text's embedding) and, with a CLIP checkpoint, the image
itself, fused by score (see :class:`ScreenSearchParams`), with filters for time
and app."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from agents.embeddings import TextEmbedder, embed_queries
from agents.privacy import redact
from agents.screens.clip import ClipEmbedder
from agents.screens.store import chunk_spans
from storage import InvalidInputError, Storage
from storage.cjk import has_cjk
from storage.fts import query_terms
from storage.kinds import SCREENSHOT
from storage.screens import (
    ScreenFilter,
    chunk_vectors,
    filtered_rowids,
    hourly_activity,
    image_vectors,
    rowids_within,
    rows_by_rowid,
    term_coverage,
    text_ranking,
)
from storage.when import parse_bound

SNIPPET_CHARS = 160


@dataclass(frozen=True, kw_only=True)
class ScreenSearchParams:
    """Fusion of scores, not ranks: each list's scores are scaled to [0, 1] (the
    keyword list by its best BM25 score, times the share of the query it covers;
    the embedding lists from their weakest to their best candidate) and added
    with these weights. Measured on tests/bench/screens_websrc.py: unlike rank
    fusion, a page that only shares a side word with the question scores low
    next to the page the embeddings clearly point to."""

    depth: int = 50
    text_weight: float = 1.0
    vector_weight: float = 0.6
    image_weight: float = 0.3
    chunk_weight: float = 0.5
    """A screen's meaning score: this share from its closest chunk, the rest from
    the whole screen's vector. Measured with the closest chunk alone and with
    mixes from 0.3 to 0.7 (tests/bench/screens_locomo.py, screens_websrc.py):
    0.5 was best on both, 0 is the whole-screen vector alone."""
    chunk_pool: int = 4
    """How many times ``depth`` screens the whole-screen vectors preselect for
    the chunk comparison (the index holds one vector per screen)."""
    app_exact_max: int = 20_000
    """With an app filter: up to this many frames of the app (in the time range)
    are compared with the query exactly (a few milliseconds); beyond it the
    app's best are taken from the overall list, 20 times deeper."""
    min_meaning: float = 0.15
    """A screen found by meaning alone (none of the query's words on it, in its
    title or app) is a hit only when its meaning score (cosine, see
    ``chunk_weight``) is at least this: the vector list always holds the
    ``depth`` nearest screens, however far, and "water the ficus" listed every
    screen kept. Measured with MiniLM on tests/bench/screens_websrc.py: a vague
    question's right page ("What kind of product is this?") scores 0.16-0.20 by
    meaning alone, unrelated queries on those pages 0.02-0.22 ("water the
    ficus" 0.08); 0.15 keeps hit@1 and hit@5 as they were (0.25: hit@5 96.7 ->
    83.3)."""


@dataclass(frozen=True)
class ScreenHit:
    screenshot_id: str
    external_id: str | None
    at: str
    app: str
    title: str
    score: float
    snippet: str
    path: str | None
    """The image file; None once the storage budget has deleted it."""
    thumb_path: str | None
    matched_by: tuple[str, ...] = ()
    text: str = ""
    """The whole OCR text (not in :meth:`to_dict`: the CLI prints the snippet)."""
    closest_chunk: int | None = None
    """Which chunk of the text (see :func:`chunk_spans`) is closest to the query in
    meaning; None where not known (no chunk vectors, or not a meaning match)."""

    @property
    def image_deleted(self) -> bool:
        return self.path is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "screenshot_id": self.screenshot_id,
            "external_id": self.external_id,
            "at": self.at,
            "app": self.app,
            "title": self.title,
            "score": round(self.score, 6),
            "snippet": self.snippet,
            "path": self.path,
        }


def screen_filter(since: str | None, until: str | None, app: str | None) -> ScreenFilter:
    since_t = parse_bound(since, what="--since") if since else None
    until_t = parse_bound(until, what="--until", end=True) if until else None
    if since_t and until_t and since_t > until_t:
        raise InvalidInputError("--since is after --until.")
    return ScreenFilter(since=since_t, until=until_t, app=app.strip() if app else None)


def search_screens(
    storage: Storage,
    embedder: TextEmbedder,
    query: str,
    *,
    where: ScreenFilter,
    limit: int = 20,
    clip: ClipEmbedder | None = None,
    params: ScreenSearchParams | None = None,
) -> list[ScreenHit]:
    if not query.strip():
        raise InvalidInputError("The search query is empty.")
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1.")
    return search_screens_with(
        storage,
        query,
        embed_queries(embedder, [query])[0],
        where=where,
        limit=limit,
        clip=clip,
        params=params,
    )


def search_screens_with(
    storage: Storage,
    query: str,
    vector: npt.NDArray[np.float32],
    *,
    where: ScreenFilter,
    limit: int = 20,
    clip: ClipEmbedder | None = None,
    params: ScreenSearchParams | None = None,
) -> list[ScreenHit]:
    """:func:`search_screens` with the query's text embedding already made (the
    chat embeds a message once for every kind of memory it searches)."""
    if not query.strip():
        raise InvalidInputError("The search query is empty.")
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1.")
    p = params or ScreenSearchParams()
    depth = max(p.depth, limit)
    closest: dict[int, int] = {}
    with storage.db.reading() as conn:
        keyword = text_ranking(conn, query, where, depth)
        coverage = term_coverage(conn, query, [r for r, _ in keyword])
        best = max((score for _, score in keyword), default=0.0)
        meaning = _vector_ranking(storage, conn, vector, where, depth, p, closest)
        close = {rowid for rowid, value in meaning if value >= p.min_meaning}
        lists = [
            ("text", p.text_weight, [(r, coverage[r] * s / best) for r, s in keyword if best > 0]),
            ("vector", p.vector_weight, _scaled(meaning)),
        ]
        if clip is not None:
            image = _image_ranking(conn, clip, query, where, depth)
            lists.append(("image", p.image_weight, _scaled(image)))
        fused: dict[int, tuple[float, tuple[str, ...]]] = {}
        for name, weight, scored in lists:
            for rowid, value in scored:
                total, via = fused.get(rowid, (0.0, ()))
                fused[rowid] = (total + weight * value, (*via, name))
        found = [item for item in fused.items() if item[1][1] != ("vector",) or item[0] in close]
        ranked = sorted(found, key=lambda item: (-item[1][0], item[0]))[:limit]
        rows = rows_by_rowid(conn, [rowid for rowid, _ in ranked])
    terms = query_terms(query)
    return [
        _hit(rows[rowid], score, via, terms, storage, closest.get(rowid))
        for rowid, (score, via) in ranked
        if rowid in rows
    ]


def _vector_ranking(
    storage: Storage,
    conn: sqlite3.Connection,
    vector: npt.NDArray[np.float32],
    where: ScreenFilter,
    depth: int,
    p: ScreenSearchParams,
    closest: dict[int, int],
) -> list[tuple[int, float]]:
    """(rowid, meaning score) best first; fills ``closest`` with each screen's
    closest chunk where its chunk vectors are known."""
    index = storage.vectors.get(conn, SCREENSHOT, len(vector))
    pool = depth * max(1, p.chunk_pool) if p.chunk_weight > 0 else depth
    # The index filters by time itself. An app's frames, when few enough, are
    # compared exactly (a rare app's best screens may lie far down the overall
    # list); an app with more is filtered out of a deeper list.
    among = rowids_within(conn, where, p.app_exact_max) if where.app else None
    with storage.vectors.searching():
        if among is not None:
            matches = index.among(vector, pool, np.array(among, dtype=np.int64))
        else:
            wanted = pool * 20 if where.app else pool
            matches = index.search(vector, wanted, since=where.since, until=where.until)
    scored = [(int(r), float(s)) for r, s in zip(matches.rowids, matches.scores, strict=True)]
    if where.app and among is None:
        allowed = filtered_rowids(conn, where, [r for r, _ in scored])
        scored = [(r, s) for r, s in scored if r in allowed]
    scored = scored[:pool]
    if p.chunk_weight > 0:
        chunks = chunk_vectors(conn, [r for r, _ in scored], int(vector.shape[0]))
        mixed = []
        # A screen without chunk embeddings (kept before schema v6) counts its
        # whole-screen similarity for both parts: neither helped nor hurt.
        for rowid, whole in scored:
            matrix = chunks.get(rowid)
            if matrix is None or len(matrix) == 0:
                mixed.append((rowid, whole))
                continue
            similarities = matrix @ vector
            best = int(np.argmax(similarities))
            closest[rowid] = best
            mixed.append(
                (rowid, (1.0 - p.chunk_weight) * whole + p.chunk_weight * similarities[best])
            )
        scored = sorted(mixed, key=lambda item: (-item[1], item[0]))
    return [(r, float(s)) for r, s in scored[:depth]]


def _image_ranking(
    conn: sqlite3.Connection, clip: ClipEmbedder, query: str, where: ScreenFilter, depth: int
) -> list[tuple[int, float]]:
    rowids, matrix = image_vectors(conn, where)
    if len(rowids) == 0:
        return []
    query_vector = clip.embed_texts([query])[0]
    if matrix.shape[1] != query_vector.shape[0]:
        return []  # embeddings from another CLIP model: not comparable
    scores = matrix @ query_vector
    order = np.argsort(-scores, kind="stable")[:depth]
    return [(int(rowids[i]), float(scores[i])) for i in order]


def _scaled(scored: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Similarities scaled so the weakest candidate is 0 and the best 1."""
    if not scored:
        return []
    values = [s for _, s in scored]
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return [(r, 1.0) for r, _ in scored]
    return [(r, (s - low) / (high - low)) for r, s in scored]


def _hit(
    row: sqlite3.Row,
    score: float,
    via: tuple[str, ...],
    terms: list[str],
    storage: Storage,
    closest_chunk: int | None,
) -> ScreenHit:
    def absolute(relative: str | None) -> str | None:
        return str(storage.data_dir / relative) if relative else None

    return ScreenHit(
        screenshot_id=row["id"],
        external_id=row["external_id"],
        at=row["at"],
        app=row["app"] or "unknown",
        title=row["window_title"] or "",
        score=score,
        snippet=snippet(str(row["ocr_text"] or ""), terms, closest_chunk),
        path=absolute(row["image_path"]),
        thumb_path=absolute(row["thumb_path"]),
        matched_by=via,
        text=str(row["ocr_text"] or ""),
        closest_chunk=closest_chunk,
    )


SIMILAR_WORDS = 0.8
"""Word overlap (Jaccard) from which two screens' texts count as the same: one
page a few seconds apart while typing, or kept again as a keyframe."""


def similar_words(a: set[str], b: set[str]) -> bool:
    both = a | b
    return bool(both) and len(a & b) >= SIMILAR_WORDS * len(both)


def words_of(text: str) -> set[str]:
    return set(text.casefold().split())


def group_similar(hits: Sequence[ScreenHit]) -> list[list[ScreenHit]]:
    """The hits in rank order, grouped: each group is led by its best-ranked hit
    and holds the lower-ranked hits of the same window (app and title) showing the
    same text or nearly."""
    groups: list[tuple[tuple[str, str], set[str], list[ScreenHit]]] = []
    for hit in hits:
        words = words_of(hit.text)
        for window, seen, members in groups:
            if window == (hit.app, hit.title) and similar_words(words, seen):
                members.append(hit)
                break
        else:
            groups.append(((hit.app, hit.title), words, [hit]))
    return [members for _, _, members in groups]


def passage(hit: ScreenHit, *, redacted: bool) -> str:
    """The part of a found screen worth showing a model: its closest chunk's lines
    (the whole text where that is not known), on one line. ``redacted``: secrets
    and personal data replaced, as in what the memory agents are sent; the whole
    text is redacted first, so a secret spread over lines is caught."""
    lines = hit.text.splitlines()
    spans = chunk_spans(hit.text)
    first, end = (0, len(lines))
    if hit.closest_chunk is not None and hit.closest_chunk < len(spans):
        first, end = spans[hit.closest_chunk]
    if redacted:
        clean = redact(hit.text).text.splitlines()
        if len(clean) != len(lines):  # a redaction took lines with it: the whole text
            first, end = 0, len(clean)
        lines = clean
    return " ".join(" ".join(lines[first:end]).split())


def snippet(text: str, terms: list[str], closest_chunk: int | None = None) -> str:
    """The stretch of ``text`` around the first query word it contains; with no
    query word in it (a match by meaning), from the start of its closest chunk."""
    flat = " ".join(text.split())
    if len(flat) <= SNIPPET_CHARS:
        return flat
    start = 0
    lowered = flat.casefold()
    for term in terms:
        # A CJK bigram sits inside an unspaced run: no word boundary before it.
        edge = "" if has_cjk(term[:1]) else r"\b"
        found = re.search(rf"{edge}{re.escape(term.casefold())}", lowered)
        if found:
            start = max(0, found.start() - SNIPPET_CHARS // 3)
            break
    else:
        spans = chunk_spans(text)
        if closest_chunk is not None and 0 < closest_chunk < len(spans):
            before = " ".join(" ".join(text.splitlines()[: spans[closest_chunk][0]]).split())
            start = min(len(before) + 1 if before else 0, len(flat) - SNIPPET_CHARS)
    piece = flat[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(flat) else "")


def activity(storage: Storage, since: str | None, until: str | None) -> list[tuple[str, str, int]]:
    where = screen_filter(since, until, None)
    with storage.db.reading() as conn:
        return hourly_activity(conn, where.since, where.until)
