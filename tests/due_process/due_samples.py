"""A small registry for the due-process tests: people, a company and their records, written to the store.

A plain module (conftest files are not for importing); `conftest.py` wraps it in fixtures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from xinyong.clock import CST, FixedClock
from xinyong.store import NewSubject, RecordData, RecordRow, Store, records, subjects

PERSON_ID = "11010519491231002X"
PERSON_MASKED = "110105********002X"
OTHER_ID = "11010119900307299X"
ORG_ID = "91350500676532779B"
#: When the sample records were recorded: before every clock the tests use.
RECORDED = datetime(2025, 1, 2, 10, 0, tzinfo=CST)
#: The tests' today, noon CST on Sunday 2025-06-01 (as in tests/conftest.py).
TODAY = date(2025, 6, 1)


def clock_on(day: date, hour: int = 12) -> FixedClock:
    """A clock stopped at `hour` CST on `day`."""
    return FixedClock(datetime(day.year, day.month, day.day, hour, tzinfo=CST))


@dataclass(frozen=True)
class People:
    """The sample subjects' pks."""

    person: int
    other: int
    org: int


class Registry:
    """Writes subjects and records straight to the store, as ingestion and linkage would leave them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def subject(self, kind: str, id_value: str | None, name: str) -> int:
        with self.store.unit_of_work() as conn:
            row = subjects.create(
                conn,
                NewSubject(
                    kind=kind,
                    name=name,
                    name_norm=name,
                    id_kind=None if id_value is None else ("uscc" if kind == "org" else "resident_id"),
                    id_value=id_value,
                ),
                at=RECORDED,
            )
        return row.pk

    def record(self, agency: str, record_id: str, record_type: str, subject_pk: int, **kw: Any) -> RecordRow:
        recorded_at = kw.pop("recorded_at", RECORDED)
        values: dict[str, Any] = {
            "agency": agency,
            "record_id": record_id,
            "record_type": record_type,
            "subject_kind": "person",
            "subject_name": "张三",
            "subject_pk": subject_pk,
            "link": "id",
            "decided_on": date(2025, 1, 2),
            "decision_no": f"({record_id})号",
            "row_hash": f"h-{agency}-{record_id}",
        }
        values.update(kw)
        with self.store.unit_of_work() as conn:
            return records.insert_version(conn, RecordData(**values), recorded_at=recorded_at)


def person_defaulter(registry: Registry, person: int, record_id: str = "D1", **kw: Any) -> RecordRow:
    """A court's defaulter record on the person, listed from 2025-01-02 to 2026-12-31."""
    values: dict[str, Any] = {"valid_to": date(2026, 12, 31), "amount": Decimal("12500.50")}
    values.update(kw)
    return registry.record("court.110105", record_id, "court.defaulter", person, **values)


def org_penalty(registry: Registry, org: int, record_id: str = "P1", **kw: Any) -> RecordRow:
    """A market regulator's general penalty on the company, decided 2025-04-10."""
    values: dict[str, Any] = {
        "subject_kind": "org",
        "subject_name": "某某科技有限公司",
        "decided_on": date(2025, 4, 10),
        "severity": "general",
        "amount": Decimal("5000"),
    }
    values.update(kw)
    return registry.record("samr.110000", record_id, "admin.penalty", org, **values)
