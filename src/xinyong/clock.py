"""The injected clock: China Standard Time days, fixed by XINYONG_NOW for tests, demos and replays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

from xinyong.errors import ConfigError

CST = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock stopped at one instant."""

    instant: datetime

    def now(self) -> datetime:
        return self.instant


def today(clock: Clock) -> date:
    """Today's date in China Standard Time, the day legal effect is counted in."""
    return clock.now().astimezone(CST).date()


def cst_day(instant: datetime) -> date:
    """The China Standard Time date of an instant."""
    return instant.astimezone(CST).date()


def clock_from(fixed: str | None) -> Clock:
    """A fixed clock when XINYONG_NOW is set (a date means noon CST that day), else the system clock."""
    if not fixed:
        return SystemClock()
    try:
        if len(fixed) == 10:
            d = date.fromisoformat(fixed)
            return FixedClock(datetime(d.year, d.month, d.day, 12, tzinfo=CST))
        instant = datetime.fromisoformat(fixed)
    except ValueError:
        raise ConfigError(f"XINYONG_NOW: {fixed!r} is not an ISO date or time") from None
    return FixedClock(instant if instant.tzinfo else instant.replace(tzinfo=CST))
