"""Screenshot search as people see it: hits with their app, window title, image
file and a snippet of their text. The ranking is storage's one hybrid search
(:mod:`storage.search`: keyword, meaning with the closest chunk and, with a
CLIP checkpoint, the image, fused by score), so a screenshot ranks the same
here as in ``mirix-app search --type screenshot``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from agents.embeddings import TextEmbedder, embed_queries
from agents.privacy import redact
from agents.screens.clip import ClipEmbedder
from agents.screens.store import chunk_spans
from storage import Hit, InvalidInputError, Query, ScreenSearchParams, Storage
from storage.cjk import has_cjk
from storage.fts import query_terms
from storage.interface import Where
from storage.kinds import SCREENSHOT
from storage.periods import Period, asked_period
from storage.when import parse_bound

SNIPPET_CHARS = 160


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
    elsewhere: str | None = None
    """The device that took the frame, where that is another device sharing this
    memory: its text is here, its image file there (``path`` is None)."""

    @property
    def image_deleted(self) -> bool:
        return self.path is None and self.elsewhere is None

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
            "elsewhere": self.elsewhere,
        }


def screen_filter(since: str | None, until: str | None, app: str | None) -> Where:
    since_t = parse_bound(since, what="--since") if since else None
    until_t = parse_bound(until, what="--until", end=True) if until else None
    if since_t and until_t and since_t > until_t:
        raise InvalidInputError("--since is after --until.")
    return Where(since=since_t, until=until_t, app=app.strip() if app else None)


def search_screens(
    storage: Storage,
    embedder: TextEmbedder,
    query: str,
    *,
    where: Where,
    limit: int = 20,
    clip: ClipEmbedder | None = None,
    params: ScreenSearchParams | None = None,
    asked_at: datetime | None = None,
) -> list[ScreenHit]:
    """Screens for ``query``; a period it speaks of ("yesterday") is read against
    ``asked_at`` (default now) and preferred."""
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
        period=asked_period(query, asked_at),
    )


def search_screens_with(
    storage: Storage,
    query: str,
    vector: npt.NDArray[np.float32],
    *,
    where: Where,
    limit: int = 20,
    clip: ClipEmbedder | None = None,
    params: ScreenSearchParams | None = None,
    period: Period | None = None,
) -> list[ScreenHit]:
    """:func:`search_screens` with the query's text embedding already made (the
    chat embeds a message once for every kind of memory it searches); ``period``
    as in ``Query.period``."""
    if not query.strip():
        raise InvalidInputError("The search query is empty.")
    if limit < 1:
        raise InvalidInputError("--limit must be at least 1.")
    found = storage.search.run(
        Query(
            text=query,
            vector=vector,
            kinds=(SCREENSHOT,),
            since=where.since,
            until=where.until,
            app=where.app,
            limit=limit,
            image_vector=clip.embed_texts([query])[0] if clip is not None else None,
            period=period,
        ),
        screen_params=params,
    )
    terms = query_terms(query)
    return [screen_hit(hit, terms, storage) for hit in found]


def screen_hit(hit: Hit, terms: list[str], storage: Storage) -> ScreenHit:
    """A screenshot search hit as people see it (``terms``: the query's, for the snippet)."""

    def absolute(relative: object) -> str | None:
        return str(storage.data_dir / str(relative)) if relative else None

    f = hit.fields
    text = str(f.get("ocr_text") or "")
    device = f.get("device")
    elsewhere = str(device) if device is not None and device != storage.device else None
    if elsewhere is not None:
        f = {**f, "image_path": None, "thumb_path": None}
    return ScreenHit(
        screenshot_id=hit.id,
        external_id=f.get("external_id"),
        at=hit.at,
        app=f.get("app") or "unknown",
        title=f.get("window_title") or "",
        score=hit.score,
        snippet=snippet(text, terms, hit.part),
        path=absolute(f.get("image_path")),
        thumb_path=absolute(f.get("thumb_path")),
        matched_by=hit.matched_by,
        text=text,
        closest_chunk=hit.part,
        elsewhere=elsewhere,
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
    return storage.screenshots.activity(where.since, where.until)
