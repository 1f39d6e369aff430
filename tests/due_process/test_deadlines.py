"""Deadlines kept in working days across the 2025 Spring Festival and National Day holidays, with their
weekend make-up working days (调休), and in calendar days where the governing rule counts those.

2025 Spring Festival: off Tue 28 Jan - Tue 4 Feb; worked Sun 26 Jan and Sat 8 Feb.
2025 National Day and Mid-Autumn: off Wed 1 - Wed 8 Oct; worked Sun 28 Sep and Sat 11 Oct.
The expected dates below were counted by hand from those notices.
"""

from __future__ import annotations

from datetime import date

import pytest
from due_samples import ORG_ID, People, Registry, clock_on

from xinyong.catalog import default_catalog
from xinyong.due_process import Actor, objections, repairs
from xinyong.due_process.objections import deadline_for
from xinyong.store import Store

CAT = default_catalog()
ABNORMAL = CAT.record_types["market.abnormal_operations"]  # 20 working days (EIPR Art. 13)
PENALTY = CAT.record_types["admin.penalty"]  # 20 calendar days (CRIR Art. 25)
SUBJECT = Actor("company", "subject")


@pytest.mark.parametrize(
    ("filed", "expected", "why"),
    [
        # Mon 20 Jan: 21-24 (4), Sun 26 worked (5), 27 (6), holiday to 4 Feb, 5-7 (9), Sat 8 worked (10),
        # 10-14 (15), 17-21 (20).
        (date(2025, 1, 20), date(2025, 2, 21), "spring festival with both make-up days"),
        # Mon 27 Jan, the last day before the holiday: 5-7 Feb (3), Sat 8 (4), 10-14 (9), 17-21 (14), 24-28 (19), 3 Mar.
        (date(2025, 1, 27), date(2025, 3, 3), "filed on the eve of the holiday"),
        # Filed on a holiday: no working day passes until 5 Feb, so the same deadline as filing on the eve.
        (date(2025, 1, 30), date(2025, 3, 3), "filed during the holiday"),
        # Fri 26 Sep: Sun 28 worked (1), 29-30 (3), holiday to 8 Oct, 9-10 (5), Sat 11 worked (6), 13-17 (11),
        # 20-24 (16), 27-30 (20).
        (date(2025, 9, 26), date(2025, 10, 30), "national day with both make-up days"),
    ],
)
def test_working_day_objection_deadlines_across_the_holidays(filed: date, expected: date, why: str) -> None:
    assert ABNORMAL.objection_day_kind == "working"
    assert deadline_for(ABNORMAL, filed) == expected, why


def test_calendar_day_deadlines_ignore_holidays() -> None:
    assert PENALTY.objection_day_kind == "calendar"
    assert deadline_for(PENALTY, date(2025, 1, 20)) == date(2025, 2, 9)
    assert deadline_for(PENALTY, date(2025, 9, 26)) == date(2025, 10, 16)


def test_filed_objection_and_repair_carry_holiday_aware_deadlines(
    store: Store, registry: Registry, people: People
) -> None:
    registry.record(
        "samr.110000",
        "A1",
        "market.abnormal_operations",
        people.org,
        subject_kind="org",
        decided_on=date(2024, 9, 2),
        extra={"fulfilled_on": "2025-09-20"},
    )
    filed = objections.file(
        store, CAT, clock_on(date(2025, 9, 26)), subject=ORG_ID, record="samr.110000:A1", grounds="filed", by=SUBJECT
    )
    assert (filed.deadline, filed.deadline_kind) == (date(2025, 10, 30), "working")
    objections.decide(
        store, CAT, clock_on(date(2025, 9, 29)), filed.key, decision="reject", reason="correct", by=SUBJECT
    )
    # Repair of an abnormal-operations listing: 5 working days from Tue 30 Sep = 9, 10, Sat 11, 13, 14 Oct.
    pending = repairs.apply(
        store, CAT, clock_on(date(2025, 9, 30)), subject=ORG_ID, record="samr.110000:A1", commitment=None, by=SUBJECT
    )
    assert (pending.status, pending.deadline) == ("pending", date(2025, 10, 14))
