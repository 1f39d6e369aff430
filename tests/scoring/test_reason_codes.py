"""Reason codes pick the features that cost the most points against the best attainable bin."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from xinyong.errors import InvalidInput
from xinyong.scoring import ReasonLabel, ScorecardModel, best_points, explain, points_lost, top_reasons

LABELS = {
    "arrears": ReasonLabel(
        zh="欠款 {value} 笔（{bin}），比最佳少 {lost:.0f} 分", en="arrears {value} ({bin}): -{lost:.0f}"
    ),
    "sector": ReasonLabel(zh="行业 {value}", en="sector {value}, {points:.0f} of {best:.0f} points"),
}


def test_best_bin_ignores_bins_nobody_was_in(tiny: ScorecardModel) -> None:
    # sector's bin "z" has 40 points but no training rows, so the best attainable is 15.
    assert best_points(tiny.feature("sector")) == 15.0
    assert best_points(tiny.feature("arrears")) == 30.0


def test_losses_are_best_minus_actual_and_never_negative(tiny: ScorecardModel) -> None:
    frame = pd.DataFrame({"arrears": [0.0, 5.0, np.nan], "sector": ["a", "c", "z"]})
    assert points_lost(tiny, frame).tolist() == [[0.0, 0.0], [50.0, 20.0], [55.0, 0.0]]


def test_top_reasons_rank_the_biggest_loss_first(tiny: ScorecardModel) -> None:
    frame = pd.DataFrame({"arrears": [2.0, 5.0, 0.0], "sector": ["unseen", "b", "a"]})
    assert top_reasons(tiny, frame) == [
        [("arrears", 20.0), ("sector", 20.0)],  # equal losses: by code
        [("arrears", 50.0)],
        [],  # best bins everywhere: nothing to explain
    ]
    assert top_reasons(tiny, frame, k=1)[0] == [("arrears", 20.0)]


def test_ties_break_by_code_not_by_model_order(tiny: ScorecardModel) -> None:
    swapped = dataclasses.replace(tiny, features=tiny.features[::-1])
    frame = pd.DataFrame({"arrears": [2.0], "sector": ["c"]})
    assert top_reasons(swapped, frame) == top_reasons(tiny, frame) == [[("arrears", 20.0), ("sector", 20.0)]]


def test_explain_fills_the_callers_labels(tiny: ScorecardModel) -> None:
    reasons = explain(tiny, {"arrears": 4, "sector": "c"}, LABELS)
    assert [(r.code, r.kind, r.points) for r in reasons] == [
        ("arrears", "feature", -50.0),
        ("sector", "feature", -20.0),
    ]
    assert reasons[0].label_zh == "欠款 4 笔（[3, inf)），比最佳少 50 分"
    assert reasons[1].label_en == "sector c, -5 of 15 points"


def test_explain_on_the_fitted_model_names_the_worst_feature(fitted: ScorecardModel) -> None:
    labels = {c.code: ReasonLabel(zh=c.code, en=c.code) for c in fitted.features}
    best_age = max(fitted.feature("firm_age").edges) + 1
    reasons = explain(fitted, {"arrears": 20.0, "firm_age": best_age, "ownership": "state"}, labels, k=4)
    assert [r.code for r in reasons] == ["arrears"]
    arrears = fitted.feature("arrears")
    assert reasons[0].points == pytest.approx(arrears.points[-1] - best_points(arrears))


def test_missing_label_and_bad_values_are_named(tiny: ScorecardModel) -> None:
    with pytest.raises(InvalidInput) as caught:
        explain(tiny, {"arrears": 4, "sector": "c"}, {"arrears": LABELS["arrears"]})
    assert caught.value.field == "sector"
    with pytest.raises(InvalidInput) as caught:
        explain(tiny, {"arrears": "four", "sector": "c"}, LABELS)
    assert caught.value.field == "arrears"
    with pytest.raises(InvalidInput) as caught:
        explain(tiny, {"sector": "c"}, LABELS)
    assert caught.value.field == "arrears"
