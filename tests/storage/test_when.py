"""--since and --until in words: today, yesterday, weekdays, ages, ISO-8601, each
against a fixed "now" (local days, the stored form in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import InvalidInputError
from storage.kinds import format_time
from storage.when import parse_bound

NOW = datetime(2024, 5, 8, 15, 30, tzinfo=UTC)  # a Wednesday


def local_midnight(days_back: int) -> datetime:
    local = NOW.astimezone()
    day = local.date() - timedelta(days=days_back)
    return datetime(day.year, day.month, day.day, tzinfo=local.tzinfo)


def test_days_in_words_start_or_end_at_local_midnight() -> None:
    assert parse_bound("today", now=NOW) == format_time(local_midnight(0))
    assert parse_bound("Yesterday", now=NOW) == format_time(local_midnight(1))
    end = parse_bound("yesterday", end=True, now=NOW)
    assert end == format_time(local_midnight(0) - timedelta(microseconds=1))
    assert parse_bound("now", now=NOW) == format_time(NOW)


def test_a_weekday_is_the_last_one_before_today() -> None:
    local_weekday = NOW.astimezone().weekday()
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    for number, name in enumerate(names):
        back = (local_weekday - number) % 7 or 7
        assert parse_bound(name, now=NOW) == format_time(local_midnight(back))
        assert parse_bound(name[:3].upper(), now=NOW) == parse_bound(name, now=NOW)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("3d", 3 * 86400),
        ("1w", 7 * 86400),
        ("3 days", 3 * 86400),
        ("2 hours ago", 7200),
    ],
)
def test_an_age_is_that_long_before_now(text: str, seconds: int) -> None:
    assert parse_bound(text, now=NOW) == format_time(NOW - timedelta(seconds=seconds))


def test_iso_times_as_before_and_a_bare_date_ends_at_its_end() -> None:
    assert parse_bound("2024-05-01", now=NOW) == "2024-05-01T00:00:00.000000Z"
    assert parse_bound("2024-05-01", end=True, now=NOW) == "2024-05-01T23:59:59.999999Z"
    assert parse_bound("2024-05-01T14:30:00+02:00", end=True) == "2024-05-01T12:30:00.000000Z"


@pytest.mark.parametrize("text", ["soon", "2024-13-45", "3 fortnights", "", "last tuesday"])
def test_anything_else_is_refused_saying_what_is_accepted(text: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_bound(text, what="--since", now=NOW)
    assert "ISO-8601" in str(refused.value) and "yesterday" in str(refused.value)
