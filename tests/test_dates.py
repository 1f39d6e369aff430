from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest

from xinyong.dates import add_months, coerce_date, end_after_months, not_in_future, parse_date
from xinyong.errors import InvalidInput

JAN_10 = date(2024, 1, 10)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-01-10",
        "2024-1-10",
        "2024/1/10",
        "2024/01/10",
        "2024.1.10",
        "20240110",
        "2024年1月10日",
        "2024年01月10日",
        "2024年1月10号",
        "2024年1月10",
        "2024 年 1 月 10 日",
        "2024年1月10日 09:30",
        "2024年1月10 09:30",
        "２０２４年１月１０日",
        "２０２４－０１－１０",
        "  2024-01-10 ",
        "2024-01-10T09:30:00",
        "2024-01-10 09:30",
        "2024/1/10 0:00:00",
        "2024-01-10T09:30:00+08:00",
        "2024-01-10T23:59:59.123+0800",
    ],
)
def test_accepted_forms(raw: str) -> None:
    assert parse_date(raw, "decided_on") == JAN_10


def test_utc_instant_gives_its_china_standard_time_day() -> None:
    # Midnight in Beijing, written in UTC, is still the 10th.
    assert parse_date("2024-01-09T16:00:00Z", "decided_on") == JAN_10
    assert parse_date("2024-01-10T15:59:59Z", "decided_on") == JAN_10
    assert parse_date("2024-01-10T16:00:00Z", "decided_on") == date(2024, 1, 11)


def test_leap_day() -> None:
    assert parse_date("2024/2/29", "decided_on") == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2024-13-01", "'2024-13-01' is not a date (month 13)"),
        ("2024-00-10", "'2024-00-10' is not a date (month 0)"),
        ("2023-02-29", "'2023-02-29' is not a date (day 29; February 2023 has 28 days)"),
        ("2024年4月31日", "'2024年4月31日' is not a date (day 31; April 2024 has 30 days)"),
        ("20241301", "'20241301' is not a date (month 13)"),
        ("0024-01-10", "'0024-01-10' is not a date (year 24 is before 1900)"),
        ("", "'' is not a date (it is empty)"),
        ("   ", "'   ' is not a date (it is empty)"),
        (
            "45301",
            "'45301' is not a date (a bare number; spreadsheet serials are not read, write 2024-01-10)",
        ),
        ("10/01/2024", "'10/01/2024' is not a date (not a form of date this system reads; write 2024-01-10)"),
        ("2024-01/10", "'2024-01/10' is not a date (not a form of date this system reads; write 2024-01-10)"),
        (
            "2024-01-10abc",
            "'2024-01-10abc' is not a date (not a form of date this system reads; write 2024-01-10)",
        ),
        ("昨天", "'昨天' is not a date (not a form of date this system reads; write 2024-01-10)"),
        ("2024-01-10T25:00", "'2024-01-10T25:00' is not a date (25:00 is not a time of day)"),
    ],
)
def test_refusals_name_the_value_and_the_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_date(raw, "decided_on")
    assert caught.value.message == message
    assert caught.value.field == "decided_on"
    assert caught.value.one_line() == " ".join(f"decided_on: {message}".split())


def test_long_values_are_shortened_in_the_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_date("x" * 500, "valid_to")
    assert len(caught.value.message) < 120
    assert caught.value.message.startswith("'" + "x" * 37 + "...'")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (JAN_10, JAN_10),
        (datetime(2024, 1, 10, 23, 0), JAN_10),
        (datetime(2024, 1, 9, 16, 0, tzinfo=UTC), JAN_10),
        (datetime(2024, 1, 10, 1, 0, tzinfo=timezone(timedelta(hours=8))), JAN_10),
        (pd.Timestamp("2024-01-10 18:00"), JAN_10),
        (pd.Timestamp("2024-01-09 20:00", tz="UTC"), JAN_10),
        ("2024年1月10日", JAN_10),
    ],
)
def test_coerce_date_accepts_dates_datetimes_timestamps_and_text(value: object, expected: date) -> None:
    assert coerce_date(value, "decided_on") == expected


class _DateLike:
    def date(self) -> date:
        return JAN_10


def test_coerce_date_accepts_objects_with_a_date_method() -> None:
    assert coerce_date(_DateLike(), "decided_on") == JAN_10


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "no date given"),
        (float("nan"), "no date given"),
        (pd.NaT, "no date given"),
        (45301, "45301 is not a date (a bare number; spreadsheet serials are not read)"),
        (45301.0, "45301.0 is not a date (a bare number; spreadsheet serials are not read)"),
        (True, "True is not a date"),
        ([2024, 1, 10], "'[2024, 1, 10]' is not a date (a list)"),
    ],
)
def test_coerce_date_refusals(value: object, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        coerce_date(value, "valid_to")
    assert caught.value.message == message
    assert caught.value.field == "valid_to"


def test_not_in_future() -> None:
    today = date(2025, 6, 1)
    assert not_in_future(today, today, "decided_on") == today
    assert not_in_future(date(2025, 5, 31), today, "decided_on") == date(2025, 5, 31)
    with pytest.raises(InvalidInput) as caught:
        not_in_future(date(2025, 6, 2), today, "decided_on")
    assert caught.value.one_line() == "decided_on: 2025-06-02 lies in the future (today is 2025-06-01)"


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2024, 1, 10), 1, date(2024, 2, 10)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 1, 10), -13, date(2022, 12, 10)),
        (date(2024, 1, 10), 0, date(2024, 1, 10)),
        (date(2024, 1, 10), 36, date(2027, 1, 10)),
    ],
)
def test_add_months(start: date, n: int, expected: date) -> None:
    assert add_months(start, n) == expected


def test_add_months_outside_the_calendar() -> None:
    with pytest.raises(InvalidInput, match="falls outside the calendar"):
        add_months(date(9999, 12, 1), 1)


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        (date(2024, 1, 10), 36, date(2027, 1, 9)),
        (date(2024, 1, 10), 1, date(2024, 2, 9)),
        (date(2024, 3, 1), 1, date(2024, 3, 31)),
        (date(2024, 1, 1), 12, date(2024, 12, 31)),
        (date(2024, 1, 31), 1, date(2024, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 27)),
    ],
)
def test_end_after_months_is_the_last_day_inclusive(start: date, months: int, last_day: date) -> None:
    assert end_after_months(start, months) == last_day


def test_end_after_months_needs_a_positive_period() -> None:
    with pytest.raises(InvalidInput, match="a period of 0 months has no last day"):
        end_after_months(JAN_10, 0)
