"""Events follow the latent risk: labels are explained by serious records, risk is calibrated, grades obey the rules."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import pytest
from synth_feeds import CanonicalRow, Province, read_csv, read_feed

from xinyong.dates import parse_date
from xinyong.synth.shapes import SHAPES

SERIOUS_TYPES = {"market.serious_illegal", "tax.major_violation", "court.defaulter", "court.consumption_restriction"}


@pytest.fixture(scope="module")
def stored(province: Province) -> list[tuple[CanonicalRow, str, date]]:
    """Every stored original org row with its true USCC and decision date."""
    truth = {(r["agency"], r["record_id"]): r for r in read_csv(province.out / "truth" / "records.csv")}
    out = []
    for shape in SHAPES:
        seen: set[str] = set()
        for row in read_feed(province.out / "feeds" / shape.filename, shape):
            record_id = str(row["record_id"])
            t = truth[(shape.agency, record_id)]
            if record_id in seen or t["expected"] == "rejected" or t["subject_kind"] != "org":
                continue
            seen.add(record_id)
            out.append((row, t["subject_id"], parse_date(str(row["decided_on"]), "decided_on")))
    return out


@pytest.fixture(scope="module")
def outcomes(province: Province) -> dict[tuple[str, int], dict[str, str]]:
    return {(r["uscc"], int(r["year"])): r for r in read_csv(province.out / "truth" / "outcomes.csv")}


def _serious(row: CanonicalRow) -> bool:
    return row["record_type"] in SERIOUS_TYPES or (
        row["record_type"] == "admin.penalty" and row["severity"] == "serious"
    )


def test_outcomes_cover_each_company_year_it_existed(
    province: Province, outcomes: dict[tuple[str, int], dict[str, str]]
) -> None:
    registered = {
        s["id"]: date.fromisoformat(s["registered_on"])
        for s in read_csv(province.out / "truth" / "subjects.csv")
        if s["kind"] == "org"
    }
    years = range(province.params.first_year, province.params.as_of.year + 1)
    assert {y for _, y in outcomes} == set(years)
    for year in years:
        existing = {u for u, day in registered.items() if day < min(date(year, 12, 31), province.params.as_of)}
        assert {u for u, y in outcomes if y == year} == existing
    assert {r["period_end"] for r in outcomes.values() if r["year"] == "2026"} == {"2026-06-30"}


def test_every_serious_record_makes_its_year_a_positive(
    stored: list[tuple[CanonicalRow, str, date]], outcomes: dict[tuple[str, int], dict[str, str]], province: Province
) -> None:
    explained = {(uscc, day.year) for row, uscc, day in stored if _serious(row)}
    assert explained
    assert all(outcomes[key]["label"] == "1" for key in explained)
    positives = {key for key, r in outcomes.items() if r["label"] == "1"}
    rejected = [r for r in read_csv(province.out / "truth" / "records.csv") if r["expected"] == "rejected"]
    # A positive year whose serious record did not survive ingestion is the only unexplained kind.
    assert len(positives - explained) <= len(rejected)


def test_labels_are_calibrated_to_the_risk(province: Province, outcomes: dict[tuple[str, int], dict[str, str]]) -> None:
    registered = {
        s["id"]: date.fromisoformat(s["registered_on"]).toordinal()
        for s in read_csv(province.out / "truth" / "subjects.csv")
        if s["kind"] == "org"
    }
    expected = variance = 0.0
    for (uscc, _), r in outcomes.items():
        start = max(date.fromisoformat(r["period_start"]).toordinal(), registered[uscc] + 1)
        frac = (date.fromisoformat(r["period_end"]).toordinal() - start + 1) / 365.0
        p = 1.0 - (1.0 - float(r["risk"])) ** frac
        expected += p
        variance += p * (1 - p)
    got = sum(int(r["label"]) for r in outcomes.values())
    assert abs(got - expected) <= 4 * math.sqrt(variance), (got, expected)
    assert 0.01 < got / len(outcomes) < 0.06


def test_risk_separates_positives_and_routine_trouble(
    stored: list[tuple[CanonicalRow, str, date]], outcomes: dict[tuple[str, int], dict[str, str]]
) -> None:
    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs)

    pos = [float(r["risk"]) for r in outcomes.values() if r["label"] == "1"]
    neg = [float(r["risk"]) for r in outcomes.values() if r["label"] == "0"]
    assert mean(pos) > 2 * mean(neg)
    risk = {u: float(r["risk"]) for (u, y), r in outcomes.items() if y == 2025}
    cut = sorted(risk.values())[len(risk) // 2]
    trouble: defaultdict[bool, int] = defaultdict(int)
    for row, uscc, day in stored:
        routine = row["record_type"] == "market.abnormal_operations" or row.get("severity") in ("minor", "general")
        if routine and day.year == 2025 and uscc in risk:
            trouble[risk[uscc] > cut] += 1
    assert trouble[True] > 1.5 * trouble[False]


def test_tax_grades_follow_the_rules(province: Province, stored: list[tuple[CanonicalRow, str, date]]) -> None:
    registered = {
        s["id"]: date.fromisoformat(s["registered_on"])
        for s in read_csv(province.out / "truth" / "subjects.csv")
        if s["kind"] == "org"
    }
    major: dict[str, list[date]] = defaultdict(list)
    for row, uscc, day in stored:
        if row["record_type"] == "tax.major_violation":
            major[uscc].append(day)
    ratings = [(row, uscc, day) for row, uscc, day in stored if row["record_type"] == "tax.rating"]
    assert {str(row["grade"]) for row, _, _ in ratings} == {"A", "B", "M", "C", "D"}
    for row, uscc, day in ratings:
        assert day.month == 4
        young = (day - registered[uscc]).days < 365
        assert (row["grade"] == "M") == young, (row, registered[uscc])
        if not young and any(0 < (day - d).days < 730 for d in major[uscc]):
            assert row["grade"] == "D"


def test_missed_annual_reports_are_listed_in_july_and_august_by_risk(
    province: Province, stored: list[tuple[CanonicalRow, str, date]], outcomes: dict[tuple[str, int], dict[str, str]]
) -> None:
    subjects = {s["id"]: s for s in read_csv(province.out / "truth" / "subjects.csv") if s["kind"] == "org"}
    listed = [(row, uscc, day) for row, uscc, day in stored if row["summary"] == "未按规定报送年度报告"]
    assert listed
    for _, uscc, day in listed:
        assert day.month in (7, 8)
        assert subjects[uscc]["org_type"] in ("91", "92", "93")  # civil-affairs units report elsewhere
        assert date.fromisoformat(subjects[uscc]["registered_on"]) < date(day.year, 1, 1)
    # Riskier firms miss their reports more often: the listed firms' risk that year is well above the due firms'.
    due = [
        float(r["risk"])
        for (uscc, year), r in outcomes.items()
        if year == 2025
        and subjects[uscc]["org_type"] in ("91", "92", "93")
        and date.fromisoformat(subjects[uscc]["registered_on"]) < date(2025, 1, 1)
    ]
    missed = [float(outcomes[(uscc, 2025)]["risk"]) for _, uscc, day in listed if day.year == 2025]
    assert 0.04 < len(missed) / len(due) < 0.25
    assert sum(missed) / len(missed) > 1.5 * sum(due) / len(due)


def test_every_enterprise_is_tax_rated_every_year(
    province: Province, stored: list[tuple[CanonicalRow, str, date]]
) -> None:
    subjects = {s["id"]: s for s in read_csv(province.out / "truth" / "subjects.csv") if s["kind"] == "org"}
    rated = {(uscc, day.year) for row, uscc, day in stored if row["record_type"] == "tax.rating"}
    for year in (2024, 2025):
        due = {
            u
            for u, s in subjects.items()
            if s["org_type"] == "91" and date.fromisoformat(s["registered_on"]) < date(year, 4, 30)
        }
        got = {u for u, y in rated if y == year}
        assert got <= due  # rated between 1 and 30 April, once registered
        sure = {u for u in due if date.fromisoformat(subjects[u]["registered_on"]) < date(year, 4, 1)}
        # Only ratings lost as invalid rows are absent (rows with a missing or mistyped id are still stored).
        assert len(got & sure) >= 0.97 * len(sure)
