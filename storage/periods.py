"""The period a question speaks of: "what did I buy last month", "the three trips
I took in the past three months", "两周前", "上个月".

Search prefers what happened in that period (``SearchParams.period_focus``); it
does not filter by it, because people are loose with time ("last month" said on
the 2nd may mean the last 30 days) and a question such as "how long ago did I
start yoga, counting from last week" mentions one period and asks about another.
So every period here is read generously: "last month" is the calendar month
before this one through today; what happened is often told later, so a period
reaches on by its own length (at least a day: "in March" takes in April, when
March was talked about); and every period is widened a little on both sides
(:data:`SLACK_SHARE`, at least :data:`SLACK_MIN`).

Read in English, Chinese, and the commonest Japanese and Korean words:

- today, this morning; yesterday, last night; the day before yesterday; 今天,
  昨天, 前天, 昨晚; 今日, 昨日, 一昨日; 오늘, 어제 (not "tonight", "this evening",
  今晚: those mostly plan what is to come);
- this week / month / year; 本周, 这个月, 今年; 今週, 今月; 이번 주, 이번 달, 올해;
- last / past / previous week, month, year (also "the past few weeks", "the last
  3 months"); 上周, 上个月, 去年, 最近三个月, 过去两周, 近半年; 先週, 先月, 昨年;
  지난주, 지난달, 작년;
- an age: "two weeks ago", "a few days ago"; 三天前, 两个月以前; 3日前, 2か月前;
- last Monday, last weekend; 上周三, 上星期天, 上周末;
- a month: "in March", "since May 2023", "on March 5th", "March 2023"; 三月,
  2023年3月, 3月5日; a year: "in 2022"; 2022年;
- a holiday on a fixed date: New Year's Day and Eve, Valentine's Day, Halloween,
  Christmas (Eve), the Fourth of July; 元旦, 情人节, 万圣节, 平安夜, 圣诞节 (not
  the lunar ones, whose date moves).

A month, weekday or holiday named without a year is the last one at or before
``now``. Several periods in one question ("between last Monday and yesterday")
are joined into the one span that covers them. Words about the future ("next
week") name no period: a memory of a plan was made before it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from storage.kinds import format_time

SLACK_SHARE = 0.1
"""Each period is widened on both sides by this share of its length ..."""
SLACK_MIN = timedelta(hours=12)
"""... and at least by this (time zones; a day told the next morning)."""
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Period:
    """A span of time a question speaks of, as named ("last week": from the
    Monday of the week before until now); ``words`` as they were written."""

    since: datetime
    until: datetime
    words: tuple[str, ...]
    keywords: str
    """The question without the words that only count time from now ("last
    month", "三天前"): what keyword search looks for. Names of days stay ("in
    June"): a memory may say them too."""

    def window(self) -> tuple[datetime, datetime]:
        """What search prefers: the period reaching on by its own length (at least
        a day), since what happened is often told later ("in March", said in
        April), and widened on both sides (:data:`SLACK_SHARE`, :data:`SLACK_MIN`)."""
        length = self.until - self.since
        slack = max(SLACK_MIN, length * SLACK_SHARE)
        return self.since - slack, self.until + max(length, _DAY) + slack

    def bounds(self) -> tuple[str, str]:
        """:meth:`window` in the stored form (:func:`format_time`)."""
        since, until = self.window()
        return format_time(since), format_time(until)


def spoken_period(text: str, now: datetime) -> Period | None:
    """The period ``text`` speaks of (as named; :meth:`Period.window` is what search
    prefers), or None. ``now`` is when the question is asked; a naive ``now`` is
    taken as UTC, and days begin at midnight in its zone."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    # Lower case letter by letter, keeping each position: the spans found name
    # the words of ``text`` ("İ".lower() and "ß".casefold() are two letters).
    lowered = "".join(low if len(low := c.lower()) == 1 else c for c in text.replace("\u2019", "'"))
    found: list[tuple[int, int, Span, bool, bool]] = []  # span, year named, counted
    for pattern, resolve, counted in _RULES:
        for match in pattern.finditer(lowered):
            start, end = match.span()
            if any(start < b and a < end for a, b, *_ in found):
                continue
            span = resolve(match, now)
            if span is not None:
                span = _framed(lowered[:start], span)
                found.append((start, end, span, _YEAR.search(match[0]) is not None, counted))
    if any(f[3] for f in found):
        # A date with its year is what the question is about; a "last weekend"
        # beside it is counted from that date, not from now.
        found = [f for f in found if f[3]]
    if not found:
        return None
    found.sort()
    since = min(f[2][0] for f in found)
    until = max(f[2][1] for f in found)
    keywords = text
    for start, end, *_, counted in reversed(found):
        if counted:
            keywords = keywords[:start] + " " + keywords[end:]
    return Period(
        since,
        until,
        tuple(text[a:b].strip() for a, b, *_ in found),
        " ".join(keywords.split()),
    )


def asked_period(text: str, asked_at: datetime | None = None) -> Period | None:
    """The period ``text`` speaks of, read against ``asked_at`` (default: now, in
    the local time zone)."""
    return spoken_period(text, asked_at or datetime.now().astimezone())


# -- calendar arithmetic ---------------------------------------------------------------

Span = tuple[datetime, datetime]
_DAY = timedelta(days=1)
_UNIT_DAYS = {"day": 1.0, "week": 7.0, "fortnight": 14.0, "month": 30.44, "year": 365.25}


def _midnight(day: date, now: datetime) -> datetime:
    return datetime.combine(day, time(0), tzinfo=now.tzinfo)


def _months_back(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _back(now: datetime, amount: float, unit: str) -> datetime:
    """``amount`` units before ``now``: whole months and years by the calendar."""
    if unit in ("month", "year") and amount == int(amount):
        return _months_back(now, int(amount) * (12 if unit == "year" else 1))
    return now - timedelta(days=amount * _UNIT_DAYS[unit])


def _unit_start(unit: str, moment: datetime) -> datetime:
    day = moment.date()
    if unit == "week":
        day -= timedelta(days=day.weekday())
    elif unit == "month":
        day = day.replace(day=1)
    elif unit == "year":
        day = day.replace(month=1, day=1)
    return _midnight(day, moment)


def _this(unit: str, now: datetime) -> Span:
    return _unit_start(unit, now), now


def _previous(unit: str, now: datetime) -> Span:
    """Last week / month / year, generously: from the start of the calendar unit
    before this one until now (it covers "in the last month" as well)."""
    if unit in ("day", "fortnight"):
        return now - timedelta(days=_UNIT_DAYS[unit]), now
    this = _unit_start(unit, now)
    if unit == "week":
        return this - timedelta(days=7), now
    return _back(this, 1, unit), now


def _past(amount: float, unit: str, now: datetime) -> Span:
    return _back(now, amount, unit), now


def _ago(amount: float, unit: str, now: datetime) -> Span:
    """Around ``amount`` units before now: half a unit either side (a day either
    side for days), and a tenth of the age for long ones."""
    centre = _back(now, amount, unit)
    half = timedelta(days=max(_UNIT_DAYS[unit] / 2, 1.0, amount * _UNIT_DAYS[unit] * 0.1))
    return centre - half, min(now, centre + half)


_FRAMED = re.compile(
    r"(?:(\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few"
    r"|a couple of)|the|last) (day|week|weekend|fortnight|month|year)s? (before|after) $"
)


def _framed(before: str, span: Span) -> Span:
    """A span stretched by the words before it: "two weeks before August 11"
    reaches back two weeks from that day, "the day after March 3" a day on."""
    m = _FRAMED.search(before)
    if m is None:
        return span
    unit = "week" if m[2] == "weekend" else m[2]
    stretch = timedelta(days=(_en_number(m[1]) if m[1] else 1) * _UNIT_DAYS[unit])
    since, until = span
    return (since - stretch, until) if m[3] == "before" else (since, until + stretch)


def _day(day: date, now: datetime) -> Span:
    return _midnight(day, now), _midnight(day, now) + _DAY


def _last_weekday(weekday: int, now: datetime) -> date:
    today = now.date()
    return today - timedelta(days=(today.weekday() - weekday) % 7 or 7)


def _month(year: int | None, month: int, now: datetime) -> Span | None:
    if not 1 <= month <= 12:
        return None
    if year is None:
        year = now.year if month <= now.month else now.year - 1
    if not 1 <= year <= 9998:
        return None
    start = _midnight(date(year, month, 1), now)
    return start, _midnight(date(year + (month == 12), month % 12 + 1, 1), now)


def _month_day(year: int | None, month: int, day: int, now: datetime) -> Span | None:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    if year is None:
        year = now.year
        if (month, day) > (now.month, now.day):
            year -= 1
    try:
        return _day(date(year, month, day), now)
    except ValueError:
        return None


def _year(year: int, now: datetime) -> Span | None:
    if not 1 <= year <= 9998:
        return None
    return _midnight(date(year, 1, 1), now), _midnight(date(year + 1, 1, 1), now)


# -- numbers ---------------------------------------------------------------------------

_EN_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "couple of": 2, "a few": 3, "few": 3, "several": 4,
}  # fmt: skip
_EN_NUMBER = r"(\d{1,3}|a couple of|couple of|a few|few|several|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"  # noqa: E501
_EN_UNIT = r"(day|week|fortnight|month|year)s?"
_EN_MONTHS = {
    name: number
    for number, names in enumerate(
        (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sept", "sep"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")),
        start=1,
    )
    for name in names
}  # fmt: skip
_EN_MONTH = "(" + "|".join(sorted(_EN_MONTHS, key=len, reverse=True)) + ")"
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_ZH_NUMBER = r"(\d{1,3}|[一二两三四五六七八九十]{1,3}|几|半)"
_ZH_UNITS = {
    "天": "day", "日": "day", "周": "week", "星期": "week", "个星期": "week", "礼拜": "week",
    "个礼拜": "week", "个月": "month", "月": "month", "年": "year", "週間": "week",
    "週": "week", "か月": "month", "ヶ月": "month", "カ月": "month", "ヵ月": "month",
}  # fmt: skip
_ZH_UNIT = "(" + "|".join(sorted(_ZH_UNITS, key=len, reverse=True)) + ")"
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def _en_number(word: str) -> float:
    return float(word) if word.isdigit() else float(_EN_NUMBERS[" ".join(word.split())])


def _zh_number(word: str) -> float | None:
    """Digits or a Chinese numeral up to 99; 几 (a few) is 3, 半 (half) 0.5."""
    if word.isdigit():
        return float(word)
    if word == "几":
        return 3.0
    if word == "半":
        return 0.5
    if "十" in word:
        tens, _, ones = word.partition("十")
        if "十" in ones or (tens and tens not in _ZH_DIGITS) or (ones and ones not in _ZH_DIGITS):
            return None
        return float((_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[ones] if ones else 0))
    if len(word) == 1:
        return float(_ZH_DIGITS[word])
    return None


# -- the rules, most specific first ----------------------------------------------------

Rule = tuple[re.Pattern[str], Callable[[re.Match[str], datetime], Span | None], bool]
"""A pattern, what span it names, and whether its words only count time from now
("last month", "三天前": left out of the words searched for) rather than name
a day that a memory's text may name too ("in June", "Valentine's Day")."""
_W = r"(?<![\w'])"  # an English word starts here
_E = r"(?!\w)"  # ... and ends here


def _en(pattern: str) -> re.Pattern[str]:
    return re.compile(_W + pattern + _E)


def _en_ago(m: re.Match[str], now: datetime) -> Span:
    return _ago(_en_number(m[1]), m[2], now)


def _en_past(m: re.Match[str], now: datetime) -> Span:
    if m[1] is None:
        return _previous(m[2], now)
    return _past(_en_number(m[1]), m[2], now)


def _en_month(m: re.Match[str], now: datetime) -> Span | None:
    span = _month(int(m[3]) if m[3] else None, _EN_MONTHS[m[2]], now)
    if span is not None and m[1] == "since":
        return span[0], now
    return span


def _en_year(m: re.Match[str], now: datetime) -> Span | None:
    span = _year(int(m[2]), now)
    if span is not None and m[1] == "since":
        return span[0], now
    return span


def _zh_past(m: re.Match[str], now: datetime) -> Span | None:
    amount = _zh_number(m[1])
    return None if amount is None else _past(amount, _ZH_UNITS[m[2]], now)


def _zh_ago(m: re.Match[str], now: datetime) -> Span | None:
    amount = _zh_number(m[1])
    return None if amount is None else _ago(amount, _ZH_UNITS[m[2]], now)


def _zh_month(m: re.Match[str], now: datetime) -> Span | None:
    month = _zh_number(m[2])
    if month is None or month != int(month):
        return None
    year = int(m[1]) if m[1] else None
    if m[3]:
        day = _zh_number(m[3])
        if day is None or day != int(day):
            return None
        return _month_day(year, int(month), int(day), now)
    return _month(year, int(month), now)


def _today(now: datetime) -> date:
    return now.date()


def _days_back(days: int) -> Callable[[re.Match[str], datetime], Span]:
    return lambda _m, now: _day(_today(now) - timedelta(days=days), now)


def _fixed(unit: str, previous: bool) -> Callable[[re.Match[str], datetime], Span]:
    return lambda _m, now: _previous(unit, now) if previous else _this(unit, now)


def _last_night(_m: re.Match[str], now: datetime) -> Span:
    today = _midnight(_today(now), now)
    return today - timedelta(hours=12), min(now, today + timedelta(hours=6))


def _weekend(_m: re.Match[str], now: datetime) -> Span:
    saturday = _last_weekday(5, now)
    return _midnight(saturday, now), _midnight(saturday, now) + 2 * _DAY


def _holiday(month: int, day: int) -> Callable[[re.Match[str], datetime], Span | None]:
    return lambda _m, now: _month_day(None, month, day, now)


_RULES: tuple[Rule, ...] = (
    # English
    (_en(r"the day before yesterday"), _days_back(2), True),
    (_en(r"last night"), _last_night, True),
    (_en(r"(?:last|this past|past|over the) weekend"), _weekend, True),
    (
        _en(r"(?:last|this past|past) (" + "|".join(_EN_WEEKDAYS) + ")"),
        lambda m, now: _day(_last_weekday(_EN_WEEKDAYS.index(m[1]), now), now),
        False,
    ),
    (_en(_EN_NUMBER + r" " + _EN_UNIT + r" ago"), _en_ago, True),
    (
        _en(r"(?:last|past|previous|recent)(?: " + _EN_NUMBER + r")? " + _EN_UNIT + r"(?! of)"),
        _en_past,
        True,
    ),
    (
        _en(r"(?:earlier )?this (week|month|year)"),
        lambda m, now: _this(m[1], now),
        True,
    ),
    (_en(r"new year's eve"), _holiday(12, 31), False),
    (_en(r"new year's(?: day)?"), _holiday(1, 1), False),
    (_en(r"valentine's(?: day)?"), _holiday(2, 14), False),
    (_en(r"halloween"), _holiday(10, 31), False),
    (_en(r"christmas eve"), _holiday(12, 24), False),
    (_en(r"christmas(?: day)?"), _holiday(12, 25), False),
    (_en(r"(?:the )?(?:fourth|4th) of july|independence day"), _holiday(7, 4), False),
    (
        _en(r"(\d{1,2})(?:st|nd|rd|th)?(?: of)? " + _EN_MONTH + r"(?:,? ((?:19|20)\d{2}))?"),
        lambda m, now: _month_day(int(m[3]) if m[3] else None, _EN_MONTHS[m[2]], int(m[1]), now),
        False,
    ),
    (
        # "may 3" alone is as often "I may 3 ...": May with a day needs "on" before
        # it or a year after it
        _en(
            r"((?<=on )may|may(?= \d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\d{2})|"
            + _EN_MONTH[1:].replace("|may", "")
            + r" (\d{1,2})(?:st|nd|rd|th)?(?:,? ((?:19|20)\d{2}))?"
        ),
        lambda m, now: _month_day(int(m[3]) if m[3] else None, _EN_MONTHS[m[1]], int(m[2]), now),
        False,
    ),
    (
        _en(
            r"(in|during|since|of|early|mid|late|last|this past)[ -]"
            + _EN_MONTH
            + r"(?:,? ((?:19|20)\d{2}))?"
        ),
        _en_month,
        False,
    ),
    (_en(r"()" + _EN_MONTH + r",? ((?:19|20)\d{2})"), _en_month, False),
    # not "of": "a list of 2000 items"
    (_en(r"(in|during|since) ((?:19|20)\d{2})"), _en_year, False),
    (_en(r"yesterday"), _days_back(1), True),
    (
        # Not "tonight" or "this evening": those mostly plan ("any film for tonight?").
        _en(r"(?:earlier )?today|this morning"),
        lambda _m, now: _this("day", now),
        True,
    ),
    # Chinese, Japanese
    (re.compile(r"大前天"), _days_back(3), True),
    (re.compile(r"上个?(?:周末|礼拜六日|星期六日)|先週末"), _weekend, True),
    (re.compile(r"平安夜"), _holiday(12, 24), False),
    (re.compile(r"圣诞节?|聖誕節?|クリスマス"), _holiday(12, 25), False),
    (re.compile(r"情人节|バレンタイン"), _holiday(2, 14), False),
    (re.compile(r"元旦"), _holiday(1, 1), False),
    (re.compile(r"万圣节|ハロウィン"), _holiday(10, 31), False),
    (re.compile(r"一昨日|前天"), _days_back(2), True),
    (re.compile(r"昨(?:天|日|晚|夜)"), _days_back(1), True),
    (re.compile(r"今(?:天|日|早)"), lambda _m, now: _this("day", now), True),
    (
        re.compile(r"上个?(?:周|星期|礼拜)([一二三四五六日天])"),
        lambda m, now: _day(
            _unit_start("week", now).date() - timedelta(days=7 - _ZH_WEEKDAYS[m[1]]), now
        ),
        True,
    ),
    (re.compile(r"(?:最近|过去|近|这)的?(?<!\d)" + _ZH_NUMBER + _ZH_UNIT), _zh_past, True),
    (
        # not "1970年前" (before 1970), "哪一年前往" (which year ... went to)
        re.compile(
            r"(?<![\d哪第])"
            + _ZH_NUMBER
            + _ZH_UNIT
            + r"(?:以前|之前|前(?![往面进来去后提景途线夕者所列任身方台锋卫]))"
        ),
        _zh_ago,
        True,
    ),
    (re.compile(r"上个?(?:周|星期|礼拜)|先週"), _fixed("week", previous=True), True),
    (re.compile(r"(?:这|本)个?(?:周|星期|礼拜)|今週"), _fixed("week", previous=False), True),
    (re.compile(r"上个?月|先月"), _fixed("month", previous=True), True),
    (re.compile(r"(?:这|本)个?月|今月"), _fixed("month", previous=False), True),
    (re.compile(r"去年|昨年"), lambda _m, now: _year(now.year - 1, now), True),
    (re.compile(r"前年"), lambda _m, now: _year(now.year - 2, now), True),
    (re.compile(r"今年"), _fixed("year", previous=False), True),
    (
        re.compile(
            r"(?:((?:19|20)\d{2})年)?(?<![个\d一二两三四五六七八九十几])(\d{1,2}|十[一二]?|[一二三四五六七八九])月(?!天)(?:份)?(?:(\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?"
        ),
        _zh_month,
        False,
    ),
    # a year of this era: not "持续了1000年" (it lasted 1000 years)
    (re.compile(r"(?<!\d)((?:19|20)\d{2})年(?!\d)"), lambda m, now: _year(int(m[1]), now), False),
    # Korean
    (re.compile(r"그저께|그제"), _days_back(2), True),
    (re.compile(r"어제"), _days_back(1), True),
    (re.compile(r"오늘"), lambda _m, now: _this("day", now), True),
    (re.compile(r"지난\s?주"), _fixed("week", previous=True), True),
    (re.compile(r"이번\s?주"), _fixed("week", previous=False), True),
    (re.compile(r"지난\s?달"), _fixed("month", previous=True), True),
    (re.compile(r"이번\s?달"), _fixed("month", previous=False), True),
    (re.compile(r"작년"), lambda _m, now: _year(now.year - 1, now), True),
    (re.compile(r"올해"), _fixed("year", previous=False), True),
)
