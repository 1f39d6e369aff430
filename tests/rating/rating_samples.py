"""Small registries for the rating tests: organisations, people and their records, built through the store's
own repository functions (a plain module: conftest files are not for importing)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from xinyong.clock import CST
from xinyong.ids import uscc
from xinyong.store import NewSubject, RecordData, Store, SubjectRow, bulk_records
from xinyong.store import records as record_repo
from xinyong.store import subjects as subject_repo
from xinyong.store.ratings import Connection

#: When test records are recorded unless a test says otherwise (before the test clock, 2025-06-01).
RECORDED = datetime(2025, 1, 15, 9, 0, tzinfo=CST)


def org_id(n: int, division: str = "110105") -> str:
    """A valid USCC, different for every n."""
    return uscc.generate(random.Random(n), division=division)


def add_org(conn: Connection, n: int, *, division: str = "110105", name: str | None = None) -> SubjectRow:
    code = org_id(n, division)
    label = name or f"测试公司{n}"
    return subject_repo.create(
        conn,
        NewSubject(kind="org", name=label, name_norm=label, id_kind="uscc", id_value=code),
        at=RECORDED,
    )


def add_person(conn: Connection, resident_id: str, name: str = "张三") -> SubjectRow:
    return subject_repo.create(
        conn,
        NewSubject(kind="person", name=name, name_norm=name, id_kind="resident_id", id_value=resident_id),
        at=RECORDED,
    )


@dataclass
class RecordMaker:
    """Numbers records per agency so every call makes a new one."""

    counter: int = 0
    made: list[int] = field(default_factory=list)

    def __call__(
        self,
        conn: Connection,
        subject: SubjectRow,
        record_type: str,
        decided_on: date,
        *,
        recorded_at: datetime = RECORDED,
        agency: str = "samr.110000",
        **fields: Any,
    ) -> int:
        self.counter += 1
        record_id = f"T{self.counter:07d}"
        data = RecordData(
            agency=agency,
            record_id=record_id,
            record_type=record_type,
            subject_kind=subject.kind,
            subject_name=subject.name,
            subject_id=subject.id_value,
            subject_pk=subject.pk,
            link="id",
            decided_on=decided_on,
            row_hash=hashlib.sha256(record_id.encode()).hexdigest(),
            **fields,
        )
        row = record_repo.insert_version(conn, data, recorded_at=recorded_at)
        self.made.append(row.pk)
        return row.pk


def risky_registry(store: Store, *, orgs: int = 500, seed: int = 7) -> dict[str, float]:
    """Organisations with a latent yearly risk and records from 2020 to May 2025 that follow it.

    Risky ones collect more penalties and abnormal-operations listings, and their serious outcomes
    (serious penalties, court enforcement) arrive at the rate of their risk; returns USCC -> risk.
    """
    rng = np.random.default_rng(seed)
    risk: dict[str, float] = {}
    with store.unit_of_work() as conn:
        created = subject_repo.create_many(
            conn,
            [
                NewSubject(kind="org", name=f"公司{n}", name_norm=f"公司{n}", id_kind="uscc", id_value=org_id(n))
                for n in range(10_000, 10_000 + orgs)
            ],
            at=RECORDED,
        )
        rows: list[RecordData] = []

        def add(org: SubjectRow, record_type: str, day: date, agency: str = "samr.110000", **fields: Any) -> None:
            record_id = f"R{len(rows) + 1:07d}"
            rows.append(
                RecordData(
                    agency=agency,
                    record_id=record_id,
                    record_type=record_type,
                    subject_kind="org",
                    subject_name=org.name,
                    subject_id=org.id_value,
                    subject_pk=org.pk,
                    link="id",
                    decided_on=day,
                    row_hash=record_id,
                    **fields,
                )
            )

        for org in created:
            r = float(1 / (1 + np.exp(-(-3.0 + 1.2 * rng.standard_normal()))))
            risk[str(org.id_value)] = r
            # A licence at registration, so every organisation is known from 2020 on.
            add(org, "admin.license", date(2020, 1, 1) + timedelta(days=int(rng.integers(0, 200))))
            for year in range(2020, 2026):
                last = 150 if year == 2025 else 365

                def day() -> date:
                    return date(year, 1, 1) + timedelta(days=int(rng.integers(0, last)))  # noqa: B023

                for _ in range(int(rng.poisson(0.05 + 2.0 * r))):
                    add(org, "admin.penalty", day(), severity=str(rng.choice(["minor", "general"])))
                if rng.random() < 0.02 + 1.5 * r:
                    add(org, "market.abnormal_operations", day())
                if rng.random() < r:
                    if rng.random() < 0.5:
                        add(org, "admin.penalty", day(), severity="serious")
                    else:
                        add(org, "court.consumption_restriction", day(), agency="court.110105")
        bulk_records.bulk_insert(conn, rows, recorded_at=RECORDED)
    return risk


def arrow_records(rows: list[dict[str, Any]]) -> pa.Table:
    """An Arrow `records` table from partial rows (missing columns are null, times naive UTC)."""
    from xinyong.rating.assemble import RECORDS_SCHEMA

    columns: dict[str, list[Any]] = {name: [] for name in RECORDS_SCHEMA.names}
    for i, row in enumerate(rows, start=1):
        full = {"pk": i, "status": "in_force", "recorded_at": datetime(2024, 1, 1), **row}
        for name in RECORDS_SCHEMA.names:
            columns[name].append(full.get(name))
    return pa.Table.from_pydict(columns, schema=RECORDS_SCHEMA)


def arrow_entities(pks: list[int]) -> pa.Table:
    from xinyong.rating.assemble import ENTITIES_SCHEMA

    return pa.Table.from_pydict(
        {
            "subject_pk": pks,
            "subject_key": [f"S{pk:08d}" for pk in pks],
            "uscc": [org_id(pk) for pk in pks],
            "name": [f"公司{pk}" for pk in pks],
        },
        schema=ENTITIES_SCHEMA,
    )


def registry(store: Store) -> dict[str, int]:
    """Four organisations and a person whose records would cost points if people were rated."""
    make = RecordMaker()
    with store.unit_of_work() as conn:
        clean = add_org(conn, 1)
        listed = add_org(conn, 2)
        fined = add_org(conn, 3)
        young = add_org(conn, 4)
        person = add_person(conn, "11010519491231002X")
        make(conn, clean, "admin.license", date(2019, 5, 1))
        make(conn, listed, "admin.license", date(2019, 5, 1))
        make(conn, listed, "market.serious_illegal", date(2025, 3, 1))
        make(conn, fined, "admin.license", date(2018, 1, 1))
        make(conn, fined, "admin.penalty", date(2024, 9, 1), severity="general", amount=None)
        make(conn, fined, "admin.penalty", date(2025, 2, 1), severity="general")
        make(conn, young, "admin.license", date(2025, 1, 10))
        make(conn, person, "admin.penalty", date(2025, 2, 1), severity="serious", agency="tax.110000")
        make(conn, person, "court.defaulter", date(2025, 2, 1), agency="court.110105")
    return {"clean": clean.pk, "listed": listed.pk, "fined": fined.pk, "young": young.pk, "person": person.pk}
