"""Tolerant reading of the dates agencies write, and the month arithmetic of legal periods.

A date that cannot be read is refused with the value and the reason, never guessed: a bare
number such as an Excel serial is refused too, because 45301 and 20240110 look alike in a feed.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime, timedelta

from xinyong.clock import CST
from xinyong.errors import InvalidInput

# Registry dates before this are typing errors (0024 for 2024), not history.
EARLIEST_YEAR = 1900

_DATE_FORMS = (
    # 2024-01-10, 2024/1/10, 2024.1.10: one separator, used twice
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    # 2024年1月10日 (some clerks write 号 for 日, or leave it off)
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})(?:\s*[日号])?"),
    # 20240110
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
# What may follow a date: a time of day (ISO or as spreadsheets print it), perhaps with an offset.
_TIME = re.compile(
    r"(?:T|\s+)(?P<h>\d{1,2}):(?P<min>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
)


def _shown(raw: str) -> str:
    # Quote the value as given; a whole pasted paragraph would make the message useless.
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def _refuse(raw: str, field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{_shown(raw)} is not a date ({reason})", field=field)


def _calendar_date(raw: str, field: str, y: int, m: int, d: int) -> date:
    if y < EARLIEST_YEAR:
        raise _refuse(raw, field, f"year {y} is before {EARLIEST_YEAR}")
    if not 1 <= m <= 12:
        raise _refuse(raw, field, f"month {m}")
    last = calendar.monthrange(y, m)[1]
    if not 1 <= d <= last:
        raise _refuse(raw, field, f"day {d}; {calendar.month_name[m]} {y} has {last} days")
    return date(y, m, d)


def _with_time(raw: str, field: str, day: date, time: re.Match[str]) -> date:
    hour, minute, second = int(time["h"]), int(time["min"]), int(time["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _refuse(raw, field, f"{time['h']}:{time['min']} is not a time of day")
    tz = time["tz"]
    if not tz:
        return day
    # A time with an offset is an instant; its day is the China Standard Time day, so an export
    # of midnight in Beijing written in UTC (2024-01-09T16:00:00Z) still gives 2024-01-10.
    offset = "+00:00" if tz == "Z" else tz[:3] + ":" + (tz[-2:] if len(tz) > 3 else "00")
    stamp = f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}{offset}"
    try:
        instant = datetime.fromisoformat(stamp)
    except ValueError:
        raise _refuse(raw, field, f"{tz} is not a time-zone offset") from None
    return instant.astimezone(CST).date()


def parse_date(raw: str, field: str) -> date:
    """The date in a feed value written as 2024-01-10, 2024/1/10, 2024.1.10, 20240110 or 2024年1月10日.

    Full-width digits are read as digits; an ISO date-time gives its date (its China Standard
    Time date when it carries an offset).
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise _refuse(raw, field, "it is empty")
    for form in _DATE_FORMS:
        found = form.match(text)
        if not found:
            continue
        rest = text[found.end() :]
        time = _TIME.fullmatch(rest) if rest else None
        if rest and not time:
            continue
        day = _calendar_date(raw, field, int(found["y"]), int(found["m"]), int(found["d"]))
        return _with_time(raw, field, day, time) if time else day
    if text.isdigit():
        raise _refuse(raw, field, "a bare number; spreadsheet serials are not read, write 2024-01-10")
    raise _refuse(raw, field, "not a form of date this system reads; write 2024-01-10")


def coerce_date(value: object, field: str) -> date:
    """A date from whatever a feed reader produced: a date, a date-time, a pandas Timestamp or text."""
    # None, NaN and pandas' NaT (a datetime that is unequal to itself) all mean "no date given".
    if value is None or (isinstance(value, float | date) and value != value):
        raise InvalidInput("no date given", field=field)
    if isinstance(value, str):
        return parse_date(value, field)
    if isinstance(value, datetime):
        return value.astimezone(CST).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise InvalidInput(f"{value!r} is not a date", field=field)
    if isinstance(value, int | float):
        raise InvalidInput(f"{value!r} is not a date (a bare number; spreadsheet serials are not read)", field=field)
    to_date = getattr(value, "date", None)
    if callable(to_date):
        # Timestamp-like objects that are not datetime subclasses.
        result = to_date()
        if isinstance(result, date) and result == result:
            return result.date() if isinstance(result, datetime) else result
    raise InvalidInput(f"{_shown(str(value))} is not a date (a {type(value).__name__})", field=field)


def not_in_future(d: date, today: date, field: str) -> date:
    """The date itself, or a refusal when it lies after today (a decision cannot be dated tomorrow)."""
    if d > today:
        raise InvalidInput(f"{d.isoformat()} lies in the future (today is {today.isoformat()})", field=field)
    return d


def add_months(d: date, n: int) -> date:
    """The same day n months later (or earlier for negative n), clamped to the end of a shorter month."""
    months = d.year * 12 + (d.month - 1) + n
    year, month = divmod(months, 12)
    if not 1 <= year <= 9999:
        raise InvalidInput(f"{d.isoformat()} plus {n} months falls outside the calendar")
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def end_after_months(start: date, months: int) -> date:
    """The last day, inclusive, of an effect that begins on `start` and lasts `months` months.

    The start day is the first day of effect, so 36 months from 2024-01-10 end on 2027-01-09;
    when the corresponding day does not exist the month's last day stands in for it first
    (one month from 2024-01-31 ends on 2024-02-28).
    """
    if months < 1:
        raise InvalidInput(f"a period of {months} months has no last day")
    return add_months(start, months) - timedelta(days=1)
