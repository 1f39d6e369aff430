"""Credit repair: eligibility from the catalog's rules (a table of cases), refusals that name the rule and
the earliest date, and a granted repair that ends public display, the listing and its measures, with the
change feed carrying the end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from due_samples import ORG_ID, PERSON_ID, TODAY, People, Registry, clock_on, org_penalty, person_defaulter

from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.domain.records import RecordVersion
from xinyong.due_process import Actor, repairs, subject_files
from xinyong.due_process.repairs import eligibility, fulfilment_evidence
from xinyong.errors import Conflict, InvalidInput, NotFound
from xinyong.rules.listings import listings_for
from xinyong.screening import ScreeningIndex, changes_for, check_in_store, publish
from xinyong.store import Store, audit_rows, subjects

CAT = default_catalog()
SUBJECT = Actor("zhangsan", "subject")
COURT = Actor("chaoyang-court", "court")
LETTER = "本单位承诺依法诚信经营，不再发生同类违法行为。"


def version(record_type: str, **kw: Any) -> RecordVersion:
    values: dict[str, Any] = {
        "agency": "samr.110000",
        "record_id": "X1",
        "version": 1,
        "record_type": record_type,
        "subject_kind": "org",
        "subject_name": "某某科技有限公司",
        "decided_on": date(2025, 1, 10),
        "recorded_at": datetime(2025, 1, 10, tzinfo=UTC),
        "link": "id",
        "decision_no": "京市监罚〔2025〕1号",
    }
    values.update(kw)
    return RecordVersion(**values)


ELIGIBILITY_CASES = [
    # record type, version fields, fulfilled?, letter?, today, eligible, earliest, words in the reason
    ("admin.penalty", {"severity": "general"}, True, True, date(2025, 4, 10), True, date(2025, 4, 10), "passed"),
    ("admin.penalty", {"severity": "general"}, True, True, date(2025, 4, 9), False, date(2025, 4, 10), "3 months"),
    ("admin.penalty", {"severity": "serious"}, True, True, date(2025, 6, 1), False, date(2026, 1, 10), "12 months"),
    ("admin.penalty", {"severity": "minor"}, True, True, date(2025, 1, 10), True, date(2025, 1, 10), "eligible"),
    ("admin.penalty", {}, True, True, date(2025, 4, 10), True, date(2025, 4, 10), "general"),  # no class: general
    ("admin.penalty", {"severity": "general"}, False, True, date(2025, 6, 1), False, date(2025, 6, 1), "fulfilled"),
    ("admin.penalty", {"severity": "general"}, True, False, date(2025, 6, 1), False, date(2025, 6, 1), "承诺书"),
    (
        "admin.penalty",
        {"severity": "general", "status": "repaired"},
        True,
        True,
        date(2025, 6, 1),
        False,
        None,
        "already",
    ),
    ("admin.license", {}, True, True, date(2025, 6, 1), False, None, "cannot be repaired"),
    ("procurement.debarment", {"agency": "procurement.110000"}, True, True, date(2025, 6, 1), False, None, "cannot"),
    ("market.serious_illegal", {}, True, True, date(2025, 6, 1), False, date(2026, 1, 20), "12 months after listing"),
    ("market.serious_illegal", {}, True, True, date(2026, 1, 20), True, date(2026, 1, 20), "eligible"),
    ("court.defaulter", {"agency": "court.110105"}, True, False, date(2025, 1, 10), True, None, "eligible"),
    ("court.defaulter", {"agency": "court.110105"}, False, False, date(2025, 3, 1), False, date(2025, 3, 1), "fulfil"),
]


@pytest.mark.parametrize(
    ("record_type", "fields", "fulfilled", "letter", "today", "eligible", "earliest", "words"), ELIGIBILITY_CASES
)
def test_eligibility_follows_the_catalog_rules(
    record_type: str,
    fields: dict[str, Any],
    fulfilled: bool,
    letter: bool,
    today: date,
    eligible: bool,
    earliest: date | None,
    words: str,
) -> None:
    v = version(record_type, **fields)
    (listing,) = listings_for([[v]], CAT) or (None,)
    verdict = eligibility(
        CAT.record_types[record_type],
        v,
        listing,
        fulfilled_by="the agency reported the record fulfilled" if fulfilled else None,
        commitment=letter,
        today=today,
    )
    assert (verdict.eligible, verdict.earliest) == (eligible, earliest)
    assert words in verdict.reason


def test_fulfilment_is_what_the_agency_reported() -> None:
    plain = version("admin.penalty")
    assert fulfilment_evidence(plain, [plain]) is None
    assert fulfilment_evidence(version("admin.penalty", status="fulfilled"), []) is not None
    paid = version("admin.penalty", extra={"paid_on": "2025-02-01"})
    assert fulfilment_evidence(paid, []) == "the agency reported paid_on 2025-02-01"
    notice = version("admin.penalty", record_id="X2", status="fulfilled")
    assert fulfilment_evidence(plain, [plain, notice]) == "fulfilment record samr.110000:X2 of the same decision"
    other_decision = version("admin.penalty", record_id="X3", status="fulfilled", decision_no="another")
    assert fulfilment_evidence(plain, [other_decision]) is None


def test_refused_at_once_with_every_failed_rule_and_the_earliest_date(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    org_penalty(registry, people.org)  # general, decided 2025-04-10: minimum 3 months
    refused = repairs.apply(store, CAT, clock, subject=ORG_ID, record="samr.110000:P1", commitment=None, by=SUBJECT)
    assert (refused.key, refused.status, refused.earliest) == ("R00000001", "refused", date(2025, 7, 10))
    assert "minimum publicity period for a general admin.penalty is 3 months" in refused.reason
    assert "not shown fulfilled" in refused.reason
    assert "commitment letter" in refused.reason
    assert refused.deadline is None
    with store.connect() as conn:
        (entry,) = audit_rows.for_object(conn, "repair:R00000001")
        org = subjects.get(conn, people.org)
        assert org is not None
        (told,) = subject_files.notifications(conn, org)
    assert (entry.action, entry.result, entry.detail["earliest"]) == ("repair.apply", "refused", "2025-07-10")
    assert "It could succeed from 2025-07-10." in told["message_en"]

    later = clock_on(date(2025, 7, 10))
    again = repairs.apply(store, CAT, later, subject=ORG_ID, record="samr.110000:P1", commitment=LETTER, by=SUBJECT)
    assert again.status == "refused"
    assert again.reason.startswith("the obligations are not shown fulfilled")
    assert again.earliest == date(2025, 7, 10)


def test_a_record_type_that_cannot_be_repaired_has_no_earliest_date(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    registry.record("samr.110000", "L1", "admin.license", people.org, subject_kind="org")
    refused = repairs.apply(store, CAT, clock, subject=ORG_ID, record="samr.110000:L1", commitment=LETTER, by=SUBJECT)
    assert (refused.status, refused.earliest) == ("refused", None)
    assert "admin.license records cannot be repaired" in refused.reason


def test_granted_repair_ends_display_listing_and_measures_and_the_feed_carries_the_end(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person, extra={"paid_on": "2025-05-20"})
    publish(store, CAT, clock)
    with store.connect() as conn:
        _, start = changes_for(conn, CAT, 0, ["air_ticket"], key=b"k", clear_ids=True)
        person = subjects.get(conn, people.person)
        assert person is not None
        public = subject_files.read_file(conn, CAT, person, view="public", today=TODAY)
    assert [r["record"] for r in public["records"]] == ["court.110105:D1"]

    pending = repairs.apply(store, CAT, clock, subject=PERSON_ID, record="court.110105:D1", commitment=None, by=SUBJECT)
    assert pending.status == "pending"
    # 3 working days from Sunday 2025-06-01: Monday 2 June is the Dragon Boat holiday.
    assert pending.deadline == date(2025, 6, 5)
    assert "obligations fulfilled: the agency reported paid_on 2025-05-20" in pending.reason
    with pytest.raises(Conflict, match="already has pending application R00000001"):
        repairs.apply(store, CAT, clock, subject=PERSON_ID, record="court.110105:D1", commitment=None, by=SUBJECT)

    decided = repairs.decide(
        store, clock, pending.key, grant=True, reason="Debt paid; removed under Art. 10.", by=COURT
    )
    assert decided.application.status == "granted"
    assert decided.version is not None
    assert (decided.version.status, decided.version.valid_to) == ("repaired", date(2025, 5, 31))

    assert check_in_store(store, CAT, PERSON_ID, "air_ticket", TODAY).effect == "allow"
    assert publish(store, CAT, clock) > 0
    assert ScreeningIndex.build(store, CAT).check(PERSON_ID, "air_ticket", TODAY).effect == "allow"
    with store.connect() as conn:
        items, _ = changes_for(conn, CAT, start, None, key=b"k", clear_ids=True)
        full = subject_files.read_file(conn, CAT, person, view="full", today=TODAY)
    measures = {m.code for m in CAT.measures_for_list("defaulter")}
    assert {i.measure for i in items} == measures  # the end of each measure
    assert {(i.event, i.record, i.valid_to) for i in items} == {("changed", "court.110105:D1", "2025-05-31")}
    assert full["measures"] == []
    (listing,) = full["listings"]
    assert (listing["state"], listing["removal_reason"], listing["end"]) == ("removed", "repaired", date(2025, 5, 31))
    assert [a["status"] for a in full["repairs"]] == ["granted"]
    with store.connect() as conn, pytest.raises(NotFound, match="shows nothing about this person"):
        subject_files.read_file(conn, CAT, person, view="public", today=TODAY)
    with pytest.raises(Conflict, match="already decided"):
        repairs.decide(store, clock, pending.key, grant=False, reason="again", by=COURT)


def test_refused_after_review_keeps_the_record(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person, status="fulfilled")
    pending = repairs.apply(store, CAT, clock, subject=PERSON_ID, record="court.110105:D1", commitment=None, by=SUBJECT)
    decided = repairs.decide(store, clock, pending.key, grant=False, reason="Payment not confirmed.", by=COURT)
    assert (decided.application.status, decided.version) == ("refused_after_review", None)
    assert decided.application.decision_reason == "Payment not confirmed."
    with pytest.raises(InvalidInput) as empty:
        repairs.apply(store, CAT, clock, subject=PERSON_ID, record="court.110105:D1", commitment=" ", by=SUBJECT)
    assert empty.value.field == "commitment"
