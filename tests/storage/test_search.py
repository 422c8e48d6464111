"""storage/search.py: hybrid search per type and across types, filters, provenance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage import Query, SearchParams, SourceRef, Storage
from storage.kinds import ALL_KINDS, BY_NAME, MEMORY_KINDS, parse_time
from storage.periods import spoken_period
from storage.search import asks_about_self
from tests.fakes import BODIES, FakeEmbedder
from tests.storage.conftest import rowids, searching

EMB = FakeEmbedder()


def _query(text: str, kinds: tuple[str, ...] = (), **kw: object) -> Query:
    chosen = tuple(BY_NAME[k] for k in kinds) if kinds else ALL_KINDS
    return Query(text=text, vector=EMB.vector(text), kinds=chosen, **kw)  # type: ignore[arg-type]


def _add(storage: Storage, type_name: str, body: dict[str, object], **kw: object) -> str:
    from storage.kinds import index_text, validate_fields

    kind = BY_NAME[type_name]
    vector = EMB.vector(index_text(kind, validate_fields(kind, body)))
    return storage.memories[type_name].add(body, embedding=vector, **kw).id  # type: ignore[arg-type]


@pytest.fixture
def filled(storage: Storage) -> dict[str, str]:
    ids = {name: _add(storage, name, body) for name, body in BODIES.items()}
    storage.core.rewrite("human", "Name: Sam\nClimbs with Jordan on weekends")
    ids["core"] = "core_human"
    return ids


@pytest.mark.parametrize("type_name", sorted(BODIES))
def test_each_type_is_found_by_its_own_words(
    storage: Storage, filled: dict[str, str], type_name: str
) -> None:
    words = {
        "episodic": "Mount Tam hike",
        "semantic": "climbing partner",
        "procedural": "release the app",
        "resource": "Quarterly report revenue",
        "knowledge_vault": "GitHub token",
    }[type_name]
    hits = storage.search.run(_query(words, (type_name,)))
    assert [h.id for h in hits][:1] == [filled[type_name]]
    assert {h.type for h in hits} == {type_name}
    across = storage.search.run(_query(words))
    assert across[0].id == filled[type_name]


def test_core_blocks_are_searchable_by_text(storage: Storage, filled: dict[str, str]) -> None:
    hits = storage.search.run(Query(text="weekends", kinds=(BY_NAME["core"],)))
    assert [h.id for h in hits] == ["core_human"]


def test_the_vault_secret_is_not_searchable(storage: Storage, filled: dict[str, str]) -> None:
    hits = storage.search.run(Query(text="ghp_s3cr3t", kinds=MEMORY_KINDS))
    assert hits == []


def test_type_filter_limits_the_kinds(storage: Storage, filled: dict[str, str]) -> None:
    hits = storage.search.run(_query("Jordan", ("semantic",)))
    assert {h.type for h in hits} == {"semantic"}
    both = storage.search.run(_query("Jordan", ("semantic", "episodic")))
    assert {h.type for h in both} == {"semantic", "episodic"}


def test_limit_is_respected_and_scores_descend(storage: Storage) -> None:
    for i in range(15):
        _add(storage, "semantic", {"name": f"fact {i}", "summary": f"shared word number {i}"})
    hits = storage.search.run(_query("shared word", limit=7))
    assert len(hits) == 7
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(h.score > 0 for h in hits)


def test_time_range_filters_text_and_vector_matches(storage: Storage) -> None:
    ids = {
        year: _add(
            storage,
            "episodic",
            {"occurred_at": f"{year}-03-01T12:00:00Z", "summary": f"ski trip in the alps {year}"},
        )
        for year in (2020, 2021, 2022, 2023)
    }

    def found(**kw: str) -> set[str]:
        bounds = {k: parse_time(v) for k, v in kw.items()}
        return {h.id for h in storage.search.run(_query("ski trip alps", ("episodic",), **bounds))}

    assert found() == set(ids.values())
    assert found(since="2022-01-01") == {ids[2022], ids[2023]}
    assert found(until="2021-03-01T12:00:00Z") == {ids[2020], ids[2021]}  # bounds inclusive
    assert found(since="2021-01-01", until="2022-12-31") == {ids[2021], ids[2022]}
    assert found(since="2024-01-01") == set()
    text_only = storage.search.run(
        Query(text="ski", kinds=(BY_NAME["episodic"],), since=parse_time("2023-01-01"))
    )
    assert [h.id for h in text_only] == [ids[2023]]
    vector_only = storage.search.run(
        Query(
            text="",
            vector=EMB.vector("ski trip alps"),
            kinds=(BY_NAME["episodic"],),
            until=parse_time("2020-12-31"),
        )
    )
    assert [h.id for h in vector_only] == [ids[2020]]


def test_deleted_memories_are_hidden_until_restored(
    storage: Storage, filled: dict[str, str]
) -> None:
    target = filled["semantic"]
    before = [h.id for h in storage.search.run(_query("climbing partner Jordan"))]
    assert target in before
    storage.memories["semantic"].delete(target)
    hidden = [h.id for h in storage.search.run(_query("climbing partner Jordan"))]
    assert hidden == [i for i in before if i != target]
    assert storage.search.run(_query("climbing partner", ("semantic",))) == []
    storage.memories["semantic"].restore(target)
    assert [h.id for h in storage.search.run(_query("climbing partner Jordan"))] == before


def test_edited_text_is_found_and_old_text_is_not(storage: Storage) -> None:
    item = _add(storage, "semantic", {"name": "pet", "summary": "owns a tortoise"})
    storage.memories["semantic"].update(
        item, {"summary": "owns a hedgehog"}, embedding=EMB.vector("pet owns a hedgehog")
    )
    assert [h.id for h in storage.search.run(_query("hedgehog"))] == [item]
    assert item not in {h.id for h in storage.search.run(Query(text="tortoise", kinds=ALL_KINDS))}


def test_hits_carry_sources_and_messages_are_their_own_source(storage: Storage) -> None:
    msg = storage.messages.add(
        {
            "role": "user",
            "speaker": "Ann",
            "text": "We adopted a greyhound",
            "at": "2023-04-01",
            "external_id": "D7:3",
        },
        embedding=EMB.vector("We adopted a greyhound"),
    )
    memory = _add(
        storage,
        "episodic",
        {"occurred_at": "2023-04-01", "summary": "Ann adopted a greyhound"},
        sources=[SourceRef("message", msg.id)],
    )
    ref = SourceRef("message", msg.id, "D7:3")
    (episode,) = storage.search.run(_query("greyhound", ("episodic",)))
    assert (episode.id, episode.sources) == (memory, (ref,))
    (raw,) = storage.search.run(_query("greyhound", ("message",)))
    assert (raw.id, raw.type, raw.sources) == (msg.id, "message", (ref,))
    across = storage.search.run(_query("greyhound"))
    assert across[0].sources == (ref,)
    as_dict = episode.to_dict()
    assert as_dict["sources"] == [{"kind": "message", "id": msg.id, "external_id": "D7:3"}]
    assert set(as_dict) >= {"type", "id", "score", "text", "sources"}


@pytest.mark.parametrize(
    "query", ['"', "AND OR NOT", "NEAR(a b", "col:value", "a* -b ^c", "())(", "  ", "🎉"]
)
def test_query_syntax_never_breaks_search(
    storage: Storage, filled: dict[str, str], query: str
) -> None:
    hits = storage.search.run(Query(text=query, kinds=ALL_KINDS))
    assert isinstance(hits, list)


def test_unicode_text_is_found_by_its_exact_words(storage: Storage) -> None:
    cjk = _add(storage, "semantic", {"name": "散步", "summary": "我喜欢在周末去公园散步"})
    emoji = _add(storage, "semantic", {"name": "party", "summary": "Birthday 🎉 at Café Zoë"})
    assert storage.search.run(_query("我喜欢在周末去公园散步"))[0].id == cjk
    assert storage.search.run(Query(text="cafe zoe", kinds=ALL_KINDS))[0].id == emoji


def test_a_word_is_found_in_its_other_forms(storage: Storage) -> None:
    at = "2026-05-01T10:00:00Z"
    running = _said(storage, "Ann", "Ann was running by the river", at)
    chinese = _said(storage, "Ann", "我喜欢猫，也喜欢下雨天", at)
    french = _said(storage, "Ann", "Rendez-vous au café à midi", at)
    fullwidth = _said(storage, "Ann", "型号ＡＢＣ１２３已售罄", at)

    def found(text: str) -> list[str]:
        return [h.id for h in storage.search.run(Query(text=text, kinds=(BY_NAME["message"],)))]

    assert found("who runs?") == [running]  # its stem
    assert found("下雨") == found("喜欢") == [chinese]  # inside an unspaced sentence
    assert found("狗") == []
    assert found("cafe") == [french]  # without its accent
    assert found("abc123") == [fullwidth]  # full-width letters and digits


def test_the_search_primitives_read_rows_terms_and_values(storage: Storage) -> None:
    values = {"role": "user", "speaker": "Ann", "text": "Ann adopted Miso"}
    msg = storage.messages.add({**values, "at": "2026-05-01T10:00:00Z", "external_id": "ext-1"})
    episode = storage.memories["episodic"].add(
        {"occurred_at": "2026-05-01T10:00:00Z", "actor": "Ann", "summary": "adopted Miso"},
        sources=[SourceRef("message", msg.id)],
    )
    vault = storage.memories["knowledge_vault"].add(
        {"entry_type": "pin", "sensitivity": "low", "caption": "Miso's chip", "secret_value": "981"}
    )
    (m_row,) = rowids(storage, [msg.id])
    (e_row,) = rowids(storage, [episode.id])
    (v_row,) = rowids(storage, [vault.id])
    with searching(storage) as s:
        found = s.rows(BY_NAME["episodic"], [e_row, 999])
        assert list(found) == [e_row]
        assert (found[e_row].id, found[e_row].at) == (episode.id, "2026-05-01T10:00:00.000000Z")
        assert found[e_row].sources == (SourceRef("message", msg.id, "ext-1"),)
        secret = s.rows(BY_NAME["knowledge_vault"], [v_row])[v_row].fields
        assert secret["caption"] == "Miso's chip" and "secret_value" not in secret
        assert s.values(BY_NAME["message"], [m_row], "external_id") == {m_row: "ext-1"}
        assert s.known_actors() == frozenset({"ann"})
        counts = s.term_counts(BY_NAME["message"], ["miso", "dog"], [m_row])
        assert (counts.total, counts.docs, counts.holders) == (
            1,
            {"miso": 1, "dog": 0},
            {"miso": {m_row}, "dog": set()},
        )


def _said(storage: Storage, speaker: str, text: str, at: str) -> str:
    msg = storage.messages.add(
        {"role": "other", "speaker": speaker, "text": text, "at": at}, embedding=EMB.vector(text)
    )
    return msg.id


def test_a_query_naming_one_person_prefers_what_that_person_said(storage: Storage) -> None:
    ann = _said(storage, "Ann", "I painted a lake", "2023-06-01T10:00:00Z")
    # Bob's line matches Ann's question better on words alone (it even names her).
    bob = _said(
        storage, "Bob", "Ann, I painted a lake last summer, a lake!", "2023-06-01T10:01:00Z"
    )
    kinds = (BY_NAME["message"],)
    about_ann = storage.search.run(Query(text="What did Ann paint last summer?", kinds=kinds))
    about_bob = storage.search.run(Query(text="What did Bob paint last summer?", kinds=kinds))
    assert [h.id for h in about_ann][:1] == [ann]
    assert [h.id for h in about_bob][:1] == [bob]
    storage.search.params = SearchParams(actor_focus=1.0)  # the rule is what decides
    unfocused = storage.search.run(Query(text="What did Ann paint last summer?", kinds=kinds))
    assert [h.id for h in unfocused][:1] == [bob]
    both = storage.search.run(Query(text="Did Ann and Bob paint a lake?", kinds=kinds))
    assert {h.id for h in both} == {ann, bob}  # two names: no preference, both found


def _turn(storage: Storage, actor: str, text: str, at: str) -> str:
    body = {"occurred_at": at, "actor": actor, "summary": f"{actor}: {text}"}
    return _add(storage, "episodic", body)


def test_a_question_about_its_asker_prefers_what_the_asker_said(storage: Storage) -> None:
    # An imported chat with an assistant: the user's own words hold the user's facts,
    # the assistant's reply repeats the question's words more often.
    mine = _turn(storage, "user", "Dr Lee, my dermatologist, looked at it", "2023-05-01T10:00:00Z")
    reply = _turn(
        storage,
        "assistant",
        "Which dermatologist to see about a rash? See a dermatologist about any rash",
        "2023-05-01T10:01:00Z",
    )
    kinds = ("episodic",)
    about_me = _query("Which dermatologist did I see?", kinds)
    asked = _query("What did you say about my dermatologist and my rash?", kinds)
    assert [h.id for h in storage.search.run(about_me)][:1] == [mine]
    focused = [h.id for h in storage.search.run(asked)]
    storage.search.params = SearchParams(actor_focus=1.0)  # the other rule off: this one holds
    assert [h.id for h in storage.search.run(about_me)][:1] == [mine]
    storage.search.params = SearchParams(first_person_focus=1.0)  # the rule is what decides
    assert [h.id for h in storage.search.run(about_me)][:1] == [reply]
    # Asked of the assistant ("you"): no preference, the words decide.
    assert [h.id for h in storage.search.run(asked)] == focused


def test_without_an_assistant_in_the_memory_first_person_changes_nothing(
    storage: Storage,
) -> None:
    ann = _turn(storage, "Ann", "I saw the dermatologist about my rash", "2023-05-01T10:00:00Z")
    bob = _turn(
        storage,
        "Bob",
        "the dermatologist, the dermatologist: a rash, a rash",
        "2023-05-01T10:01:00Z",
    )
    query = _query("Which dermatologist did I see about my rash?", ("episodic",))
    focused = [h.id for h in storage.search.run(query)]
    storage.search.params = SearchParams(first_person_focus=1.0)
    assert [h.id for h in storage.search.run(query)] == focused
    assert set(focused) == {ann, bob}


@pytest.mark.parametrize(
    ("text", "about_self"),
    [
        ("How many different doctors did I visit?", True),
        ("What is the order of the trips I\u2019ve taken?", True),
        ("我去年去过哪些城市？", True),
        ("What did you recommend for my trip?", False),
        ("你推荐的书是什么？", False),
        ("What did Caroline paint?", False),
        ("Is Iran far from Iraq?", False),
    ],
)
def test_asks_about_self(text: str, about_self: bool) -> None:
    assert asks_about_self(text) is about_self


def test_context_is_searchable_but_ranks_below_own_text(storage: Storage) -> None:
    kind = BY_NAME["episodic"]
    own = storage.memories["episodic"].add(
        {"occurred_at": "2023-01-01", "summary": "We adopted a greyhound"},
    )
    ctx = storage.memories["episodic"].add(
        {"occurred_at": "2023-01-01", "summary": "Yes, last Friday!"},
        context="Did you really adopt a greyhound?",
    )
    hits = storage.search.run(Query(text="greyhound", kinds=(kind,)))
    assert [h.id for h in hits] == [own.id, ctx.id]


CJK_ROWS = {
    "zh": "周末去动物救助站领养了一只橘猫，给它起名叫年糕",
    "ja": "昨日は新宿の本屋で村上春樹の新しい小説を買いました",
    "mixed": "下周三把MacBook Pro送去Apple Store修键盘",
    "ko": "다음 주에 부산으로 출장을 갑니다",
}


@pytest.mark.parametrize(
    ("keyword", "row"),
    [
        ("救助站", "zh"),
        ("年糕", "zh"),
        ("橘猫在哪里领养的？", "zh"),
        ("本屋", "ja"),
        ("村上春樹", "ja"),
        ("小説を買った", "ja"),
        ("键盘", "mixed"),
        ("macbook", "mixed"),
        ("Apple Store 修", "mixed"),
        ("부산", "ko"),
    ],
)
def test_a_word_inside_unspaced_cjk_text_is_a_keyword_hit(
    storage: Storage, keyword: str, row: str
) -> None:
    ids = {}
    for name, text in CJK_ROWS.items():
        ids[name] = storage.messages.add(
            {"role": "user", "speaker": "Lin", "text": text, "at": "2024-03-02"}
        ).id
        _add(storage, "semantic", {"name": name, "summary": text})
    hits = storage.search.run(Query(text=keyword, kinds=(BY_NAME["message"],)))
    assert [h.id for h in hits][:1] == [ids[row]]
    memories = storage.search.run(Query(text=keyword, kinds=(BY_NAME["semantic"],)))
    assert memories and memories[0].text.endswith(CJK_ROWS[row])


def test_an_edited_cjk_memory_leaves_no_stale_keywords(storage: Storage) -> None:
    item = _add(storage, "semantic", {"name": "猫", "summary": "我的猫叫年糕"})
    storage.memories["semantic"].update(item, {"summary": "我的狗叫豆豆"})
    semantic = (BY_NAME["semantic"],)
    assert storage.search.run(Query(text="年糕", kinds=semantic)) == []
    assert [h.id for h in storage.search.run(Query(text="豆豆", kinds=semantic))] == [item]
    storage.memories["semantic"].delete(item)
    assert storage.search.run(Query(text="豆豆", kinds=semantic)) == []


@pytest.mark.parametrize(
    ("short", "long", "query"),
    [
        (
            "red kite festival",
            "we flew a red kite at the festival by the windy beach",
            "red kite festival",
        ),
        ("风筝节", "下午我们在海边放风筝，风筝节人很多，风很大", "风筝节"),
    ],
)
def test_the_vector_list_weighs_by_the_query_s_script(
    storage: Storage, short: str, long: str, query: str
) -> None:
    # The keyword list ranks the short row first, the vector list the long one.
    at = "2024-05-01T10:00:00Z"
    first = _add(storage, "episodic", {"occurred_at": at, "summary": short})
    second = _add(storage, "episodic", {"occurred_at": at, "summary": long})
    ask = Query(text=query, vector=EMB.vector(long), kinds=(BY_NAME["episodic"],))
    cjk = query == "风筝节"
    storage.search.params = SearchParams(vector_weight=0.5, cjk_vector_weight=2.0)
    assert [h.id for h in storage.search.run(ask)] == ([second, first] if cjk else [first, second])
    storage.search.params = SearchParams(vector_weight=2.0, cjk_vector_weight=0.5)
    assert [h.id for h in storage.search.run(ask)] == ([first, second] if cjk else [second, first])


# -- a period asked about ----------------------------------------------------------------

ASKED = datetime(2023, 6, 1, 3, 56, tzinfo=UTC)


def _asked(text: str, kinds: tuple[str, ...], now: datetime = ASKED) -> Query:
    return _query(text, kinds, period=spoken_period(text, now))


def test_a_period_asked_about_prefers_what_happened_then(storage: Storage) -> None:
    then = _said(storage, "Sam", "I got a lamp", "2023-04-10T10:00:00Z")
    # Matches more of the words, but a year before the months asked about.
    before = _said(storage, "Sam", "Which lamp to buy? I buy a lamp", "2022-04-10T10:00:00Z")
    query = _asked("Which lamp did I buy in the past three months?", ("message",))
    assert [h.id for h in storage.search.run(query)] == [then, before]  # preferred, not filtered
    storage.search.params = SearchParams(period_focus=1.0)  # the rule is what decides
    assert [h.id for h in storage.search.run(query)][:1] == [before]


def test_words_that_only_count_time_are_not_searched(storage: Storage) -> None:
    trip = _said(storage, "Sam", "Back from the Yosemite trip", "2023-05-15T10:00:00Z")
    stamps = _said(
        storage, "Sam", "Collecting stamps for the past three months", "2023-05-16T10:00:00Z"
    )
    hits = storage.search.run(
        _asked("Which trip did I take in the past three months?", ("message",))
    )
    assert hits[0].id == trip
    assert all("text" not in h.matched_by for h in hits if h.id == stamps)
    # Without the period, the same words match the stamps by keyword.
    plain = storage.search.run(
        _query("Which trip did I take in the past three months?", ("message",))
    )
    assert any("text" in h.matched_by for h in plain if h.id == stamps)


def test_a_period_the_memory_holds_nothing_from_changes_nothing(storage: Storage) -> None:
    # An old import asked about "last weekend" years later: the words still count.
    _said(storage, "Sam", "Last weekend I volunteered at the food bank", "2023-05-27T10:00:00Z")
    _said(storage, "Sam", "I volunteered at the shelter", "2023-03-01T10:00:00Z")
    text = "Where did I volunteer last weekend?"
    later = datetime(2026, 12, 7, tzinfo=UTC)
    asked = storage.search.run(_asked(text, ("message",), later))
    plain = storage.search.run(_query(text, ("message",)))
    assert [(h.id, h.score, h.matched_by) for h in asked] == [
        (h.id, h.score, h.matched_by) for h in plain
    ]


def test_a_period_leaves_facts_as_they_are(storage: Storage) -> None:
    # A fact's time is when it was written down, not when it happened.
    fact = _add(storage, "semantic", {"name": "Lamp", "summary": "Sam owns a green lamp"})
    _said(storage, "Sam", "The green lamp arrived", "2023-05-20T10:00:00Z")
    _said(storage, "Sam", "A green lamp is on sale", "2020-01-20T10:00:00Z")
    text = "Which green lamp did I get last month?"
    asked = {h.id: h.score for h in storage.search.run(_asked(text, ("semantic", "message")))}
    storage.search.params = SearchParams(period_focus=1.0)
    plain = {h.id: h.score for h in storage.search.run(_asked(text, ("semantic", "message")))}
    assert asked[fact] == pytest.approx(plain[fact])


def test_a_period_prefers_screens_kept_then(storage: Storage) -> None:
    def keep(text: str, at: str) -> str:
        values = {"at": at, "app": "mail", "window_title": "Inbox", "ocr_text": text}
        return storage.screenshots.add(values, embedding=EMB.vector(text)).id

    older = keep("Invoice from Acme: invoice 7, Acme invoice total", "2023-04-02T09:00:00Z")
    recent = keep("Invoice from Acme", "2023-05-31T09:00:00Z")
    text = "the Acme invoice I saw yesterday"
    assert [h.id for h in storage.search.run(_query(text, ("screenshot",)))] == [older, recent]
    assert [h.id for h in storage.search.run(_asked(text, ("screenshot",)))] == [recent, older]


def test_a_period_asked_about_in_chinese(storage: Storage) -> None:
    then = _said(storage, "Sam", "新灯到了", "2023-05-10T10:00:00Z")
    before = _said(storage, "Sam", "买灯：我买了一盏新灯，一盏好灯", "2022-05-10T10:00:00Z")
    query = _asked("我上个月买了什么灯？", ("message",))
    assert query.period is not None and query.period.words == ("上个月",)
    hits = storage.search.run(query)
    focused = {h.id: h.score for h in hits}
    storage.search.params = SearchParams(period_focus=1.0)
    plain = {h.id: h.score for h in storage.search.run(query)}
    assert hits[0].id == then
    assert focused[then] >= plain[then]  # from last month: ranked among its rows
    scale = SearchParams().period_focus
    assert focused[before] == pytest.approx(plain[before] * scale)  # from a year before


def test_a_row_of_the_period_is_found_below_many_better_matches(storage: Storage) -> None:
    # "What did I do yesterday?" in a memory of many days: yesterday's one row is
    # far below the depth of the rankings over all rows, and still comes first.
    for day in range(1, 29):
        for n in range(3):
            _said(
                storage,
                "Sam",
                f"I did the laundry, day {day} {n}",
                f"2023-04-{day:02d}T1{n}:00:00Z",
            )
    yesterday = _said(storage, "Sam", "Fixed the bike", "2023-05-31T18:00:00Z")
    storage.search.params = SearchParams(depth=20)
    hits = storage.search.run(_asked("What did I do yesterday?", ("message",)))
    assert hits[0].id == yesterday
    storage.search.params = SearchParams(depth=20, period_focus=1.0)
    assert (
        yesterday
        not in [h.id for h in storage.search.run(_asked("What did I do yesterday?", ("message",)))][
            :5
        ]
    )
