"""The one hybrid search: keyword and vector rankings per kind, fused by the
kind's ranking strategy, then merged across kinds. Engines supply the rankings
(:class:`storage.interface.SearchPrimitives`); the fusion here is theirs alike.

Two strategies:

- **Rank fusion** (memories and messages): reciprocal rank fusion (RRF) of the
  keyword (BM25) and vector (cosine) lists; a row's fused score is
  ``sum(w / (k + rank))`` over the lists it appears in. The defaults were
  measured on LoCoMo (see tests/bench/locomo_retrieval.py): a small k (10)
  trusts the top of each list, and the keyword list outweighs the vector list,
  whose MiniLM similarities are flatter.
- **Score fusion** (screenshots; see :class:`ScreenSearchParams`): each list's
  scores scaled to [0, 1] and added with weights: the keyword list (BM25 over
  the OCR text, title and app, times the share of the query it covers), the
  meaning list (a screen's whole vector mixed with its closest chunk's) and,
  with a CLIP query vector, the image list. The filters add an application.

Across kinds, fused scores are comparable because every kind's rank fusion is
built and weighted the same way. A kind ranked by score fusion keeps its own
order, and takes the scores rank fusion gives its lists: the i-th best RRF score
of its candidates goes to its i-th row. So a screenshot ranks the same whether
``search`` or ``screens search`` finds it, and screenshots stand against
memories with the same evidence as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from storage.cjk import mostly_cjk
from storage.errors import InvalidInputError
from storage.fts import query_terms
from storage.interface import (
    FoundRow,
    Pending,
    Scored,
    SearchBackend,
    SearchPrimitives,
    VectorRequest,
    Where,
)
from storage.kinds import MESSAGE, Kind, display_text, kind_named
from storage.periods import Period
from storage.records import Hit
from storage.sources import CHAT_PREFIX

Candidate = tuple[float, Kind, int, tuple[str, ...]]


@dataclass(frozen=True, kw_only=True)
class SearchParams:
    rrf_k: float = 10.0
    depth: int = 50
    """How many candidates each ranked list contributes (30 to 200 score the
    same on LoCoMo; fewer is faster on large tables)."""
    text_weight: float = 1.0
    vector_weight: float = 0.5
    cjk_vector_weight: float = 2.0
    """The vector list's weight for a query written mostly in Chinese, Japanese
    or Korean. Its keywords are character pairs and single characters, not
    words (a pair often straddles two words; a single character matches nearly
    every row), so the keyword list is weaker evidence than the vector list
    there (the default embedder reads CJK with multilingual-e5), and a question
    put in other words than its answer is found by meaning only. Measured with
    the default embedder, hit@1 / hit@5: at 1.0 the Chinese chat set 69.4 / 94.4
    and CMRC (600) 95.8 / 99.5; at 2.0 66.7 / 97.2 and 96.0 / 98.8 (1.5: chat
    66.7 / 94.4; 3.0: chat as 2.0). English queries keep ``vector_weight``."""
    own_text_weight: float = 2.0
    """BM25 weight of a row's own text ..."""
    context_weight: float = 0.6
    """... and of its context (date, neighbouring turns)."""
    actor_focus: float = 0.5
    """When a query names exactly one known person, hits done or said by someone
    else are scaled by this (1.0 turns it off): asked about Ann, the answer is
    nearly always in what Ann said or did."""
    first_person_focus: float = 0.5
    """When a query asks about its asker (I, my; not you, your) and names no one,
    hits said by the assistant of an imported chat (actor ``assistant``) are
    scaled by this: the asker's facts are in what the asker said."""
    period_focus: float = 0.7
    """When a query speaks of a period ("last month", "两周前"; see
    :mod:`storage.periods`), the kinds whose time is when the thing happened or
    was said (episodes, messages, screenshots) are also ranked among their rows of
    the period alone, each such row scoring as it ranks there, and their hits from
    outside the period are scaled by this. Not a filter: people are loose with
    time. 1.0 turns the preference off (the words that only count time are still
    not searched). Measured with the ranking among the period's rows: 0.5 and 0.7
    give the same LongMemEval-S dev60 (96.7 in the first 10, 88.3 in 5); on LoCoMo
    0.7 gives R@10 80.4 against 80.2 (its 40 questions naming a date: 96.2 against
    93.8; 1.0: 91.2)."""
    chat_turn_weight: float = 0.25
    """Chat turns (questions asked of the assistant, and its answers) are ranked
    among themselves and their fused score scaled by this, so they never push the
    messages and memories they ask about down a place, and a question, which holds
    exactly the words searched again later, comes after any observation ranked in
    about the top 20 of the keyword list. 1.0 ranks them like any message."""


