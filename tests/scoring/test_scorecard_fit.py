"""The statistical scorecard: monotone bins, expected-sign coefficients, exact points and JSON export."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from xinyong.errors import InvalidInput
from xinyong.scoring import (
    BinningOptions,
    Scaling,
    ScorecardModel,
    auc,
    bin_indices,
    coefficient_signs,
    fit_scorecard,
    is_monotonic,
    points_frame,
    score_frame,
)

Training = Callable[..., tuple[pd.DataFrame, np.ndarray]]
SCALING = Scaling()  # 600 points at odds 19:1, 50 points to double the odds


def test_fit_gives_monotone_bins_in_the_true_directions(fitted: ScorecardModel) -> None:
    assert is_monotonic(fitted) == {"arrears": True, "firm_age": True}
    assert fitted.feature("arrears").direction == "ascending"
    assert fitted.feature("firm_age").direction == "descending"
    assert fitted.feature("arrears").n_bins >= 3
    # Points follow: more arrears, fewer points; older firm, more points.
    assert list(fitted.feature("arrears").points) == sorted(fitted.feature("arrears").points, reverse=True)
    assert list(fitted.feature("firm_age").points) == sorted(fitted.feature("firm_age").points)


def test_fit_gives_negative_coefficients_and_drops_the_noise(fitted: ScorecardModel) -> None:
    assert coefficient_signs(fitted) == {"arrears": True, "firm_age": True, "ownership": True}
    assert [c.code for c in fitted.features] == ["arrears", "firm_age", "ownership"]
    assert fitted.excluded["noise"].startswith("information value")


def test_wrong_sign_feature_is_dropped_and_the_rest_refitted() -> None:
    # `echo` tracks arrears, so alone it looks risky, but given arrears it lowers risk: its WoE
    # coefficient would come out positive.
    rng = np.random.default_rng(3)
    n = 4000
    arrears = rng.uniform(0, 10, n)
    echo = arrears + rng.normal(0, 1.0, n)
    logit = -2.0 + 0.9 * arrears - 0.6 * echo
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({"arrears": arrears, "echo": echo})
    model = fit_scorecard(frame, y, version="sign-1", scaling=SCALING)
    assert [c.code for c in model.features] == ["arrears"]
    assert "not negative" in model.excluded["echo"]
    assert all(coefficient_signs(model).values())


def _hand_points(model: ScorecardModel, row: pd.Series) -> float:
    """The score of one row, binned by explicit comparisons rather than searchsorted."""
    total = model.intercept_points
    for card in model.features:
        value = row[card.code]
        if card.kind == "numeric":
            if pd.isna(value):
                total += card.missing_points
                continue
            index = sum(1 for edge in card.edges if value >= edge)
            total += card.points[index]
        else:
            groups = [i for i, g in enumerate(card.categories) if value in g]
            total += card.points[groups[0]] if groups else card.missing_points
    return total


def test_score_frame_equals_points_summed_by_hand(
    fitted: ScorecardModel, training: tuple[pd.DataFrame, np.ndarray]
) -> None:
    frame, _ = training
    rows = frame.iloc[[0, 1, 2, 50, 777]]
    missing = frame[frame["arrears"].isna()].iloc[[0]]
    sample = pd.concat([rows, missing])
    scores = score_frame(fitted, sample)
    expected = [_hand_points(fitted, row) for _, row in sample.iterrows()]
    assert scores == pytest.approx(expected, abs=1e-9)
    assert points_frame(fitted, sample).sum(axis=1) + fitted.intercept_points == pytest.approx(scores)


def test_points_follow_the_pdo_formula(fitted: ScorecardModel, training: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, _ = training
    sample = frame.iloc[:20]
    woe = np.column_stack([np.asarray([*c.woe, 0.0, 0.0])[bin_indices(c, sample[c.code])] for c in fitted.features])
    mask = sample["arrears"].notna().to_numpy()
    log_odds_bad = fitted.intercept + woe @ np.asarray([c.coefficient for c in fitted.features])
    factor = 50.0 / math.log(2.0)
    expected = 600.0 - factor * math.log(19.0) + factor * -log_odds_bad
    assert score_frame(fitted, sample)[mask] == pytest.approx(expected[mask], abs=1e-9)


def test_missing_and_unseen_values_get_their_own_points(fitted: ScorecardModel) -> None:
    arrears = fitted.feature("arrears")
    ownership = fitted.feature("ownership")
    assert arrears.missing_count > 0  # 5 % of training rows had no arrears figure
    frame = pd.DataFrame({"arrears": [np.nan], "firm_age": [10.0], "ownership": ["collective"]})
    points = points_frame(fitted, frame)[0]
    assert points[0] == arrears.missing_points
    # A category never seen in training gets the worst observed points, never better.
    assert points[2] == ownership.unknown_points == min(ownership.points)


def test_missing_feature_column_is_named(make_training: Training) -> None:
    frame, y = make_training(n=600)
    model = fit_scorecard(frame, y, version="v", scaling=SCALING)
    with pytest.raises(InvalidInput) as caught:
        score_frame(model, frame.drop(columns=["firm_age"]))
    assert caught.value.field == "firm_age"


def test_json_round_trip_keeps_the_model_and_its_scores(
    fitted: ScorecardModel, training: tuple[pd.DataFrame, np.ndarray]
) -> None:
    frame, _ = training
    text = json.dumps(fitted.to_dict())
    back = ScorecardModel.from_dict(json.loads(text))
    assert back == fitted
    assert np.array_equal(score_frame(back, frame), score_frame(fitted, frame))


def test_from_dict_names_the_broken_field(tiny: ScorecardModel) -> None:
    data = tiny.to_dict()
    data["features"][1]["points"] = [1.0]
    with pytest.raises(InvalidInput) as caught:
        ScorecardModel.from_dict(data)
    assert caught.value.field == "features[1].points"
    with pytest.raises(InvalidInput, match="format"):
        ScorecardModel.from_dict({**tiny.to_dict(), "format": "other"})


def test_declared_direction_is_enforced_and_checked(make_training: Training) -> None:
    frame, y = make_training(n=1500)
    model = fit_scorecard(frame, y, version="v", scaling=SCALING, directions={"arrears": "ascending"})
    assert model.feature("arrears").direction == "ascending"
    assert is_monotonic(model)["arrears"]
    with pytest.raises(InvalidInput) as caught:
        fit_scorecard(frame, y, version="v", directions={"ownership": "ascending"})
    assert caught.value.field == "ownership"


@pytest.mark.parametrize(
    ("target", "message"),
    [([0, 1, 2] * 200, "0 \\(good\\) or 1 \\(bad\\)"), ([0] * 600, "both good"), ([0, 1] * 10, "values")],
)
def test_bad_target_is_rejected(target: list[int], message: str, make_training: Training) -> None:
    frame, _ = make_training(n=600)
    with pytest.raises(InvalidInput, match=message):
        fit_scorecard(frame, target, version="v")


def test_non_text_categorical_is_rejected(make_training: Training) -> None:
    frame, y = make_training(n=600)
    frame["ownership"] = frame["ownership"].astype(object)
    frame.loc[0, "ownership"] = 7
    with pytest.raises(InvalidInput) as caught:
        fit_scorecard(frame, y, version="v")
    assert caught.value.field == "ownership"


def test_is_monotonic_flags_a_peaked_feature(tiny: ScorecardModel) -> None:
    card = tiny.features[0]
    peaked = ScorecardModel(
        version="peak",
        scaling=tiny.scaling,
        intercept=tiny.intercept,
        intercept_points=tiny.intercept_points,
        features=(dataclasses.replace(card, woe=(0.6, 0.8, -0.4)), tiny.features[1]),
    )
    assert is_monotonic(tiny) == {"arrears": True}
    assert is_monotonic(peaked) == {"arrears": False}


def test_empty_and_constant_columns_are_excluded_not_fatal(make_training: Training) -> None:
    frame, y = make_training(n=800)
    frame = frame.assign(never_reported=np.nan, always_one=1.0, one_sector="retail")
    model = fit_scorecard(frame, y, version="v", scaling=SCALING)
    for code in ("never_reported", "always_one", "one_sector"):
        assert model.excluded[code] == "information value 0.0000 below 0.02"
    assert "arrears" in [c.code for c in model.features]


def test_regularisation_chosen_by_cross_validation_on_the_training_rows(make_training: Training) -> None:
    frame, y = make_training(n=1200, seed=11)
    grid = (0.001, 1.0, 100.0)
    model = fit_scorecard(frame, y, version="cv-1", scaling=SCALING, regularization=grid, folds=3)
    assert set(model.cv_auc) == set(grid)
    assert all(0.5 < a < 1.0 for a in model.cv_auc.values())
    assert model.regularization in grid
    assert model.cv_auc[model.regularization] == max(model.cv_auc.values())
    # The chosen C is the one the final fit used: refitting with it alone gives the same card.
    again = fit_scorecard(frame, y, version="cv-1", scaling=SCALING, regularization=model.regularization)
    assert [c.coefficient for c in again.features] == [c.coefficient for c in model.features]
    # Strong shrinkage pulls the coefficients towards zero.
    weak = fit_scorecard(frame, y, version="v", scaling=SCALING, regularization=0.001)
    assert abs(weak.feature("arrears").coefficient) < abs(again.feature("arrears").coefficient)
    # The choice and the CV figures travel with the model.
    back = ScorecardModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert (back.regularization, dict(back.cv_auc)) == (model.regularization, dict(model.cv_auc))


def test_cross_validation_rebins_each_fold_so_noise_scores_chance() -> None:
    # Features of pure noise, finely binned: on the rows they were binned on their WoE "predicts" the
    # outcome, so CV on bins fitted to all rows would look good; binned inside each fold, the held-out
    # rows are predicted no better than by chance.
    rng = np.random.default_rng(5)
    n = 600
    y = (rng.uniform(size=n) < 0.3).astype(int)
    frame = pd.DataFrame({f"noise{i}": rng.normal(size=n) for i in range(4)})
    fine = BinningOptions(max_n_prebins=50, min_prebin_size=0.01)
    model = fit_scorecard(frame, y, version="v", regularization=(1.0, 10.0), min_iv=0.0, binning=fine)
    assert auc(y, -score_frame(model, frame)) > 0.57  # in-sample
    assert all(a < 0.53 for a in model.cv_auc.values())  # held out


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"regularization": (1.0, -1.0)}, "regularization"),
        ({"regularization": ()}, "regularization"),
        ({"regularization": (1.0, 2.0), "folds": 1}, "folds"),
        ({"regularization": (1.0, 2.0), "repeats": 0}, "repeats"),
    ],
)
def test_bad_regularisation_settings_are_refused(
    make_training: Training, kwargs: dict[str, object], field: str
) -> None:
    frame, y = make_training(n=300)
    with pytest.raises(InvalidInput) as err:
        fit_scorecard(frame, y, version="v", **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field
