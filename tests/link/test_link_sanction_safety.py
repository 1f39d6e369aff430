"""No measure reaches a subject through a model link that no person confirmed (CONTRACT §4)."""

from __future__ import annotations

from datetime import date

import pytest
from link_samples import CLOCK, Registry

from xinyong.catalog import default_catalog
from xinyong.domain.files import SubjectFile
from xinyong.domain.records import RecordVersion
from xinyong.domain.subjects import SubjectRef
from xinyong.link import link_pending
from xinyong.link.review import confirm, list_items
from xinyong.rules.decisions import decide
from xinyong.rules.listings import listings_for
from xinyong.settings import Settings
from xinyong.store import RecordRow, subjects

pytestmark = pytest.mark.integration
CAT = default_catalog()
DAY = date(2025, 6, 1)


def _version(row: RecordRow, subject_key: str) -> RecordVersion:
    return RecordVersion(
        agency=row.agency,
        record_id=row.record_id,
        version=row.version,
        record_type=row.record_type,
        subject_kind="person",
        subject_name=row.subject_name,
        decided_on=row.decided_on,
        recorded_at=row.recorded_at,
        subject_key=subject_key,
        link=row.link,  # type: ignore[arg-type]
        link_probability=row.link_probability,
        valid_from=row.valid_from,
        decision_no=row.decision_no,
    )


def _decision_for(registry: Registry, subject_pk: int, record_pk: int) -> str:
    with registry.store.connect() as conn:
        subject = subjects.get(conn, subject_pk)
    assert subject is not None
    row = registry.record(record_pk)
    assert row.subject_pk == subject_pk
    file = SubjectFile(
        subject=SubjectRef(kind="person", key=subject.key, id=subject.id_value, name=subject.name),
        listings=listings_for([[_version(row, subject.key)]], CAT),
    )
    return decide(file, "air_ticket", DAY, CAT).effect


def _defaulter(registry: Registry, **values: object) -> int:
    return registry.pending(
        "李四",
        kind="person",
        agency="court.110105",
        record_type="court.defaulter",
        decided_on=date(2025, 1, 10),
        valid_from=date(2025, 1, 10),
        decision_no="(2025)京0105执1号",
        **values,
    )


def test_a_model_linked_defaulter_record_denies_nothing_until_a_person_confirms(registry: Registry) -> None:
    li, _ = registry.person(
        "李四", date(1980, 5, 6), address="北京市朝阳区建国路1号院2号楼3单元401", phone="13800001111"
    )
    by_model = _defaulter(registry, birth_date=date(1980, 5, 6), address="北京市朝阳区建国路1号院2号楼3单元401")
    summary = link_pending(registry.store, CAT, CLOCK, Settings())
    assert summary.linked_by_model == 1
    assert registry.record(by_model).link == "model"
    assert _decision_for(registry, li, by_model) == "allow"

    # The same kind of record, weaker evidence: a person must look, and then it counts.
    to_review = _defaulter(registry, birth_date=date(1980, 5, 6))
    link_pending(registry.store, CAT, CLOCK, Settings(link_upper=0.999999999, link_lower=0.5))
    assert registry.record(to_review).link == "review"
    (item,) = list_items(registry.store)
    confirm(registry.store, CLOCK, item.item, by="judge.assistant", reason="same person: name and birth date")
    assert registry.record(to_review).link == "confirmed"
    assert _decision_for(registry, li, to_review) == "deny"
