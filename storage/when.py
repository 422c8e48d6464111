"""The times people type for ``--since`` and ``--until``: words and ages as well
as ISO-8601, turned into the stored form (:func:`storage.kinds.parse_time`).

- ``now``; ``today``, ``yesterday``: from the start of that day (local time), or
  as an upper bound to its end;
- a weekday (``monday`` or ``mon``): the last such day before today, as a day;
- an age: ``90s``, ``30m``, ``2h``, ``3d``, ``2w`` (also ``3 days``, ``2 hours
  ago``): that long before now;
- ISO-8601 as :func:`parse_time` takes it (a time without an offset is UTC); a
  bare date as an upper bound means the end of that day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from storage.errors import InvalidInputError
from storage.kinds import format_time, parse_time

_AGE = re.compile(
    r"^(\d+)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)"
    r"(?:\s+ago)?$"
)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMS = (
    "ISO-8601 (2024-05-01, 2024-05-01T14:30), now, today, yesterday, a weekday, "
    "or an age (2h, 3d, 1w)"
)


def parse_bound(
    value: object, *, what: str = "time", end: bool = False, now: datetime | None = None
) -> str:
    """``value`` as a stored time; ``end``: it is an upper bound (``--until``), so a
    day means the end of that day. ``now`` (aware) is for tests."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be a time: {FORMS}.")
    text = " ".join(value.strip().casefold().split())
    moment = now or datetime.now(UTC)
    local_now = moment.astimezone()
    day = _named_day(text, local_now.date())
    if day is not None:
        return format_time(_day_bound(day, local_now.tzinfo, end=end))
    if text == "now":
        return format_time(moment)
    age = _AGE.match(text)
    if age:
        seconds = int(age.group(1)) * _UNITS[age.group(2)[0]]
        return format_time(moment - timedelta(seconds=seconds))
    try:
        stored = parse_time(value, what=what)
    except InvalidInputError:
        raise InvalidInputError(f"{what} {value!r} is not a time: use {FORMS}.") from None
    if end and _DATE.match(value.strip()):
        start = datetime.fromisoformat(value.strip()).replace(tzinfo=UTC)
        return format_time(start + timedelta(days=1) - timedelta(microseconds=1))
    return stored


def _named_day(text: str, today: date) -> date | None:
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    for number, name in enumerate(_WEEKDAYS):
        if text in (name, name[:3]):
            back = (today.weekday() - number) % 7 or 7  # the last one before today
            return today - timedelta(days=back)
    return None


def _day_bound(day: date, zone: object, *, end: bool) -> datetime:
    start = datetime.combine(day, time(0), tzinfo=zone)  # type: ignore[arg-type]
    if not end:
        return start
    return start + timedelta(days=1) - timedelta(microseconds=1)
