"""Objections end to end on the store: filed and contested at once, upheld (withdrawn or corrected) so that
checks allow the same day, rejected with a reason, escalated when the deadline passes, audited throughout
and told to the subject."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from due_samples import PERSON_ID, TODAY, People, Registry, clock_on, person_defaulter

from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.due_process import Actor, objections, subject_files
from xinyong.errors import Conflict, InvalidInput, NotFound
from xinyong.screening import ScreeningIndex, changes_for, check_in_store, publish
from xinyong.store import Store, audit_rows, records, subjects

CAT = default_catalog()
SUBJECT = Actor("zhangsan", "subject")
COURT = Actor("chaoyang-court", "court")


def _file(store: Store, clock: FixedClock, record: str = "court.110105:D1", who: str = PERSON_ID) -> str:
    filed = objections.file(
        store, CAT, clock, subject=who, record=record, grounds="I paid the debt in full in May.", by=SUBJECT
    )
    return filed.key


def _full_file(store: Store, pk: int, day: date = TODAY) -> dict[str, Any]:
    with store.connect() as conn:
        subject = subjects.get(conn, pk)
        assert subject is not None
        return subject_files.read_file(conn, CAT, subject, view="full", today=day)


def test_filed_objection_contests_the_record_at_once_with_the_catalog_deadline(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person)
    filed = objections.file(store, CAT, clock, subject=PERSON_ID, record="court.110105:D1", grounds="wrong", by=SUBJECT)
    assert (filed.key, filed.status, filed.deadline_kind) == ("O00000001", "open", "calendar")
    # court.defaulter: 15 calendar days (SPC Art. 12), counted from the filing day 2025-06-01.
    assert filed.deadline == date(2025, 6, 16)
    doc = _full_file(store, people.person)
    (record,) = doc["records"]
    assert (record["contested"], record["objection"]) == (True, "O00000001")
    (listing,) = doc["listings"]
    assert listing["contested"] is True
    assert listing["state"] == "listed"  # contested, yet in force during review
    with store.connect() as conn:
        (entry,) = audit_rows.for_object(conn, "objection:O00000001")
    assert (entry.action, entry.actor, entry.role) == ("objection.file", "zhangsan", "subject")
    assert entry.detail["deadline"] == "2025-06-16"


def test_upheld_withdrawal_revokes_the_record_and_check_allows_the_same_day(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person)
    publish(store, CAT, clock)
    assert check_in_store(store, CAT, PERSON_ID, "air_ticket", TODAY).effect == "deny"
    key = _file(store, clock)
    assert check_in_store(store, CAT, PERSON_ID, "air_ticket", TODAY).effect == "deny"  # still in force

    decided = objections.decide(
        store, CAT, clock, key, decision="withdraw", reason="The debt was paid before listing.", by=COURT
    )
    assert (decided.objection.status, decided.objection.outcome) == ("upheld", "withdraw")
    assert decided.version is not None
    assert (decided.version.version, decided.version.status) == (2, "revoked")
    assert decided.version.valid_to == TODAY - timedelta(days=1)
    with store.connect() as conn:
        versions = records.history(conn, "court.110105", "D1")
    assert [(v.version, v.status, v.current) for v in versions] == [(1, "in_force", False), (2, "revoked", True)]

    assert check_in_store(store, CAT, PERSON_ID, "air_ticket", TODAY).as_dict()["allowed"] is True
    publish(store, CAT, clock)
    index = ScreeningIndex.build(store, CAT)
    assert index.check(PERSON_ID, "air_ticket", TODAY).effect == "allow"
    assert index.check(PERSON_ID, "air_ticket", TODAY - timedelta(days=1)).effect == "deny"  # history holds
    with store.connect() as conn:
        feed, _ = changes_for(conn, CAT, 0, ["air_ticket"], key=b"k", clear_ids=True)
    last = [item for item in feed if item.record == "court.110105:D1"][-1]
    assert (last.event, last.valid_to) == ("changed", "2025-05-31")

    doc = _full_file(store, people.person)
    (record,) = doc["records"]
    assert (record["status"], record["contested"], record["public"]) == ("revoked", False, False)
    assert doc["measures"] == []


def test_rejected_objection_keeps_the_record_and_tells_the_subject_why(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person)
    key = _file(store, clock)
    decided = objections.decide(
        store, CAT, clock, key, decision="reject", reason="No payment was received by the court.", by=COURT
    )
    assert (decided.objection.status, decided.objection.outcome, decided.version) == ("rejected", None, None)
    assert decided.objection.reason == "No payment was received by the court."
    assert check_in_store(store, CAT, PERSON_ID, "air_ticket", TODAY).effect == "deny"
    with store.connect() as conn:
        subject = subjects.get(conn, people.person)
        assert subject is not None
        told = subject_files.notifications(conn, subject)
        decision_entry = audit_rows.for_object(conn, f"objection:{key}")[0]
    assert [t["event"] for t in told] == ["objection.rejected", "objection.filed"]
    assert "No payment was received by the court." in told[0]["message_en"]
    assert (decision_entry.action, decision_entry.actor) == ("objection.reject", "chaoyang-court")
    doc = _full_file(store, people.person)
    (record,) = doc["records"]
    assert record["contested"] is False
    with pytest.raises(Conflict, match="already decided"):
        objections.decide(store, CAT, clock, key, decision="withdraw", reason="changed my mind", by=COURT)


def test_upheld_correction_makes_a_new_version_with_the_corrected_fields(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person)
    key = _file(store, clock)
    decided = objections.decide(
        store,
        CAT,
        clock,
        key,
        decision="correct",
        reason="The amount was mistyped.",
        by=COURT,
        corrections={"amount": "1250.50", "valid_to": "2025年12月31日"},
    )
    assert decided.version is not None
    assert (str(decided.version.amount), decided.version.valid_to) == ("1250.50", date(2025, 12, 31))
    assert decided.version.extra["due_process"] == f"objection:{key}"
    with store.connect() as conn:
        old, new = records.history(conn, "court.110105", "D1")
    assert (str(old.amount), old.superseded_at is not None, new.row_hash != old.row_hash) == ("12500.50", True, True)


#: Corrections that must be refused: the changes, the field the error names, and words of its reason.
BAD_CORRECTIONS: list[tuple[dict[str, str], str, str]] = [
    ({"subject_id": "11010119900307299X"}, "subject_id", "cannot be corrected"),
    ({"colour": "red"}, "colour", "not a canonical record field"),
    ({"status": "forgiven"}, "status", "not one of"),
    ({"amount": "-3"}, "amount", "not an amount"),
    ({"decided_on": "2030-01-01"}, "decided_on", "lies in the future"),
    ({"valid_to": "2024-12-31"}, "valid_to", "before valid_from"),
    ({"legal_basis": "no.such.law"}, "legal_basis", "not a legal basis"),
    ({"subject_name": ""}, "subject_name", "cannot be cleared"),
    ({"amount": "12500.50"}, "correct", "record's value already"),
]


def test_bad_corrections_are_refused_naming_the_field_and_change_nothing(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person, valid_from=date(2025, 1, 2))
    key = _file(store, clock)
    for changes, field, reason in BAD_CORRECTIONS:
        with pytest.raises(InvalidInput, match=reason) as caught:
            objections.decide(store, CAT, clock, key, decision="correct", reason="fix", by=COURT, corrections=changes)
        assert caught.value.field == field, changes
    with store.connect() as conn:
        assert len(records.history(conn, "court.110105", "D1")) == 1
    assert objections.undecided(store, clock)[0].key == key


def test_one_undecided_objection_per_record_and_only_on_ones_own_records(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person)
    person_defaulter(registry, people.other, record_id="D9", subject_name="李四")
    key = _file(store, clock)
    with pytest.raises(Conflict, match=f"already contested by objection {key}"):
        _file(store, clock)
    with pytest.raises(NotFound, match=r"has no record court\.110105:D9") as caught:
        _file(store, clock, record="court.110105:D9")
    assert caught.value.field == "record"
    with pytest.raises(InvalidInput, match="not AGENCY:RECORD_ID"):
        _file(store, clock, record="D1")
    with pytest.raises(InvalidInput) as empty:
        objections.file(store, CAT, clock, subject=PERSON_ID, record="court.110105:D1", grounds="  ", by=SUBJECT)
    assert empty.value.field == "grounds"
    with pytest.raises(InvalidInput, match="not a valid USCC, resident ID or subject key") as bad_id:
        _file(store, clock, who="110105194912310021")
    assert bad_id.value.field == "id"


def test_a_missed_deadline_escalates_to_the_operator_when_next_read(
    store: Store, registry: Registry, people: People
) -> None:
    registry.record(
        "samr.110000",
        "A1",
        "market.abnormal_operations",
        people.org,
        subject_kind="org",
        subject_name="某某科技有限公司",
        decided_on=date(2025, 1, 2),
    )
    filed_on = clock_on(date(2025, 1, 20))
    key = _file(store, filed_on, record="samr.110000:A1", who="S00000003")
    (row,) = objections.undecided(store, filed_on)
    assert (row.deadline, row.deadline_kind, row.status) == (date(2025, 2, 21), "working", "open")
    assert objections.undecided(store, clock_on(date(2025, 2, 21)), overdue_only=True) == []  # the last day

    late = clock_on(date(2025, 2, 22))
    (overdue,) = objections.undecided(store, late, overdue_only=True)
    assert (overdue.key, overdue.status) == (key, "escalated")
    assert objections.undecided(store, late, overdue_only=True)[0].escalated_at == late.now()
    with store.connect() as conn:
        escalations = [e for e in audit_rows.for_object(conn, f"objection:{key}") if e.action == "objection.escalate"]
        org = subjects.get(conn, people.org)
        assert org is not None
        told = subject_files.notifications(conn, org)
    assert len(escalations) == 1  # escalated once, however often it is read
    assert told[0]["event"] == "objection.escalated"
    decided = objections.decide(store, CAT, late, key, decision="reject", reason="Checked: correct.", by=COURT)
    assert decided.objection.status == "rejected"
