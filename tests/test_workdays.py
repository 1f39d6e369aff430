from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from xinyong.errors import InvalidInput
from xinyong.workdays import (
    FIRST_YEAR,
    LAST_YEAR,
    add_working_days,
    is_working_day,
    working_days_between,
)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def test_the_library_has_the_2025_spring_festival_and_national_day() -> None:
    # The facts the deadlines below rest on, checked against the library itself.
    for day in _days(date(2025, 1, 28), date(2025, 2, 4)) + _days(date(2025, 10, 1), date(2025, 10, 8)):
        assert chinese_calendar.is_holiday(day), day
    for makeup in (date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)):
        assert makeup.weekday() >= 5
        assert chinese_calendar.is_workday(makeup), makeup


def test_is_working_day_agrees_with_the_library_over_two_years() -> None:
    for day in _days(date(2024, 1, 1), date(2025, 12, 31)):
        assert is_working_day(day) == chinese_calendar.is_workday(day), day


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 26), True),  # Sunday, make-up day for the Spring Festival
        (date(2025, 1, 27), True),
        (date(2025, 1, 28), False),
        (date(2025, 2, 3), False),  # Monday inside the holiday
        (date(2025, 2, 8), True),  # Saturday, make-up day
        (date(2025, 2, 9), False),
        (date(2025, 9, 28), True),  # Sunday, make-up day for National Day
        (date(2025, 10, 8), False),
        (date(2025, 10, 11), True),  # Saturday, make-up day
        (date(2025, 3, 8), False),  # an ordinary Saturday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "deadline"),
    [
        # Friday 2025-01-24: Sat off, Sun 26 make-up (1), Mon 27 (2), holiday to 02-04, Wed 02-05 (3).
        (date(2025, 1, 24), 1, date(2025, 1, 26)),
        (date(2025, 1, 24), 2, date(2025, 1, 27)),
        (date(2025, 1, 24), 3, date(2025, 2, 5)),
        (date(2025, 1, 24), 5, date(2025, 2, 7)),
        (date(2025, 1, 24), 6, date(2025, 2, 8)),  # the Saturday make-up day counts
        (date(2025, 1, 24), 7, date(2025, 2, 10)),
        # Friday 2025-09-26: Sun 28 make-up (1), 29 (2), 30 (3), holiday to 10-08, 10-09 (4), 10-10 (5),
        # Sat 10-11 make-up (6), Mon 10-13 (7).
        (date(2025, 9, 26), 3, date(2025, 9, 30)),
        (date(2025, 9, 26), 4, date(2025, 10, 9)),
        (date(2025, 9, 26), 6, date(2025, 10, 11)),
        (date(2025, 9, 26), 7, date(2025, 10, 13)),
        # A period starting inside the holiday: the first working day after 10-01 is 10-09.
        (date(2025, 10, 1), 1, date(2025, 10, 9)),
        (date(2025, 10, 1), 3, date(2025, 10, 11)),
        # A plain week.
        (date(2025, 3, 3), 4, date(2025, 3, 7)),
        (date(2025, 3, 3), 5, date(2025, 3, 10)),
        (date(2025, 3, 7), 1, date(2025, 3, 10)),
        (date(2025, 3, 8), 1, date(2025, 3, 10)),  # from a Saturday
        (date(2025, 3, 3), 0, date(2025, 3, 3)),
        # Counting back.
        (date(2025, 2, 5), -1, date(2025, 1, 27)),
        (date(2025, 3, 10), -1, date(2025, 3, 7)),
    ],
)
def test_add_working_days(start: date, n: int, deadline: date) -> None:
    assert add_working_days(start, n) == deadline


@pytest.mark.parametrize(
    ("a", "b", "count"),
    [
        (date(2025, 1, 24), date(2025, 2, 5), 3),
        (date(2025, 9, 26), date(2025, 10, 13), 7),
        (date(2025, 3, 3), date(2025, 3, 10), 5),
        (date(2025, 3, 3), date(2025, 3, 3), 0),
        (date(2025, 3, 8), date(2025, 3, 9), 0),
        (date(2025, 3, 10), date(2025, 3, 3), -5),
    ],
)
def test_working_days_between(a: date, b: date, count: int) -> None:
    assert working_days_between(a, b) == count


@pytest.mark.parametrize("start", [date(2025, 1, 24), date(2025, 9, 27), date(2025, 10, 3), date(2025, 3, 5)])
@pytest.mark.parametrize("n", [-9, -1, 1, 3, 9, 20])
def test_counting_undoes_adding(start: date, n: int) -> None:
    assert working_days_between(start, add_working_days(start, n)) == n


def test_datetimes_count_as_their_day() -> None:
    assert is_working_day(datetime(2025, 1, 26, 9, 0)) is True
    assert add_working_days(datetime(2025, 1, 24, 17, 0), 3) == date(2025, 2, 5)
    assert type(add_working_days(datetime(2025, 1, 24, 17, 0), 3)) is date
    assert working_days_between(datetime(2025, 1, 24, 17, 0), datetime(2025, 2, 5, 8, 0)) == 3


def test_coverage_is_reported() -> None:
    assert FIRST_YEAR <= 2004
    assert LAST_YEAR >= 2025


def test_a_year_the_calendar_does_not_cover_is_refused() -> None:
    beyond = date(LAST_YEAR + 1, 3, 2)
    with pytest.raises(InvalidInput) as caught:
        is_working_day(beyond)
    assert caught.value.message.startswith(f"{beyond.isoformat()}: the holiday calendar does not cover {LAST_YEAR + 1}")
    with pytest.raises(InvalidInput, match=f"does not cover {FIRST_YEAR - 1}"):
        is_working_day(date(FIRST_YEAR - 1, 6, 2))


def test_a_deadline_running_past_the_covered_years_is_refused() -> None:
    with pytest.raises(InvalidInput, match=f"{LAST_YEAR + 1}-01-01: the holiday calendar does not cover"):
        add_working_days(date(LAST_YEAR, 12, 28), 10)
