"""The tax-style deduction scorecard: bands, direct grades, caps, M for new entities, and reasons."""

from __future__ import annotations

from typing import Any

import pytest

from xinyong.errors import InvalidInput
from xinyong.scoring import RuleScorecard

TAX_STYLE: dict[str, Any] = {
    "code": "tax_style",
    "version": "test-1",
    "start": 100,
    "grades": [
        {"grade": "A", "min": 90},
        {"grade": "B", "min": 70},
        {"grade": "C", "min": 40},
        {"grade": "D"},
    ],
    "adjustments": [
        {
            "code": "minor",
            "feature": "minor_lapses",
            "points": -1,
            "per_unit": True,
            "label_zh": "轻微失误 {value} 次",
            "label_en": "{value} minor lapses",
        },
        {
            "code": "late_filing",
            "feature": "late_filings",
            "points": -5,
            "per_unit": True,
            "max": 20,
            "label_zh": "逾期申报 {value} 次，扣 {points:.0f} 分",
            "label_en": "{value} late filings",
        },
        {
            "code": "arrears",
            "feature": "arrears_cny",
            "points": -11,
            "when": {"feature": "arrears_cny", "op": "ge", "value": 1000},
            "label_zh": "欠税",
            "label_en": "tax arrears",
        },
        {
            "code": "audit_clean",
            "feature": "clean_audit",
            "points": 3,
            "label_zh": "审计无问题",
            "label_en": "clean audit",
        },
    ],
    "overrides": [
        {
            "code": "tax_crime",
            "when": {"feature": "tax_crimes", "op": "gt", "value": 0},
            "assign": "D",
            "label_zh": "涉税犯罪，直接判为 D 级",
            "label_en": "tax crime: graded D directly",
        },
        {
            "code": "new_entity",
            "when": {"feature": "months_registered", "op": "lt", "value": 12},
            "assign": "M",
            "label_zh": "新设立企业",
            "label_en": "newly established",
        },
        {
            "code": "no_revenue",
            "assign": "M",
            "when": {
                "all": [
                    {"feature": "revenue", "op": "eq", "value": 0},
                    {"feature": "score", "op": "ge", "value": 70},
                ]
            },
            "label_zh": "无经营收入且得分 {score:.0f}",
            "label_en": "no revenue, score {score:.0f}",
        },
        {
            "code": "unfiled_return",
            "when": {"feature": "unfiled_returns", "op": "gt", "value": 0},
            "cap": "B",
            "label_zh": "有未申报事项，不得评为 A 级",
            "label_en": "unfiled return bars grade A",
        },
    ],
}


def entity(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "minor_lapses": 0,
        "late_filings": 0,
        "arrears_cny": 0,
        "clean_audit": False,
        "tax_crimes": 0,
        "months_registered": 60,
        "revenue": 1_000_000,
        "unfiled_returns": 0,
    }
    return base | changes


@pytest.fixture
def card() -> RuleScorecard:
    return RuleScorecard.from_dict(TAX_STYLE)


@pytest.mark.parametrize(
    ("lapses", "score", "grade"),
    [(0, 100, "A"), (10, 90, "A"), (11, 89, "B"), (30, 70, "B"), (31, 69, "C"), (60, 40, "C"), (61, 39, "D")],
)
def test_grades_at_the_thresholds(card: RuleScorecard, lapses: int, score: float, grade: str) -> None:
    rating = card.rate(entity(minor_lapses=lapses))
    assert (rating.score, rating.grade, rating.band_grade) == (score, grade, grade)


def test_score_never_falls_below_the_floor(card: RuleScorecard) -> None:
    rating = card.rate(entity(minor_lapses=500))
    assert (rating.score, rating.grade) == (0.0, "D")


def test_per_unit_deduction_is_capped(card: RuleScorecard) -> None:
    rating = card.rate(entity(late_filings=7))
    assert rating.score == 80
    assert rating.reasons[0].points == -20
    assert rating.reasons[0].label_zh == "逾期申报 7 次，扣 -20 分"