@dataclass(frozen=True, kw_only=True)
class ScreenSearchParams:
    """Screenshots: fusion of scores, not ranks: each list's scores are scaled to
    [0, 1] (the keyword list by its best BM25 score, times the share of the query
    it covers; the embedding lists from their weakest to their best candidate)
    and added with these weights. Measured on tests/bench/screens_websrc.py:
    unlike rank fusion, a page that only shares a side word with the question
    scores low next to the page the embeddings clearly point to."""

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
    own_text_weight: float = 1.0
    """BM25 weight of a screen's own text (OCR, title, app) ..."""
    context_weight: float = 0.5
    """... and of its context (the date it was kept)."""


@dataclass(frozen=True, kw_only=True)
class Query:
    text: str
    vector: npt.NDArray[np.float32] | None = None
    kinds: tuple[Kind, ...]
    since: str | None = None
    until: str | None = None
    limit: int = 10
    app: str | None = None
    """Only rows whose ``app`` (screenshots) holds this, any case."""
    image_vector: npt.NDArray[np.float32] | None = None
    """The query's CLIP text embedding: screenshots are also ranked by image."""
    period: Period | None = None
    """The period the query speaks of (:func:`storage.periods.spoken_period`):
    hits from it are preferred (``SearchParams.period_focus``), others still
    found, and the words that only count time ("last month") are not searched."""

    @property
    def keywords(self) -> str:
        """What keyword search looks for."""
        return self.period.keywords if self.period is not None else self.text

    @property
    def where(self) -> Where:
        return Where(since=self.since, until=self.until, app=self.app)


@dataclass(frozen=True)
class Ranked:
    """One kind's candidates after its strategy, best first."""

    rowid: int
    score: float
    via: tuple[str, ...]
    part: int | None = None


