"""Working-day deadlines on the mainland calendar: public holidays and the weekend make-up days (调休).

The calendar is the State Council's annual holiday notice as kept by the `chinesecalendar`
package. A date in a year it does not cover is refused, never guessed from the weekday.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar

from xinyong.errors import InvalidInput

# The package's own tables: days off that would be working days, and weekend days worked instead.
_HOLIDAYS: frozenset[date] = frozenset(chinese_calendar.holidays)
_MAKEUP_DAYS: frozenset[date] = frozenset(chinese_calendar.workdays)
FIRST_YEAR = min(_HOLIDAYS).year
LAST_YEAR = max(_HOLIDAYS).year


def _day(d: date) -> date:
    # A datetime is a date to the type checker but never equal to one, so it would miss the tables.
    return d.date() if isinstance(d, datetime) else d


def _covered(d: date) -> None:
    if not FIRST_YEAR <= d.year <= LAST_YEAR:
        raise InvalidInput(
            f"{d.isoformat()}: the holiday calendar does not cover {d.year} "
            f"(it covers {FIRST_YEAR}-{LAST_YEAR}); update the chinesecalendar package"
        )


def is_working_day(d: date) -> bool:
    """Whether government offices work on this day: a weekday that is not a holiday, or a make-up day."""
    d = _day(d)
    _covered(d)
    return d in _MAKEUP_DAYS or (d.weekday() < 5 and d not in _HOLIDAYS)


def add_working_days(start: date, n: int) -> date:
    """The deadline of an n-working-day period: the n-th working day after `start`, which is not counted.

    A negative n counts back to the n-th working day before `start`; zero gives `start` itself.
    """
    step = timedelta(days=1 if n >= 0 else -1)
    day, left = _day(start), abs(n)
    while left:
        day += step
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """How many working days fall after `a` up to and including `b`.

    When `b` is before `a` the count is negative: minus the working days from `b` up to but not
    including `a`. Either way working_days_between(a, add_working_days(a, n)) == n.
    """
    a, b = _day(a), _day(b)
    if b < a:
        return -sum(is_working_day(b + timedelta(days=k)) for k in range((a - b).days))
    return sum(is_working_day(a + timedelta(days=k)) for k in range(1, (b - a).days + 1))
