"""storage/periods.py: the period a question speaks of, in English, Chinese,
Japanese and Korean, read against when it is asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from storage.periods import Period, spoken_period

# A Thursday, early in the morning.
NOW = datetime(2023, 6, 1, 3, 56, tzinfo=UTC)


def _period(text: str, now: datetime = NOW) -> Period:
    period = spoken_period(text, now)
    assert period is not None, text
    return period


def _utc(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=UTC)


def _covers(period: Period, start: str, end: str) -> bool:
    """Whether what search prefers takes in the whole of [start, end] (UTC)."""
    since, until = period.window()
    return since <= _utc(start) and _utc(end) <= until


def _holds(period: Period, moment: str) -> bool:
    """Whether what search prefers holds ``moment`` (UTC)."""
    since, until = period.window()
    return since <= _utc(moment) <= until


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        # counted back from now
        ("What did I buy yesterday?", ["2023-05-31T09:00"], ["2023-05-28T12:00"]),
        ("the trips I took in the past three months", ["2023-03-10"], ["2023-01-20"]),
        (
            "How many plants did I get in the last month?",
            ["2023-05-02", "2023-05-30"],
            ["2023-03-20"],
        ),
        ("What certification did I finish last month?", ["2023-05-15"], ["2023-03-25"]),
        ("What did I order two weeks ago?", ["2023-05-18"], ["2023-04-20", "2023-05-31T20:00"]),
        ("a few days ago", ["2023-05-29"], ["2023-05-10"]),
        ("What did I do last weekend?", ["2023-05-27T15:00", "2023-05-28T20:00"], ["2023-05-22"]),
        ("Who did I call last Monday?", ["2023-05-29T10:00"], ["2023-05-22T10:00", "2023-05-25"]),
        ("this week", ["2023-05-29T08:00"], ["2023-05-20"]),
        ("last year's conference", ["2022-06-01"], ["2021-06-01"]),
        # named days: the last one at or before now unless a year is named
        ("What did I do in March?", ["2023-03-15"], ["2023-01-15", "2022-03-15"]),
        ("on March 5th", ["2023-03-05T12:00"], ["2023-03-20"]),
        ("What did Gina find on 1 February, 2023?", ["2023-02-01T12:00"], ["2023-01-15"]),
        ("What happened in October 2022?", ["2022-10-15"], ["2023-10-15", "2022-08-01"]),
        ("in 2021", ["2021-07-01"], ["2019-07-01"]),
        ("What did I get for Valentine's Day?", ["2023-02-14T18:00"], ["2023-03-20"]),
        ("Maria's puppy she got two weeks before August 11, 2022", ["2022-07-30"], ["2022-07-10"]),
        # Chinese, Japanese, Korean
        ("我昨天买了什么？", ["2023-05-31T09:00"], ["2023-05-28T12:00"]),
        ("最近三个月我去了哪些地方", ["2023-03-10"], ["2023-01-20"]),
        ("上个月我读了什么书", ["2023-05-15"], ["2023-03-25"]),
        ("两周前我在哪里吃饭", ["2023-05-18"], ["2023-04-20"]),
        ("上周三开会说了什么", ["2023-05-24T10:00"], ["2023-05-29T10:00", "2023-05-17T10:00"]),
        ("去年夏天", ["2022-07-01"], ["2021-07-01"]),
        ("上周末我做了什么", ["2023-05-27T15:00", "2023-05-28T20:00"], ["2023-05-22"]),
        ("平安夜我们吃了什么", ["2022-12-24T19:00"], ["2022-12-10", "2023-05-01"]),
        ("2022年3月发生了什么", ["2022-03-15"], ["2023-03-15"]),
        ("3月5日我做了什么", ["2023-03-05T12:00"], ["2023-03-20"]),
        ("先月の会議", ["2023-05-15"], ["2023-03-25"]),
        ("3日前に買ったもの", ["2023-05-29"], ["2023-05-10"]),
        ("지난달에 뭐 샀어?", ["2023-05-15"], ["2023-03-25"]),
    ],
)
def test_a_spoken_period_takes_in_its_days(
    text: str, inside: list[str], outside: list[str]
) -> None:
    period = _period(text)
    for moment in inside:
        assert _holds(period, moment), (text, moment, period)
    for moment in outside:
        assert not _holds(period, moment), (text, moment, period)


@pytest.mark.parametrize(
    "text",
    [
        "What did I have for dinner?",
        "the last day of the trip",  # a day of something, not the day before
        "How many weeks ago did I start yoga?",  # asks for the age, names none
        "What am I doing next week?",  # the future: a plan was made before it
        "Any documentary for tonight?",  # a plan too
        "今晚吃什么好",
        "I may 3 times a week go running",  # "may" the verb
        "Where did Rachel move after her recent relocation?",
        "潘均顺哪一年前往俄国？",  # 前往: went to; not "a year ago"
        "我喜欢吃什么",
        "Which of 2000 photos did I keep?",
        "这座城堡持续了1000年",
        "我喜欢五月天的哪首歌",  # a band
        "What did I plan for my last year of college?",
    ],
)
def test_text_without_a_period_names_none(text: str) -> None:
    assert spoken_period(text, NOW) is None


def test_a_date_with_its_year_outweighs_words_counted_from_now() -> None:
    # "last weekend" here is counted from the date named, not from when it is asked.
    period = _period("What did Maria do last weekend before April 10, 2023?")
    assert _covers(period, "2023-04-08", "2023-04-10")
    assert not _holds(period, "2023-05-27")
    assert period.words == ("April 10, 2023",)


def test_what_happened_may_be_told_later() -> None:
    # "in March" takes in April (March talked about), not February.
    period = _period("What did I attend in March?")
    assert _holds(period, "2023-04-18") and not _holds(period, "2023-02-10")


def test_words_that_count_time_are_left_out_of_the_keywords() -> None:
    assert _period("What trips did I take in the past three months?").keywords == (
        "What trips did I take in the ?"
    )
    assert _period("最近三个月我去了哪里").keywords == "我去了哪里"
    # A named day stays: a memory may say "March" too.
    assert _period("What did I do in March?").keywords == "What did I do in March?"


def test_letters_that_lower_to_two_keep_the_words_in_place() -> None:
    period = _period("İstanbul trip, Straße 5, LAST WEEK: what did I buy?")
    assert period.words == ("LAST WEEK",)
    assert period.keywords == "İstanbul trip, Straße 5, : what did I buy?"


def test_several_periods_are_joined() -> None:
    period = _period("Between last Monday and yesterday, what did I cook?")
    assert period.words == ("last Monday", "yesterday")
    assert _covers(period, "2023-05-29", "2023-05-31T23:00")


def test_a_period_is_kept_as_named_and_searched_wider() -> None:
    period = _period("What did I do last week?")  # asked on a Thursday
    assert (period.since, period.until) == (datetime(2023, 5, 22, tzinfo=UTC), NOW)
    since, until = period.window()
    assert since < period.since and until > NOW  # widened, and told later
    assert period.bounds() == tuple(t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for t in (since, until))


def test_a_naive_now_is_utc_and_days_follow_its_zone() -> None:
    naive = spoken_period("yesterday", datetime(2023, 6, 1, 3, 56))
    assert naive is not None and naive == spoken_period("yesterday", NOW)
    bounds = naive.bounds()
    assert bounds[0].endswith("Z") and bounds[0] < bounds[1]