def test_addition_never_lifts_above_the_ceiling(card: RuleScorecard) -> None:
    assert card.rate(entity(clean_audit=True)).score == 100
    rating = card.rate(entity(clean_audit=True, minor_lapses=5))
    assert rating.score == 98
    assert [(r.code, r.kind) for r in rating.reasons] == [("minor", "deduction"), ("audit_clean", "addition")]


def test_direct_assignment_overrides_a_perfect_score(card: RuleScorecard) -> None:
    rating = card.rate(entity(tax_crimes=1))
    assert (rating.score, rating.band_grade, rating.grade) == (100, "A", "D")
    assert rating.reasons[0].code == "tax_crime"
    assert rating.reasons[0].kind == "override"
    assert rating.reasons[0].label_en == "tax crime: graded D directly"


def test_first_declared_assignment_wins(card: RuleScorecard) -> None:
    # A new entity with a tax crime is D, because the crime rule is declared first.
    assert card.rate(entity(tax_crimes=1, months_registered=3)).grade == "D"
    assert card.rate(entity(months_registered=3)).grade == "M"


def test_m_for_no_revenue_needs_seventy_points(card: RuleScorecard) -> None:
    high = card.rate(entity(revenue=0, minor_lapses=30))
    low = card.rate(entity(revenue=0, minor_lapses=31))
    assert (high.grade, low.grade) == ("M", "C")
    assert high.reasons[0].label_zh == "无经营收入且得分 70"


def test_cap_bars_a_but_never_improves_a_grade(card: RuleScorecard) -> None:
    capped = card.rate(entity(unfiled_returns=1))
    assert (capped.band_grade, capped.grade) == ("A", "B")
    assert capped.reasons[0].kind == "cap"
    below = card.rate(entity(unfiled_returns=1, minor_lapses=40))
    assert below.grade == "C"
    assert [r.code for r in below.reasons] == ["minor"]  # the cap did nothing, so it is no reason


def test_reasons_list_overrides_then_biggest_deductions_with_ties_by_code(card: RuleScorecard) -> None:
    rating = card.rate(entity(tax_crimes=2, late_filings=2, minor_lapses=10, arrears_cny=5000))
    assert [(r.code, r.points) for r in rating.reasons] == [
        ("tax_crime", 0.0),
        ("arrears", -11.0),
        ("late_filing", -10.0),
        ("minor", -10.0),
    ]
    assert rating.score == 69


def test_unknown_value_applies_nothing_but_an_absent_one_is_an_error(card: RuleScorecard) -> None:
    assert card.rate(entity(arrears_cny=None, late_filings=None)).score == 100
    features = entity()
    del features["late_filings"]
    with pytest.raises(InvalidInput) as caught:
        card.rate(features)
    assert caught.value.field == "late_filings"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grades": [{"grade": "A", "min": 70}, {"grade": "B", "min": 90}, {"grade": "D"}]}, "grades"),
        ({"grades": [{"grade": "A", "min": 90}, {"grade": "D", "min": 10}]}, "grades"),
        ({"start": "100"}, "start"),
        ({"adjustments": [{**TAX_STYLE["adjustments"][0], "points": None}]}, "adjustments[0].points"),
        ({"adjustments": [{**TAX_STYLE["adjustments"][0], "label_en": "{nope}"}]}, "adjustments[0].label_en"),
        (
            {"overrides": [{**TAX_STYLE["overrides"][0], "when": {"feature": "x", "op": "like"}}]},
            "overrides[0].when.op",
        ),
        ({"overrides": [{**TAX_STYLE["overrides"][3], "cap": "Z"}]}, "overrides[0].cap"),
        ({"overrides": [{**TAX_STYLE["overrides"][0], "cap": "B"}]}, "overrides[0]"),
    ],
)
def test_from_dict_names_the_broken_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        RuleScorecard.from_dict(TAX_STYLE | change)
    assert caught.value.field == field
