"""The joint-measures engine, scenario by scenario (issue 4): listing, extension, early removal, expiry at
midnight CST, correction, overlapping lists, role changes, sanction safety, incentives."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from xinyong.catalog import default_catalog
from xinyong.clock import CST
from xinyong.domain.files import RoleFile, SubjectFile
from xinyong.domain.records import RecordVersion
from xinyong.domain.subjects import Role, SubjectRef
from xinyong.errors import InvalidInput
from xinyong.rules.decisions import decide
from xinyong.rules.listings import listings_for

CAT = default_catalog()
PERSON = SubjectRef(kind="person", key="S1", id="11010519491231002X", name="张三")
ORG = SubjectRef(kind="org", key="S2", id="91350500676532779B", name="某某科技有限公司")


def at(day: str, hour: int = 12) -> datetime:
    d = date.fromisoformat(day)
    return datetime(d.year, d.month, d.day, hour, tzinfo=CST)


def rec(version: int = 1, **kw: Any) -> RecordVersion:
    base: dict[str, Any] = {
        "agency": "court.110105",
        "record_id": "R1",
        "version": version,
        "record_type": "court.defaulter",
        "subject_kind": "person",
        "subject_name": "张三",
        "subject_key": "S1",
        "subject_id": PERSON.id,
        "link": "id",
        "decided_on": date(2024, 1, 10),
        "valid_to": date(2025, 6, 30),
        "decision_no": "(2024)京0105执1234号",
        "recorded_at": at("2024-01-10"),
    }
    base.update(kw)
    return RecordVersion(**base)


def file_of(*histories: list[RecordVersion], known_at: datetime | None = None) -> SubjectFile:
    return SubjectFile(subject=PERSON, listings=listings_for(histories, CAT, known_at))


def effect(f: SubjectFile | None, action: str, day: str) -> str:
    return decide(f, action, date.fromisoformat(day), CAT).effect


def test_listed_defaulter_is_denied_with_the_whole_explanation() -> None:
    d = decide(file_of([rec()]), "air_ticket", date(2025, 6, 1), CAT)
    assert d.allowed is False
    assert d.effect == "deny"
    body = d.as_dict()
    assert body["subject"] == {"kind": "person", "id": PERSON.id, "name": "张三"}
    reason = body["reasons"][0]
    measure = CAT.measures_for("defaulter", "air_ticket")[0]
    assert reason == {
        "measure": measure.code,
        "list": "defaulter",
        "effect": "deny",
        "record": "court.110105:R1",
        "agency": "court.110105",
        "decision_no": "(2024)京0105执1234号",
        "legal_basis": measure.legal_basis,
        "valid_from": "2024-01-10",
        "valid_to": "2025-06-30",
        "via": None,
    }


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-01-09", "allow"),  # before the decision
        ("2024-01-10", "deny"),  # the day it starts
        ("2025-06-30", "deny"),  # valid_to is the last day, inclusive
        ("2025-07-01", "allow"),  # expired at midnight CST, with no job run
    ],
)
def test_listing_window_and_expiry_at_midnight(day: str, expected: str) -> None:
    assert effect(file_of([rec()]), "air_ticket", day) == expected


def test_default_period_from_the_catalog_when_the_record_gives_no_end() -> None:
    listing = listings_for([[rec(valid_to=None)]], CAT)[0]
    months = CAT.lists["defaulter"].default_months
    assert months is not None
    assert listing.end is not None
    assert listing.end > date(2024, 1, 10) + timedelta(days=28 * months)
    assert effect(SubjectFile(PERSON, (listing,)), "air_ticket", listing.end.isoformat()) == "deny"
    after = (listing.end + timedelta(days=1)).isoformat()
    assert effect(SubjectFile(PERSON, (listing,)), "air_ticket", after) == "allow"


def test_extension_keeps_the_listing_in_force_and_says_extended() -> None:
    v1 = rec(superseded_at=at("2025-06-01"))
    v2 = rec(version=2, valid_to=date(2026, 6, 30), recorded_at=at("2025-06-01"))
    f = file_of([v1, v2])
    assert f.listings[0].state(date(2025, 8, 1)) == "extended"
    assert effect(f, "air_ticket", "2025-08-01") == "deny"
    assert effect(f, "air_ticket", "2026-07-01") == "allow"


def test_early_removal_on_fulfilment_ends_on_its_date() -> None:
    v1 = rec(superseded_at=at("2024-09-02"))
    v2 = rec(version=2, status="fulfilled", valid_to=date(2024, 9, 1), recorded_at=at("2024-09-02"))
    f = file_of([v1, v2])
    assert effect(f, "air_ticket", "2024-09-01") == "deny"
    assert effect(f, "air_ticket", "2024-09-02") == "allow"
    assert f.listings[0].removal_reason(date(2024, 9, 2)) == "fulfilled"
    assert f.listings[0].start == date(2024, 1, 10)


def test_revocation_without_a_date_ends_the_day_before_it_was_recorded() -> None:
    v1 = rec(superseded_at=at("2024-05-20"))
    v2 = rec(version=2, status="revoked", valid_to=None, recorded_at=at("2024-05-20", 9))
    f = file_of([v1, v2])
    assert effect(f, "air_ticket", "2024-05-19") == "deny"
    assert effect(f, "air_ticket", "2024-05-20") == "allow"


def test_separate_fulfilment_record_for_the_same_decision_ends_the_listing() -> None:
    listing = rec()
    fulfilled = rec(record_id="R2", status="fulfilled", valid_to=date(2024, 3, 1), recorded_at=at("2024-03-02"))
    f = file_of([listing], [fulfilled])
    assert len(f.listings) == 1
    assert effect(f, "air_ticket", "2024-03-01") == "deny"
    assert effect(f, "air_ticket", "2024-03-02") == "allow"


def test_correction_changes_the_explanation_and_known_at_answers_as_then() -> None:
    v1 = rec(decision_no="(2024)京0105执1号", superseded_at=at("2024-02-01"))
    v2 = rec(version=2, decision_no="(2024)京0105执1234号", recorded_at=at("2024-02-01"))
    now = decide(file_of([v1, v2]), "air_ticket", date(2024, 3, 1), CAT)
    then = decide(file_of([v1, v2], known_at=at("2024-01-20")), "air_ticket", date(2024, 3, 1), CAT)
    assert now.reasons[0].decision_no == "(2024)京0105执1234号"
    assert then.reasons[0].decision_no == "(2024)京0105执1号"
    before_known = file_of([v1, v2], known_at=at("2024-01-01"))
    assert before_known.listings == ()


def test_overlapping_lists_give_every_reason_and_the_strongest_effect() -> None:
    defaulter = rec()
    restriction = rec(record_id="R9", record_type="court.consumption_restriction", valid_to=None)
    f = file_of([defaulter], [restriction])
    d = decide(f, "air_ticket", date(2024, 6, 1), CAT)
    assert {r.list for r in d.reasons} == {"defaulter", "consumption_restricted"}
    loan = decide(f, "bank_loan", date(2024, 6, 1), CAT)
    assert loan.effect == "review"
    assert loan.allowed is True
    assert [r.list for r in loan.reasons] == ["defaulter"]
    assert effect(f, "honor_award", "2024-06-01") == "deny"


def test_no_sanction_through_an_unconfirmed_model_link() -> None:
    assert effect(file_of([rec(link="model")]), "air_ticket", "2024-06-01") == "allow"
    assert effect(file_of([rec(link="review")]), "air_ticket", "2024-06-01") == "allow"
    assert effect(file_of([rec(link="confirmed")]), "air_ticket", "2024-06-01") == "deny"


def _org_restriction(link: str = "id") -> RecordVersion:
    return rec(
        record_type="court.consumption_restriction",
        subject_kind="org",
        subject_name=ORG.name,
        subject_key="S2",
        subject_id=ORG.id,
        valid_to=None,
        link=link,
    )


def test_an_organisations_restriction_reaches_its_legal_representative_while_the_role_is_held() -> None:
    org_listings = listings_for([[_org_restriction()]], CAT)
    role = Role(role="legal_representative", org=ORG, valid_from=date(2020, 1, 1), valid_to=date(2024, 12, 31))
    f = SubjectFile(subject=PERSON, roles=(RoleFile(role, org_listings),))
    d = decide(f, "air_ticket", date(2024, 6, 1), CAT)
    assert d.effect == "deny"
    assert d.as_dict()["reasons"][0]["via"] == {"role": "legal_representative", "of": ORG.id}
    assert effect(f, "air_ticket", "2025-01-01") == "allow"  # role ended
    assert effect(f, "air_ticket", "2023-12-31") == "allow"  # listing not yet in force


def test_role_path_carries_only_measures_that_reach_the_representative() -> None:
    org_defaulter = replace(_org_restriction(), record_type="court.defaulter", valid_to=date(2026, 1, 1))
    role = Role(role="legal_representative", org=ORG, valid_from=date(2020, 1, 1))
    f = SubjectFile(subject=PERSON, roles=(RoleFile(role, listings_for([[org_defaulter]], CAT)),))
    assert effect(f, "air_ticket", "2024-06-01") == "deny"
    reaching = [m for m in CAT.measures_for("defaulter", "gov_procurement_bid") if m.reaches_legal_rep]
    assert effect(f, "gov_procurement_bid", "2024-06-01") == ("deny" if reaching else "allow")


def test_role_path_needs_a_strong_link_too() -> None:
    role = Role(role="legal_representative", org=ORG, valid_from=date(2020, 1, 1))
    f = SubjectFile(subject=PERSON, roles=(RoleFile(role, listings_for([[_org_restriction("model")]], CAT)),))
    assert effect(f, "air_ticket", "2024-06-01") == "allow"


def test_red_list_is_an_incentive_only_for_grade_a() -> None:
    a = rec(agency="tax.110000", record_type="tax.rating", grade="A", subject_kind="org", valid_to=None)
    b = replace(a, grade="B")
    d = decide(file_of([a]), "market_entry_license", date(2024, 6, 1), CAT)
    assert (d.effect, d.allowed, d.reasons[0].list) == ("expedite", True, "red_list")
    assert effect(file_of([b]), "market_entry_license", "2024-06-01") == "allow"


def test_notice_before_listing_delays_the_start() -> None:
    notice = CAT.lists["serious_dishonesty"].notice_days
    r = rec(agency="samr.110000", record_type="market.serious_illegal", valid_to=None, subject_kind="org")
    listing = listings_for([[r]], CAT)[0]
    assert listing.noticed_on == date(2024, 1, 10)
    assert listing.start == date(2024, 1, 10) + timedelta(days=notice)
    if notice:
        assert listing.state(date(2024, 1, 10)) == "noticed"
    assert effect(SubjectFile(PERSON, (listing,)), "honor_award", listing.start.isoformat()) == "deny"


def test_unknown_subject_is_allowed_with_no_subject_and_unknown_action_is_an_error() -> None:
    d = decide(None, "air_ticket", date(2024, 6, 1), CAT)
    assert d.as_dict() == {
        "subject": None,
        "action": "air_ticket",
        "at": "2024-06-01",
        "allowed": True,
        "effect": "allow",
        "reasons": [],
    }
    with pytest.raises(InvalidInput, match="action"):
        decide(None, "teleport", date(2024, 6, 1), CAT)


def test_records_that_list_nobody_create_no_listing() -> None:
    penalty = rec(agency="samr.110000", record_type="admin.penalty", severity="general")
    assert listings_for([[penalty]], CAT) == ()