class HybridSearch:
    def __init__(
        self,
        backend: SearchBackend,
        params: SearchParams | None = None,
        screen_params: ScreenSearchParams | None = None,
    ) -> None:
        self._backend = backend
        self.params = params or SearchParams()
        self.screen_params = screen_params or ScreenSearchParams()

    def run(self, query: Query, *, screen_params: ScreenSearchParams | None = None) -> list[Hit]:
        for kind in query.kinds:
            if query.app and "app" not in kind.field_names:
                raise InvalidInputError(f"{kind.name} has no application to filter by.")
        strategies = {
            k.name: (
                ScoreFusion(self.params, screen_params or self.screen_params)
                if k.ranking == "score"
                else RankFusion(self.params)
            )
            for k in query.kinds
        }
        if query.period is not None and not any(_dated(k) for k in query.kinds):
            query = replace(query, period=None)  # nothing searched has a time to prefer
        with self._backend.searching() as prims:
            requests = {
                k.name: request
                for k in query.kinds
                if (request := strategies[k.name].vector_request(query)) is not None
            }
            # The engine may rank the vectors alongside the keyword lists.
            vectors = prims.vector_rankings(requests)
            fused, parts = self._fuse(prims, query, strategies, vectors)
            if query.period is not None and self.params.period_focus != 1.0:
                within = self._within_period(prims, query, strategies)
                if within is None:
                    # Nothing is from the period: it was misread, or the memory holds
                    # nothing from then ("last weekend" asked of an old import).
                    # Search as if it named none, its words searched again.
                    query = replace(query, period=None)
                    fused, parts = self._fuse(prims, query, strategies, vectors)
                else:
                    fused = self._prefer_period(prims, query, fused, within[0])
                    parts = {**parts, **within[1]}
            fused = self._focus_on_actor(prims, query, fused)
            fused.sort(key=lambda item: (-item[0], item[1].name, item[2]))
            # Fetch spare candidates: collapsing duplicates may drop some.
            hits = _collapse_same_sources(_hits(prims, fused[: 2 * query.limit], parts))
            return hits[: query.limit]

    def _fuse(
        self,
        prims: SearchPrimitives,
        query: Query,
        strategies: Mapping[str, RankFusion | ScoreFusion],
        vectors: Pending[dict[str, Scored]],
    ) -> tuple[list[Candidate], dict[tuple[str, int], int]]:
        """Every kind's candidates, fused by its strategy, and the part (closest
        chunk) of those found by one."""
        # Once a period took its words ("what did I do yesterday"), the function
        # words left are no keywords: the period and the meaning decide.
        terms = query_terms(query.keywords, fallback=query.period is None)
        keywords = {
            k.name: strategies[k.name].keywords(prims, k, terms, query) for k in query.kinds
        }
        fused: list[Candidate] = []
        parts: dict[tuple[str, int], int] = {}
        for kind in query.kinds:
            ranked = strategies[kind.name].fuse(
                prims, kind, query, keywords[kind.name], _Later(vectors, kind.name)
            )
            for r in ranked:
                fused.append((r.score, kind, r.rowid, r.via))
                if r.part is not None:
                    parts[(kind.name, r.rowid)] = r.part
        return fused, parts

    def _focus_on_actor(
        self, prims: SearchPrimitives, query: Query, fused: list[Candidate]
    ) -> list[Candidate]:
        known = prims.known_actors()
        named = named_in(known, query.text)
        if len(named) == 1:
            (focus,) = named
            factor = self.params.actor_focus

            def demoted(actor: str) -> bool:
                return actor != focus

        elif not named and ASSISTANT in known and asks_about_self(query.text):
            factor = self.params.first_person_focus

            def demoted(actor: str) -> bool:
                return actor == ASSISTANT

        else:
            return fused
        if factor == 1.0:
            return fused
        actors: dict[tuple[str, int], object] = {}
        for kind in {c[1] for c in fused if c[1].actor_field}:
            assert kind.actor_field is not None
            rowids = [c[2] for c in fused if c[1] is kind]
            for rowid, actor in prims.values(kind, rowids, kind.actor_field).items():
                actors[(kind.name, rowid)] = actor
        out: list[Candidate] = []
        for score, kind, rowid, via in fused:
            actor = actors.get((kind.name, rowid))
            if isinstance(actor, str) and actor and demoted(actor.casefold()):
                score *= factor
            out.append((score, kind, rowid, via))
        return out

    def _within_period(
        self,
        prims: SearchPrimitives,
        query: Query,
        strategies: Mapping[str, RankFusion | ScoreFusion],
    ) -> tuple[list[Candidate], dict[tuple[str, int], int]] | None:
        """The kinds with a time of their own ranked again among their rows of the
        period alone (the question's time filter kept), so that a row of the period
        is found however many others outrank it ("what did I do yesterday" in years
        of memories); None when the period holds no candidate."""
        assert query.period is not None
        since, until = query.period.bounds()
        if query.since is not None:
            since = max(since, query.since)
        if query.until is not None:
            until = min(until, query.until)
        if since > until:
            return None
        narrowed = replace(
            query, kinds=tuple(k for k in query.kinds if _dated(k)), since=since, until=until
        )
        requests = {
            k.name: request
            for k in narrowed.kinds
            if (request := strategies[k.name].vector_request(narrowed)) is not None
        }
        # Started after the first rankings were read: one engine connection at a time.
        within = self._fuse(prims, narrowed, strategies, prims.vector_rankings(requests))
        return within if within[0] else None

    def _prefer_period(
        self,
        prims: SearchPrimitives,
        query: Query,
        fused: list[Candidate],
        within: list[Candidate],
    ) -> list[Candidate]:
        """A row of the period scores as it ranks among the period's rows (or as
        before, if better); a row of a kind with a time of its own from outside the
        period is scaled by ``period_focus``; the other kinds are left as they are."""
        assert query.period is not None
        since, until = query.period.bounds()
        inside = {(c[1].name, c[2]): c for c in within}
        dated = {c[1] for c in fused if _dated(c[1])}
        times: dict[tuple[str, int], object] = {}
        for kind in dated:
            rowids = [c[2] for c in fused if c[1] is kind and (kind.name, c[2]) not in inside]
            for rowid, at in prims.values(kind, rowids, kind.time_column).items():
                times[(kind.name, rowid)] = at
        out: list[Candidate] = []
        for candidate in fused:
            score, kind, rowid, via = candidate
            key = (kind.name, rowid)
            if key in inside:
                better = inside.pop(key)
                out.append(better if better[0] >= score else candidate)
                continue
            at = times.get(key)
            if kind in dated and not (isinstance(at, str) and since <= at <= until):
                score *= self.params.period_focus
            out.append((score, kind, rowid, via))
        out.extend(inside.values())  # rows of the period no ranking of all rows reached
        return out


