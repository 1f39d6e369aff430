"""A small registry for the portal tests, written through the store's repository functions: two companies,
two people, their records (public, shared, expired and withdrawn), a rating, a review item, a batch with a
quarantine file, and a platform's checks. A plain module (conftest files are not for importing).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from xinyong import access
from xinyong.access import Principal
from xinyong.catalog.model import Catalog
from xinyong.clock import CST, Clock
from xinyong.ids import uscc
from xinyong.screening import publish
from xinyong.store import (
    BatchCounts,
    NewSubject,
    RecordData,
    RecordRow,
    Store,
    SubjectRow,
    audit_rows,
    batches,
    ratings,
    records,
    subjects,
)
from xinyong.store import linkage as store_linkage
from xinyong.store.audit_rows import Event
from xinyong.text import normalize_name, normalize_org_name

_RNG = random.Random(20250601)
ORG_ID = uscc.generate(_RNG, division="110105")
ORG2_ID = uscc.generate(_RNG, division="110108")
PERSON_ID = "11010519491231002X"
PERSON_MASKED = "110105********002X"
OTHER_ID = "11010119900307299X"

ORG_NAME = "北京腾育贸易有限公司"
ORG2_NAME = "北京华茂科技有限责任公司"
PERSON_NAME = "欧阳明"
OTHER_NAME = "李四"

DEFAULTER_NO = "(2025)京0105执123号"
PENALTY_NO = "京市监罚〔2025〕88号"
EXPIRED_NO = "京市监罚〔2024〕7号"
REVOKED_NO = "京市监罚〔2025〕9号"
PERSON_DEFAULTER_NO = "(2025)京0105执456号"
RESTRICTION_NO = "(2025)京0105执789号"
OTHER_PENALTY_NO = "京市监罚〔2025〕77号"
REASON_ZH = "失信被执行人名单在列"

RECORDED = datetime(2025, 1, 5, 10, 0, tzinfo=CST)
PLATFORM = "东方航空购票平台"
#: `make_key(role, **scopes)` returns a fresh API key of that role.
MakeKey = Callable[..., str]


@dataclass(frozen=True)
class Sample:
    """What the sample registry holds, by the names the tests use."""

    org: SubjectRow
    org2: SubjectRow
    person: SubjectRow
    other: SubjectRow
    review_item: int
    review_record: str
    batch: int
    quarantine: Path


def _subject(store: Store, kind: str, id_value: str, name: str) -> SubjectRow:
    norm = normalize_org_name(name) if kind == "org" else normalize_name(name)
    with store.unit_of_work() as conn:
        return subjects.create(
            conn,
            NewSubject(
                kind=kind,
                name=name,
                name_norm=norm,
                id_kind="uscc" if kind == "org" else "resident_id",
                id_value=id_value,
            ),
            at=RECORDED,
        )


def _record(
    store: Store, who: SubjectRow | None, agency: str, record_id: str, record_type: str, **kw: Any
) -> RecordRow:
    values: dict[str, Any] = {
        "agency": agency,
        "record_id": record_id,
        "record_type": record_type,
        "subject_kind": who.kind if who else "org",
        "subject_name": who.name if who else "",
        "subject_id": who.id_value if who else None,
        "subject_id_raw": who.id_value if who else None,
        "subject_pk": who.pk if who else None,
        "link": "id" if who else "review",
        "decided_on": date(2025, 1, 10),
        "row_hash": f"h-{agency}-{record_id}",
    }
    values.update(kw)
    with store.unit_of_work() as conn:
        return records.insert_version(conn, RecordData(**values), recorded_at=RECORDED)


def build(store: Store, catalog: Catalog, clock: Clock, home: Path) -> Sample:
    """Write the sample registry and publish its measures."""
    org = _subject(store, "org", ORG_ID, ORG_NAME)
    org2 = _subject(store, "org", ORG2_ID, ORG2_NAME)
    person = _subject(store, "person", PERSON_ID, PERSON_NAME)
    other = _subject(store, "person", OTHER_ID, OTHER_NAME)

    _record(
        store,
        org,
        "court.110105",
        "D-ORG",
        "court.defaulter",
        valid_to=date(2026, 12, 31),
        decision_no=DEFAULTER_NO,
        amount=Decimal("854685.21"),
        summary="有履行能力而拒不履行生效法律文书确定义务",
    )
    _record(
        store,
        org,
        "samr.110000",
        "P-2025",
        "admin.penalty",
        decided_on=date(2025, 4, 10),
        severity="general",
        decision_no=PENALTY_NO,
        amount=Decimal("5000"),
    )
    # Published for 12 months from 2024-01-10: gone by the tests' today.
    _record(
        store,
        org,
        "samr.110000",
        "P-OLD",
        "admin.penalty",
        decided_on=date(2024, 1, 10),
        severity="general",
        decision_no=EXPIRED_NO,
    )
    # Withdrawn by its agency: never shown.
    _record(
        store,
        org,
        "samr.110000",
        "P-REVOKED",
        "admin.penalty",
        decided_on=date(2025, 2, 1),
        severity="general",
        status="revoked",
        valid_to=date(2025, 2, 2),
        decision_no=REVOKED_NO,
    )
    _record(
        store, org2, "samr.110000", "L-1", "admin.license", decided_on=date(2025, 3, 1), decision_no="京许〔2025〕1号"
    )
    _record(
        store,
        person,
        "court.110105",
        "D-PERSON",
        "court.defaulter",
        valid_to=date(2026, 6, 30),
        decision_no=PERSON_DEFAULTER_NO,
        amount=Decimal("12500.50"),
    )
    _record(store, person, "court.110105", "C-PERSON", "court.consumption_restriction", decision_no=RESTRICTION_NO)
    _record(
        store,
        other,
        "samr.110000",
        "P-OTHER",
        "admin.penalty",
        decided_on=date(2025, 4, 1),
        severity="minor",
        decision_no=OTHER_PENALTY_NO,
    )
    with store.unit_of_work() as conn:
        ratings.insert_ratings(
            conn,
            [
                ratings.NewRating(
                    subject_pk=org.pk,
                    as_of=date(2025, 6, 1),
                    model_code="tax_style",
                    model_version="2014-40.x1",
                    score=55.0,
                    grade="C",
                    reasons=[
                        {"code": "defaulter_in_force", "label_zh": REASON_ZH, "label_en": "Listed as a defaulter"}
                    ],
                    rated_at=RECORDED,
                    run="test-run",
                )
            ],
        )

    # A record the matching model was unsure of: proposed for the company, waiting for a person.
    pending = _record(
        store,
        None,
        "samr.110000",
        "P-REVIEW",
        "admin.penalty",
        subject_kind="org",
        subject_name="北京腾育贸易有限责任公司",
        subject_id_raw="91110105XXXX",
        decided_on=date(2025, 5, 1),
        severity="minor",
        address="北京市朝阳区建国路1号",
    )
    with store.unit_of_work() as conn:
        candidate = {"subject_pk": org.pk, "subject": org.key, "probability": 0.83, "match_weight": 2.3}
        [item] = store_linkage.open_reviews(
            conn,
            [
                store_linkage.NewReviewItem(
                    run="L00000001",
                    record_pk=pending.pk,
                    record_key=f"{pending.agency}:{pending.record_id}",
                    source="model",
                    subject_pk=org.pk,
                    probability=0.83,
                    candidates=[candidate],
                )
            ],
            at=RECORDED,
        )
        store_linkage.save_explanations(
            conn,
            [
                store_linkage.ExplanationRow(
                    run="L00000001",
                    record_pk=pending.pk,
                    rank=1,
                    probability=0.83,
                    match_weight=2.3,
                    levels={
                        "name": {"gamma": 3, "label": "same core name", "match_weight": 6.5, "bayes_factor": 90.5},
                        "address": {
                            "gamma": -1,
                            "label": "missing on a side",
                            "match_weight": 0.0,
                            "bayes_factor": 1.0,
                        },
                    },
                    subject_pk=org.pk,
                )
            ],
        )

    quarantine = home / "quarantine" / "1.csv"
    quarantine.parent.mkdir(parents=True, exist_ok=True)
    with quarantine.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "row", "field", "reason", "record_id", "subject_name"])
        writer.writerow(["feed.csv", "7", "decided_on", "date lies in the future: 2031-01-01", "X7", "北京某某公司"])
    with store.unit_of_work() as conn:
        batch = batches.start(
            conn, agency="samr.110000", files=["feed.csv"], format="csv", file_sha256="0" * 64, at=RECORDED
        )
        batches.finish(
            conn, batch.pk, BatchCounts(rows=10, accepted=9, rejected=1), at=RECORDED, quarantine_path=str(quarantine)
        )

    # A platform's checks, as screening audits them; and a regulator reading the person's file.
    at = datetime(2025, 5, 20, 9, 0, tzinfo=CST)
    with store.unit_of_work() as conn:
        audit_rows.record(
            conn,
            [
                Event(at, PLATFORM, "platform", "check", f"subject:{PERSON_ID}", purpose="ticketing", result="deny"),
                Event(at, PLATFORM, "platform", "check", f"subject:{ORG_ID}", purpose="ticketing", result="deny"),
                Event(
                    at,
                    PLATFORM,
                    "platform",
                    "check.request",
                    "action:air_ticket",
                    purpose="ticketing",
                    detail={"at": "2025-05-20", "ids": 5, "on_file": 1, "invalid": 0},
                ),
            ],
        )
        regulator = Principal(name="朝阳区市场监管局", role="regulator")
        access.log_read(conn, regulator, f"subject:{PERSON_ID}", "inspection planning", at=at)
    publish(store, catalog, clock)
    return Sample(
        org=org,
        org2=org2,
        person=person,
        other=other,
        review_item=item,
        review_record=f"{pending.agency}:{pending.record_id}",
        batch=batch.pk,
        quarantine=quarantine,
    )
