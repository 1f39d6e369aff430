"""The four-fifths screen on favourable outcomes, and grade distributions per group."""

from __future__ import annotations

import pytest

from xinyong.errors import InvalidInput
from xinyong.scoring import adverse_flags, adverse_impact, grade_distribution_by_group


def _population() -> tuple[list[str], list[bool]]:
    """state: 10 % adverse; private: 20 %; foreign: 40 % (favourable 0.6 / 0.9 = 0.67 < 0.8)."""
    groups, adverse = [], []
    for group, n_adverse in (("state", 10), ("private", 20), ("foreign", 40)):
        groups += [group] * 100
        adverse += [True] * n_adverse + [False] * (100 - n_adverse)
    return groups, adverse


def test_group_below_four_fifths_is_flagged() -> None:
    report = adverse_impact(*_population())
    assert report.reference == "state"
    by_group = {g.group: g for g in report.groups}
    assert by_group["foreign"].adverse_rate == 0.4
    assert by_group["foreign"].ratio == pytest.approx(0.6 / 0.9)
    assert by_group["private"].ratio == pytest.approx(0.8 / 0.9)
    assert report.flagged == ("foreign",)
    assert [g.group for g in report.groups] == ["foreign", "private", "state"]


def test_threshold_is_a_strict_below() -> None:
    groups = ["a"] * 10 + ["b"] * 10
    adverse = [False] * 10 + [True] * 2 + [False] * 8  # b's favourable rate is exactly 0.8 of a's
    report = adverse_impact(groups, adverse)
    assert report.groups[1].ratio == pytest.approx(0.8)
    assert report.flagged == ()


def test_no_favourable_outcome_anywhere_has_no_ratio() -> None:
    report = adverse_impact(["a", "b"], [True, True])
    assert [g.ratio for g in report.groups] == [None, None]
    assert report.flagged == ()


def test_adverse_flags_and_grade_distribution_by_group() -> None:
    groups = ["north", "north", "south", "south"]
    grades = ["A", "D", "B", "C"]
    assert adverse_flags(grades, {"C", "D"}) == [False, True, False, True]
    table = grade_distribution_by_group(groups, grades, order=["A", "B", "C", "D"])
    assert [(g.grade, g.share) for g in table["north"]] == [("A", 0.5), ("B", 0.0), ("C", 0.0), ("D", 0.5)]
    assert [g.count for g in table["south"]] == [0, 1, 1, 0]


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(InvalidInput) as caught:
        adverse_impact(["a", "b"], [True])
    assert caught.value.field == "adverse"