def from_period(hit: Hit, period: Period) -> bool:
    """Whether a hit of a kind with a time of its own is from what search prefers
    of ``period`` (:meth:`Period.window`)."""
    since, until = period.bounds()
    return _dated(kind_named(hit.type)) and since <= hit.at <= until


def _dated(kind: Kind) -> bool:
    """Whether a kind's time is when the thing happened or was said (an episode, a
    message, a screenshot), part of what it holds; a fact's ``created_at`` is
    when it was written down, and a period asked about does not apply to it."""
    return kind.time_column in kind.field_names


class _Later:
    """One kind's vector list out of the rankings the engine started."""

    def __init__(self, pending: Pending[dict[str, Scored]], name: str) -> None:
        self._pending = pending
        self._name = name

    def result(self) -> Scored:
        return self._pending.result().get(self._name, [])


# -- rank fusion (memories, messages) -----------------------------------------------


class RankFusion:
    def __init__(self, params: SearchParams) -> None:
        self.p = params

    def vector_request(self, query: Query) -> VectorRequest | None:
        if query.vector is None:
            return None
        return VectorRequest(query.vector, query.where, self.p.depth)

    def keywords(
        self, prims: SearchPrimitives, kind: Kind, terms: list[str], query: Query
    ) -> Scored:
        weights = (self.p.own_text_weight, self.p.context_weight)
        return prims.keyword_ranking(
            kind, terms, where=query.where, depth=self.p.depth, weights=weights
        )

    def fuse(
        self,
        prims: SearchPrimitives,
        kind: Kind,
        query: Query,
        keywords: Scored,
        vectors: Pending[Scored],
    ) -> list[Ranked]:
        """One kind's fused scores; chat turns ranked apart, at ``chat_turn_weight``."""
        text = [rowid for rowid, _ in keywords]
        vector = [rowid for rowid, _ in vectors.result()]
        vw = self.p.cjk_vector_weight if mostly_cjk(query.text) else self.p.vector_weight
        weight = self.p.chat_turn_weight
        if kind is not MESSAGE or weight == 1.0:
            return _ranked(self.fuse_ranks(text, vector, vector_weight=vw))
        chat = chat_turns(prims, kind, [*text, *vector])
        if not chat:
            return _ranked(self.fuse_ranks(text, vector, vector_weight=vw))
        fused = self.fuse_ranks(
            [r for r in text if r not in chat],
            [r for r in vector if r not in chat],
            vector_weight=vw,
        )
        turns = self.fuse_ranks(
            [r for r in text if r in chat], [r for r in vector if r in chat], vector_weight=vw
        )
        fused.update({rowid: (score * weight, via) for rowid, (score, via) in turns.items()})
        return _ranked(fused)

    def fuse_ranks(
        self,
        text: Sequence[int],
        vector: Sequence[int],
        image: Sequence[int] = (),
        *,
        vector_weight: float | None = None,
    ) -> dict[int, tuple[float, tuple[str, ...]]]:
        p = self.p
        vw = p.vector_weight if vector_weight is None else vector_weight
        out: dict[int, tuple[float, tuple[str, ...]]] = {}
        for name, weight, ranking in (
            ("text", p.text_weight, text),
            ("vector", vw, vector),
            ("image", vw, image),  # the image is a meaning list too
        ):
            for rank, rowid in enumerate(ranking, start=1):
                score, via = out.get(rowid, (0.0, ()))
                out[rowid] = (score + weight / (p.rrf_k + rank), (*via, name))
        return out


