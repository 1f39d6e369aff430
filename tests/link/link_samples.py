"""A tiny registry for linkage tests: subjects known by code (with an id-linked record each, which is
what the subject side learns its address and phone from) and pending records about them or strangers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from xinyong.clock import CST, FixedClock
from xinyong.ids import resident_id, uscc
from xinyong.store import NewSubject, RecordData, Store, records, subjects
from xinyong.text import normalize_name, normalize_org_name

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=CST)
CLOCK = FixedClock(NOW)


@dataclass
class Registry:
    """Writes subjects and records into a store, numbering records R1, R2, … per agency."""

    store: Store
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    serial: int = 0

    def _data(self, **values: Any) -> RecordData:
        self.serial += 1
        base: dict[str, Any] = {
            "agency": "samr.110000",
            "record_id": f"R{self.serial}",
            "record_type": "admin.penalty",
            "subject_kind": "org",
            "decided_on": date(2024, 1, 10),
            "row_hash": f"hash-{self.serial}",
        }
        base.update(values)
        return RecordData(**base)

    def org(self, name: str, *, code: str | None = None, **record: Any) -> tuple[int, str]:
        """A company known by its USCC, with one id-linked record; returns (subject pk, code)."""
        code = code or uscc.generate(self.rng, "110105")
        return self._subject("org", name, code, "uscc", record), code

    def person(self, name: str, born: date, *, code: str | None = None, **record: Any) -> tuple[int, str]:
        """A person known by resident ID, with one id-linked record; returns (subject pk, code)."""
        code = code or resident_id.generate(self.rng, "110105", born, female=False)
        record.setdefault("birth_date", born)
        return self._subject("person", name, code, "resident_id", record), code

    def _subject(self, kind: str, name: str, code: str, id_kind: str, record: dict[str, Any]) -> int:
        norm = normalize_org_name(name) if kind == "org" else normalize_name(name)
        with self.store.unit_of_work() as conn:
            subject = subjects.create(
                conn, NewSubject(kind=kind, name=name, name_norm=norm, id_kind=id_kind, id_value=code), at=NOW
            )
            data = self._data(
                subject_kind=kind,
                subject_name=name,
                subject_id=code,
                subject_id_raw=code,
                subject_pk=subject.pk,
                link="id",
                **record,
            )
            records.insert_version(conn, data, recorded_at=NOW)
        return subject.pk

    def pending(self, name: str, *, kind: str = "org", **values: Any) -> int:
        """A record waiting for linkage; returns its pk."""
        with self.store.unit_of_work() as conn:
            row = records.insert_version(
                conn, self._data(subject_kind=kind, subject_name=name, **values), recorded_at=NOW
            )
        return row.pk

    def record(self, pk: int) -> records.RecordRow:
        """A stored record version."""
        with self.store.connect() as conn:
            row = records.get(conn, pk)
        assert row is not None
        return row


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰文红建国志"
STREETS = ("建国路", "光华路", "朝阳北路", "中关村大街", "学院路", "丰台路", "金融街", "长安街")
DISTRICTS = ("朝阳区", "海淀区", "丰台区", "西城区")


def populate(store: Store, people: int, *, seed: int = 1, strangers: int = 20) -> list[int]:
    """`people` persons known by resident ID (each with an id-linked record), a pending record about each
    (no code; some written in traditional characters or with another phone format), and `strangers`
    pending records about nobody known; returns the pending records' pks."""
    from opencc import OpenCC

    rng = random.Random(seed)
    to_traditional = OpenCC("s2t")
    pending: list[int] = []
    with store.unit_of_work() as conn:
        for i in range(people + strangers):
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            born = date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28))
            district = rng.choice(DISTRICTS)
            address = f"北京市{district}{rng.choice(STREETS)}{rng.randrange(1, 300)}号院{rng.randrange(1, 30)}号楼"
            phone = f"13{rng.randrange(10**9):09d}"
            if i < people:
                code = resident_id.generate(rng, "110105", born, female=False)
                subject = subjects.create(
                    conn,
                    NewSubject(kind="person", name=name, name_norm=name, id_kind="resident_id", id_value=code),
                    at=NOW,
                )
                known = RecordData(
                    agency="court.110105",
                    record_id=f"K{i}",
                    record_type="court.consumption_restriction",
                    subject_kind="person",
                    subject_name=name,
                    subject_id=code,
                    subject_id_raw=code,
                    subject_pk=subject.pk,
                    link="id",
                    decided_on=date(2024, 1, 10),
                    birth_date=born,
                    address=address,
                    phone=phone,
                    row_hash=f"k{i}",
                )
                records.insert_version(conn, known, recorded_at=NOW)
            variant = to_traditional.convert(name) if rng.random() < 0.2 else name
            said = RecordData(
                agency="tax.110000",
                record_id=f"P{i}",
                record_type="admin.penalty",
                subject_kind="person",
                subject_name=variant,
                decided_on=date(2024, 5, 10),
                birth_date=born if rng.random() < 0.9 else None,
                address=address if rng.random() < 0.7 else None,
                phone=(f"+86 {phone}" if rng.random() < 0.5 else phone) if rng.random() < 0.8 else None,
                row_hash=f"p{i}",
            )
            pending.append(records.insert_version(conn, said, recorded_at=NOW).pk)
    return pending
