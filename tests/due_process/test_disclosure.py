"""What each view shows, as a table of cases: the catalog's disclosure levels for organisations and people,
publicity periods by severity, listings in and out of force, withdrawn and repaired records, and links
that no person confirmed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from xinyong.catalog import default_catalog
from xinyong.domain.records import RecordVersion
from xinyong.due_process.disclosure import (
    VIEWS,
    disclosure_of,
    exposure,
    narrower,
    publicity_end,
    visible,
    widest_view,
)
from xinyong.rules.listings import listings_for

CAT = default_catalog()
DAY = date(2025, 6, 1)


def version(record_type: str, kind: str = "org", **kw: Any) -> RecordVersion:
    values: dict[str, Any] = {
        "agency": "samr.110000",
        "record_id": "X1",
        "version": 1,
        "record_type": record_type,
        "subject_kind": kind,
        "subject_name": "某某",
        "decided_on": date(2025, 1, 10),
        "recorded_at": datetime(2025, 1, 10, 2, tzinfo=UTC),
        "link": "id",
        "decision_no": "No.1",
    }
    values.update(kw)
    return RecordVersion(**values)


def shown(v: RecordVersion, day: date = DAY) -> tuple[bool, bool, bool]:
    """(public, shared, full) for one record's only version on `day`."""
    record_type = CAT.record_types[v.record_type]
    found = listings_for([[v]], CAT)
    seen = exposure(record_type, v, found[0] if found else None)
    return (visible("public", v, seen, day), visible("shared", v, seen, day), visible("full", v, seen, day))


COURT = {"agency": "court.110105"}
CASES: list[tuple[str, RecordVersion, tuple[bool, bool, bool]]] = [
    ("org penalty within its general period", version("admin.penalty", severity="general"), (True, True, True)),
    (
        "org penalty past its general maximum (12 months)",
        version("admin.penalty", severity="general", decided_on=date(2024, 5, 31)),
        (False, True, True),
    ),
    (
        "org penalty on its last public day",
        version("admin.penalty", severity="general", decided_on=date(2024, 6, 2)),
        (True, True, True),
    ),
    (
        "minor penalty after 3 months",
        version("admin.penalty", severity="minor", decided_on=date(2025, 2, 28)),
        (False, True, True),
    ),
    (
        "serious penalty in year two",
        version("admin.penalty", severity="serious", decided_on=date(2023, 7, 1)),
        (True, True, True),
    ),
    ("person's penalty is shared, never published", version("admin.penalty", "person"), (False, True, True)),
    ("repaired penalty", version("admin.penalty", status="repaired", valid_to=date(2025, 5, 31)), (False, False, True)),
    ("revoked penalty", version("admin.penalty", status="revoked"), (False, False, True)),
    ("fulfilled penalty stays published", version("admin.penalty", status="fulfilled"), (True, True, True)),
    ("person defaulter listed: published", version("court.defaulter", "person", **COURT), (True, True, True)),
    (
        "person defaulter after the listing ends",
        version("court.defaulter", "person", valid_to=date(2025, 5, 31), **COURT),
        (False, True, True),
    ),
    (
        "defaulter linked by the model only",
        version("court.defaulter", "person", link="model", link_probability=0.97, **COURT),
        (False, False, True),
    ),
    (
        "defaulter still in review",
        version("court.defaulter", "person", link="review", **COURT),
        (False, False, True),
    ),
    (
        "person's consumption restriction is shared",
        version("court.consumption_restriction", "person", **COURT),
        (False, True, True),
    ),
    (
        "org consumption restriction is public",
        version("court.consumption_restriction", **COURT),
        (True, True, True),
    ),
    ("org tax grade B is shared", version("tax.rating", grade="B", agency="tax.110000"), (False, True, True)),
    ("org tax grade D is published", version("tax.rating", grade="D", agency="tax.110000"), (True, True, True)),
    (
        "org tax grade A published while on the red list",
        version("tax.rating", grade="A", agency="tax.110000"),
        (True, True, True),
    ),
    (
        "org tax grade A after its year",
        version("tax.rating", grade="A", agency="tax.110000", decided_on=date(2024, 5, 1)),
        (False, True, True),
    ),
    (
        "person's tax grade is restricted",
        version("tax.rating", "person", grade="A", agency="tax.110000"),
        (False, False, True),
    ),
    (
        "serious-dishonesty listing inside its notice period",
        version("market.serious_illegal", decided_on=date(2025, 5, 25)),
        (False, True, True),
    ),
    (
        "serious-dishonesty listing after its notice period",
        version("market.serious_illegal", decided_on=date(2025, 5, 22)),
        (True, True, True),
    ),
    ("licence in force", version("admin.license"), (True, True, True)),
    ("licence expired", version("admin.license", valid_to=date(2025, 3, 1)), (False, True, True)),
]


@pytest.mark.parametrize(("case", "v", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_view_shows_what_the_catalog_allows(
    case: str, v: RecordVersion, expected: tuple[bool, bool, bool]
) -> None:
    assert shown(v) == expected


def test_disclosure_levels_come_from_the_catalog() -> None:
    assert disclosure_of(CAT.record_types["admin.penalty"], version("admin.penalty", "person")) == "shared"
    assert disclosure_of(CAT.record_types["tax.rating"], version("tax.rating", grade="D")) == "public"
    assert disclosure_of(CAT.record_types["tax.rating"], version("tax.rating", grade="C")) == "shared"
    assert disclosure_of(CAT.record_types["tax.rating"], version("tax.rating", "person", grade="D")) == "restricted"


def test_publicity_period_is_the_longest_for_the_severity_from_the_decision_date() -> None:
    penalty = CAT.record_types["admin.penalty"]
    assert publicity_end(penalty, version("admin.penalty", severity="minor")) == date(2025, 4, 9)
    assert publicity_end(penalty, version("admin.penalty", severity="general")) == date(2026, 1, 9)
    assert publicity_end(penalty, version("admin.penalty", severity="serious")) == date(2028, 1, 9)
    assert publicity_end(CAT.record_types["admin.license"], version("admin.license")) is None


def test_a_withdrawn_record_leaves_the_public_view_the_day_its_ending_version_says() -> None:
    penalty = CAT.record_types["admin.penalty"]
    withdrawn = version("admin.penalty", status="revoked", recorded_at=datetime(2025, 6, 1, 4, tzinfo=UTC))
    seen = exposure(penalty, withdrawn, None)
    assert (seen.public_on(date(2025, 5, 31)), seen.public_on(date(2025, 6, 1))) == (True, False)


@pytest.mark.parametrize(
    ("role", "own", "widest"),
    [
        ("public", False, "public"),
        ("platform", False, "public"),
        ("subject", True, "full"),
        ("subject", False, "public"),
        ("agency", False, "shared"),
        ("court", False, "shared"),
        ("regulator", False, "shared"),
        ("operator", False, "full"),
    ],
)
def test_the_widest_view_each_role_may_ask_for(role: str, own: bool, widest: str) -> None:
    assert widest_view(role, own) == widest
    assert [v for v in VIEWS if narrower(v, widest_view(role, own))] == list(VIEWS[: VIEWS.index(widest) + 1])