def _ranked(fused: Mapping[int, tuple[float, tuple[str, ...]]]) -> list[Ranked]:
    return [Ranked(rowid, score, via) for rowid, (score, via) in fused.items()]


def chat_turns(prims: SearchPrimitives, kind: Kind, rowids: Sequence[int]) -> set[int]:
    """Those of the message rowids that are chat turns (see ``CHAT_PREFIX``)."""
    external = prims.values(kind, sorted(set(rowids)), "external_id")
    return {
        r for r, ext in external.items() if isinstance(ext, str) and ext.startswith(CHAT_PREFIX)
    }


# -- score fusion (screenshots) ------------------------------------------------------


class ScoreFusion:
    def __init__(self, params: SearchParams, screen: ScreenSearchParams) -> None:
        self.rank = RankFusion(params)
        self.p = screen

    def depth(self, query: Query) -> int:
        return max(self.p.depth, query.limit)

    def pool(self, query: Query) -> int:
        depth = self.depth(query)
        return depth * max(1, self.p.chunk_pool) if self.p.chunk_weight > 0 else depth

    def vector_request(self, query: Query) -> VectorRequest | None:
        if query.vector is None:
            return None
        return VectorRequest(
            query.vector, query.where, self.pool(query), exact_within=self.p.app_exact_max
        )

    def keywords(
        self, prims: SearchPrimitives, kind: Kind, terms: list[str], query: Query
    ) -> Scored:
        return prims.keyword_ranking(
            kind,
            terms,
            where=query.where,
            depth=self.depth(query),
            weights=(self.p.own_text_weight, self.p.context_weight),
        )

    def fuse(
        self,
        prims: SearchPrimitives,
        kind: Kind,
        query: Query,
        keywords: Scored,
        vectors: Pending[Scored],
    ) -> list[Ranked]:
        p = self.p
        depth = self.depth(query)
        coverage = term_coverage(prims, kind, query.keywords, [r for r, _ in keywords])
        best = max((score for _, score in keywords), default=0.0)
        closest: dict[int, int] = {}
        meaning: Scored = []
        if query.vector is not None:
            meaning = self._meaning(prims, kind, query.vector, vectors.result(), depth, closest)
        image: Scored = []
        if query.image_vector is not None:
            image = prims.image_ranking(kind, query.image_vector, where=query.where, depth=depth)
        text = [(r, coverage[r] * s / best) for r, s in keywords if best > 0]
        # A screen only the vector list holds must be close enough by meaning (the
        # list is scaled whole first: the weakest candidate sets its zero).
        others = {r for r, _ in text} | {r for r, _ in image}
        far = {r for r, v in meaning if v < p.min_meaning and r not in others}
        lists = [("text", p.text_weight, text), ("vector", p.vector_weight, _scaled(meaning))]
        if query.image_vector is not None:
            lists.append(("image", p.image_weight, _scaled(image)))
        fused: dict[int, tuple[float, tuple[str, ...]]] = {}
        for name, weight, scored in lists:
            for rowid, value in scored:
                total, via = fused.get(rowid, (0.0, ()))
                fused[rowid] = (total + weight * value, (*via, name))
        order = sorted(
            ((r, v) for r, v in fused.items() if r not in far),
            key=lambda item: (-item[1][0], item[0]),
        )
        # Comparable with other kinds: the scores rank fusion gives these lists,
        # handed out in this strategy's order.
        by_text = sorted(text, key=lambda item: (-item[1], item[0]))
        common = self.rank.fuse_ranks(
            [r for r, _ in by_text], [r for r, _ in meaning if r not in far], [r for r, _ in image]
        )
        scores = sorted((score for score, _ in common.values()), reverse=True)
        return [
            Ranked(rowid, score, via, closest.get(rowid))
            for (rowid, (_, via)), score in zip(order, scores, strict=True)
        ]

    def _meaning(
        self,
        prims: SearchPrimitives,
        kind: Kind,
        vector: npt.NDArray[np.float32],
        scored: Scored,
        depth: int,
        closest: dict[int, int],
    ) -> Scored:
        """(rowid, meaning score) best first; fills ``closest`` with each screen's
        closest chunk where its chunk vectors are known."""
        p = self.p
        if p.chunk_weight > 0:
            chunks = prims.chunk_vectors(kind, [r for r, _ in scored], int(vector.shape[0]))
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


