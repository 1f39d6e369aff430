"""The subject's file from the store: every record with its provenance in the full view, the public view cut
to what the catalog publishes with people's numbers masked, listings that agree with screening, measures in
force today, the match explanation of a model link, and an access log of others' looks at this subject only."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from due_samples import (
    ORG_ID,
    OTHER_ID,
    PERSON_ID,
    PERSON_MASKED,
    TODAY,
    People,
    Registry,
    org_penalty,
    person_defaulter,
)

from xinyong import access
from xinyong.catalog import default_catalog
from xinyong.clock import CST, FixedClock
from xinyong.due_process import Actor, objections, subject_files
from xinyong.errors import NotFound
from xinyong.screening import audit_events, check_in_store
from xinyong.screening.files import listings_of
from xinyong.store import Store, SubjectRow, audit_rows, linkage, records, roles, subjects

CAT = default_catalog()


def _subject(store: Store, pk: int) -> SubjectRow:
    with store.connect() as conn:
        row = subjects.get(conn, pk)
    assert row is not None
    return row


def _read(store: Store, pk: int, view: str, **kw: Any) -> dict[str, Any]:
    with store.connect() as conn:
        return subject_files.read_file(conn, CAT, _subject(store, pk), view=view, today=TODAY, **kw)  # type: ignore[arg-type]


@pytest.fixture
def person_file(registry: Registry, people: People) -> People:
    """张三: a defaulter listing in force, an expired one, a shared penalty, and a model-linked restriction."""
    person_defaulter(registry, people.person)
    person_defaulter(registry, people.person, record_id="D0", decided_on=date(2023, 1, 5), valid_to=date(2025, 1, 4))
    registry.record("samr.110000", "P9", "admin.penalty", people.person, severity="serious", amount=Decimal("200"))
    registry.record(
        "court.110105",
        "C7",
        "court.consumption_restriction",
        people.person,
        link="model",
        link_probability=0.972,
        subject_name="张三丰",
    )
    return people


def test_the_full_view_shows_every_record_with_its_provenance(store: Store, person_file: People) -> None:
    doc = _read(store, person_file.person, "full")
    assert doc["subject"] == {
        "key": "S00000001",
        "kind": "person",
        "id_kind": "resident_id",
        "id": PERSON_ID,
        "name": "张三",
    }
    by_key = {r["record"]: r for r in doc["records"]}
    assert set(by_key) == {"court.110105:D1", "court.110105:D0", "samr.110000:P9", "court.110105:C7"}
    d1 = by_key["court.110105:D1"]
    assert (d1["agency_name_en"], d1["decision_no"], d1["legal_basis"]) == (
        CAT.agencies["court.110105"].name_en,
        "(D1)号",
        CAT.record_types["court.defaulter"].legal_basis,
    )
    assert (d1["disclosure"], d1["public"], d1["link"], d1["amount"]) == ("public", True, "id", "12500.50")
    assert (by_key["samr.110000:P9"]["disclosure"], by_key["samr.110000:P9"]["public"]) == ("shared", False)
    c7 = by_key["court.110105:C7"]
    assert (c7["link"], c7["probability"], c7["match"]) == ("model", 0.972, None)
    states = {item["record"]: item["state"] for item in doc["listings"]}
    assert states == {"court.110105:D1": "listed", "court.110105:D0": "removed", "court.110105:C7": "listed"}
    # The model link lists the record but carries no measure (principle 4).
    assert {m["record"] for m in doc["measures"]} == {"court.110105:D1"}
    air = next(m for m in doc["measures"] if "air_ticket" in m["actions"])
    assert (air["effect"], air["valid_to"]) == ("deny", date(2026, 12, 31))
    assert "rating" not in doc
    assert doc["objections"] == []
    assert doc["repairs"] == []
    assert doc["notices"] == []


def test_the_public_view_masks_the_person_and_hides_non_public_and_expired_items(
    store: Store, person_file: People
) -> None:
    doc = _read(store, person_file.person, "public")
    assert doc["subject"]["id"] == PERSON_MASKED
    assert PERSON_ID not in str(doc)
    (record,) = doc["records"]
    assert record["record"] == "court.110105:D1"
    assert not {"link", "probability", "match", "objection", "version", "history"} & set(record)
    assert [item["record"] for item in doc["listings"]] == ["court.110105:D1"]
    assert "objections" not in doc
    assert "access_log" not in doc


def test_the_public_view_knows_no_person_it_shows_nothing_of_but_shows_companies(
    store: Store, registry: Registry, people: People
) -> None:
    registry.record("samr.110000", "P8", "admin.penalty", people.other, severity="general")
    with pytest.raises(NotFound) as caught:
        _read(store, people.other, "public")
    assert caught.value.field == "id"
    org_penalty(registry, people.org, severity="minor", decided_on=date(2024, 1, 10))  # published 3 months only
    doc = _read(store, people.org, "public")
    assert (doc["subject"]["id"], doc["records"]) == (ORG_ID, [])


def test_the_shared_view_leaves_out_restricted_and_unconfirmed_records(store: Store, person_file: People) -> None:
    doc = _read(store, person_file.person, "shared")
    assert doc["subject"]["id"] == PERSON_MASKED
    assert {r["record"] for r in doc["records"]} == {"court.110105:D1", "court.110105:D0", "samr.110000:P9"}


def test_listings_agree_with_screening_and_carry_the_contested_flag(
    store: Store, person_file: People, clock: FixedClock
) -> None:
    objections.file(
        store, CAT, clock, subject=PERSON_ID, record="court.110105:D1", grounds="x", by=Actor("a", "subject")
    )
    doc = _read(store, person_file.person, "full")
    with store.connect() as conn:
        screened = listings_of(conn, CAT, _subject(store, person_file.person))
    mine = {(i["record"], i["start"], i["end"], i["state"]) for i in doc["listings"]}
    theirs = {(x.record_key, x.start, x.end, x.state(TODAY)) for x in screened}
    assert mine == theirs
    contested = {i["record"] for i in doc["listings"] if i["contested"]}
    assert contested == {"court.110105:D1"}


def test_history_adds_superseded_versions_and_the_model_link_explains_itself(
    store: Store, registry: Registry, person_file: People, clock: FixedClock
) -> None:
    with store.connect() as conn:
        c7 = records.current(conn, "court.110105", "C7")
    assert c7 is not None
    with store.unit_of_work() as conn:
        linkage.save_explanations(
            conn,
            [
                linkage.ExplanationRow(
                    run="L00000001",
                    record_pk=c7.pk,
                    rank=1,
                    probability=0.972,
                    match_weight=5.1,
                    levels={"name": {"gamma": 2, "label": "similar"}},
                    subject_pk=person_file.person,
                ),
                linkage.ExplanationRow(
                    run="L00000001",
                    record_pk=c7.pk,
                    rank=2,
                    probability=0.4,
                    match_weight=-1.0,
                    levels={},
                    subject_pk=2,
                ),
            ],
        )
    key = objections.file(
        store, CAT, clock, subject=PERSON_ID, record="court.110105:D1", grounds="x", by=Actor("a", "subject")
    ).key
    objections.decide(
        store, CAT, clock, key, decision="correct", reason="r", by=Actor("c", "court"), corrections={"summary": "fixed"}
    )
    doc = _read(store, person_file.person, "full", history=True)
    by_key = {r["record"]: r for r in doc["records"]}
    assert by_key["court.110105:C7"]["match"] == {
        "run": "L00000001",
        "probability": 0.972,
        "match_weight": 5.1,
        "levels": {"name": {"gamma": 2, "label": "similar"}},
    }
    d1 = by_key["court.110105:D1"]
    assert (d1["version"], d1["summary"]) == (2, "fixed")
    assert [(h["version"], h["summary"], h["cause"]) for h in d1["history"]] == [(1, None, None)]
    assert by_key["court.110105:C7"]["history"] == []


def test_measures_reach_a_legal_representative_through_the_company(
    store: Store, registry: Registry, people: People
) -> None:
    registry.record(
        "court.110105",
        "R2",
        "court.consumption_restriction",
        people.org,
        subject_kind="org",
        subject_name="某某科技有限公司",
    )
    with store.unit_of_work() as conn:
        roles.set_legal_rep(conn, people.org, people.person, date(2020, 1, 1))
    doc = _read(store, people.person, "full")
    assert doc["records"] == []
    vias = {(m["measure"], m["via"]["of"]) for m in doc["measures"]}
    reaching = {m.code for m in CAT.measures_for_list("consumption_restricted") if m.reaches_legal_rep}
    assert vias == {(code, ORG_ID) for code in reaching}
    assert _read(store, people.person, "shared")["measures"] != []
    with pytest.raises(NotFound):
        _read(store, people.person, "public")


def test_the_access_log_lists_others_looks_at_this_subject_only(
    store: Store, person_file: People, clock: FixedClock
) -> None:
    regulator = access.Principal(name="bj-regulator", role="regulator", key_prefix="abcd1234")
    me = access.Principal(name="zhangsan", role="subject", subject=PERSON_ID, key_prefix="ffff0000")
    now = clock.now()
    decision = check_in_store(store, CAT, PERSON_ID, "air_ticket", TODAY)
    other = check_in_store(store, CAT, OTHER_ID, "air_ticket", TODAY)
    with store.unit_of_work() as conn:
        audit_rows.record(
            conn,
            audit_events(
                actor="airline",
                role="platform",
                purpose=None,
                action="air_ticket",
                at=TODAY,
                results=[decision, other],
                now=now,
            ),
        )
        access.log_read(conn, regulator, f"subject:{PERSON_ID}", "inspection case 7", at=now + timedelta(seconds=1))
        access.log_read(conn, regulator, "subject:S00000001", "by key", at=now + timedelta(seconds=2))
        access.log_read(conn, regulator, f"subject:{OTHER_ID}", "someone else", at=now + timedelta(seconds=3))
        access.log_read(conn, me, f"subject:{PERSON_ID}", "my own file", at=now + timedelta(seconds=4))
        audit_rows.record(conn, [audit_rows.Event(now, "airline", "platform", "check.request", "action:air_ticket")])
    with store.connect() as conn:
        log = subject_files.access_log(conn, _subject(store, person_file.person))
    assert [(e["who"], e["role"], e["action"], e["purpose"], e["checked_action"]) for e in log] == [
        ("bj-regulator", "regulator", "read", "by key", None),
        ("bj-regulator", "regulator", "read", "inspection case 7", None),
        ("airline", "platform", "check", None, "air_ticket"),
    ]
    assert log[2]["result"] == "deny"
    assert log[1]["at"] == (now + timedelta(seconds=1)).astimezone(CST)


def test_a_company_file_shows_its_latest_rating_with_reasons(store: Store, registry: Registry, people: People) -> None:
    from xinyong.store import ratings

    with store.unit_of_work() as conn:
        ratings.insert_ratings(
            conn,
            [
                ratings.NewRating(
                    subject_pk=people.org,
                    as_of=date(2025, 5, 1),
                    model_code="samr_rule",
                    model_version="1",
                    score=71.5,
                    grade="B",
                    reasons=[{"code": "penalties", "label_zh": "行政处罚", "label_en": "Penalties", "points": -8.0}],
                    rated_at=datetime(2025, 5, 1, tzinfo=CST),
                    run="run1",
                )
            ],
        )
    full = _read(store, people.org, "full")["rating"]
    assert (full["grade"], full["score"], full["reasons"][0]["points"]) == ("B", 71.5, -8.0)
    public = _read(store, people.org, "public")["rating"]
    assert "score" not in public
    assert public["reasons"] == [{"code": "penalties", "label_zh": "行政处罚", "label_en": "Penalties"}]