def term_coverage(
    prims: SearchPrimitives, kind: Kind, text: str, rowids: Sequence[int]
) -> dict[int, float]:
    """For each row in ``rowids``: the share of the query's weight (the IDF of each
    of its words, words no row holds counting the most) that the row matches. A
    page matching one side word of a question scores low."""
    terms = query_terms(text)
    if not terms or not rowids:
        return {}
    counts = prims.term_counts(kind, terms, rowids)
    weights = {
        term: float(np.log(1.0 + (counts.total - n + 0.5) / (n + 0.5)))
        for term, n in ((t, counts.docs.get(t, 0)) for t in terms)
    }
    mass = sum(weights.values()) or 1.0
    return {
        rowid: sum(w for t, w in weights.items() if rowid in counts.holders.get(t, set())) / mass
        for rowid in rowids
    }


def _scaled(scored: Scored) -> Scored:
    """Similarities scaled so the weakest candidate is 0 and the best 1."""
    if not scored:
        return []
    values = [s for _, s in scored]
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return [(r, 1.0) for r, _ in scored]
    return [(r, (s - low) / (high - low)) for r, s in scored]


# -- hits ----------------------------------------------------------------------------


ASSISTANT = "assistant"
"""The actor of an imported chat's assistant turns (a message whose speaker is
``assistant``, or with the role ``assistant`` and no speaker)."""
_FIRST_PERSON = re.compile(r"(?<!\w)(?:i|i'm|i've|i'd|i'll|me|my|mine|myself)(?!\w)|我")
_SECOND_PERSON = re.compile(
    r"(?<!\w)(?:you|you're|you've|you'd|you'll|your|yours|yourself)(?!\w)|你|您"
)


def asks_about_self(text: str) -> bool:
    """Whether a question speaks of its asker (I, my, 我) and not to the one it
    asks (you, your, 你): "which doctors did I visit", not "what did you suggest"."""
    lowered = text.casefold().replace("\u2019", "'")
    return bool(_FIRST_PERSON.search(lowered)) and not _SECOND_PERSON.search(lowered)


def named_in(names: frozenset[str], text: str) -> set[str]:
    """The known names (casefolded) that occur in ``text`` as whole words."""
    lowered = text.casefold()
    return {n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", lowered) is not None}


def _hits(
    prims: SearchPrimitives, fused: list[Candidate], parts: dict[tuple[str, int], int]
) -> list[Hit]:
    by_kind: dict[str, tuple[Kind, list[int]]] = {}
    for _, kind, rowid, _ in fused:
        by_kind.setdefault(kind.name, (kind, []))[1].append(rowid)
    rows: dict[tuple[str, int], FoundRow] = {}
    for name, (kind, rowids) in by_kind.items():
        for rowid, found in prims.rows(kind, rowids).items():
            rows[(name, rowid)] = found
    hits: list[Hit] = []
    for score, kind, rowid, via in fused:
        row = rows.get((kind.name, rowid))
        if row is None:  # deleted between ranking and fetch
            continue
        hits.append(
            Hit(
                type=kind.name,
                id=row.id,
                score=score,
                text=display_text(kind, row.fields),
                at=row.at,
                sources=row.sources,
                matched_by=via,
                fields=row.fields,
                part=parts.get((kind.name, rowid)),
            )
        )
    return hits


def _collapse_same_sources(hits: list[Hit]) -> list[Hit]:
    """Keep the best hit per set of sources: a raw message and the memory made
    from it alone say the same thing, so the lower one only pushes others out."""
    seen: set[frozenset[tuple[str, str]]] = set()
    out: list[Hit] = []
    for hit in hits:
        key = frozenset((s.kind, s.id) for s in hit.sources)
        if key and key in seen:
            continue
        seen.add(key)
        out.append(hit)
    return out
