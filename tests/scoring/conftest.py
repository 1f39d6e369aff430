"""Fixtures for the scoring tests: a synthetic monotone training set, its fitted scorecard, and a tiny
hand-written scorecard whose points are known by heart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from xinyong.scoring import FeatureCard, Scaling, ScorecardModel, fit_scorecard

SCALING = Scaling(base_score=600.0, base_odds=19.0, pdo=50.0)


def synthetic(n: int = 3000, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Arrears raise the bad rate, firm age lowers it, ownership shifts it, `noise` does nothing."""
    rng = np.random.default_rng(seed)
    arrears = rng.integers(0, 21, n).astype(float)
    age = rng.uniform(0, 30, n)
    ownership = rng.choice(["state", "private", "foreign"], n, p=[0.3, 0.5, 0.2])
    effect = pd.Series(ownership).map({"state": -0.8, "private": 0.0, "foreign": 0.6}).to_numpy()
    logit = -1.0 + 0.18 * arrears - 0.09 * age + effect
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    arrears[rng.uniform(size=n) < 0.05] = np.nan
    frame = pd.DataFrame({"arrears": arrears, "firm_age": age, "ownership": ownership, "noise": rng.normal(size=n)})
    return frame, y


@pytest.fixture
def make_training() -> Callable[..., tuple[pd.DataFrame, np.ndarray]]:
    return synthetic


@pytest.fixture(scope="session")
def training() -> tuple[pd.DataFrame, np.ndarray]:
    return synthetic()


@pytest.fixture(scope="session")
def fitted(training: tuple[pd.DataFrame, np.ndarray]) -> ScorecardModel:
    frame, y = training
    return fit_scorecard(frame, y, version="synthetic-1", scaling=SCALING)


@pytest.fixture
def tiny() -> ScorecardModel:
    """arrears: (-inf,1) 30, [1,3) 10, [3,inf) -20, missing -25; sector: a/b 15, c -5, unknown -5, missing 0;
    a third bin of sector ("z") has the most points but held no training rows."""
    arrears = FeatureCard(
        code="arrears",
        kind="numeric",
        direction="ascending",
        edges=(1.0, 3.0),
        categories=(),
        points=(30.0, 10.0, -20.0),
        woe=(0.6, 0.2, -0.4),
        counts=(50, 30, 20),
        bad_rates=(0.1, 0.2, 0.4),
        missing_points=-25.0,
        missing_count=0,
        unknown_points=None,
        coefficient=-0.7,
        iv=0.3,
    )
    sector = FeatureCard(
        code="sector",
        kind="categorical",
        direction=None,
        edges=(),
        categories=(("a", "b"), ("c",), ("z",)),
        points=(15.0, -5.0, 40.0),
        woe=(0.3, -0.1, 0.8),
        counts=(60, 40, 0),
        bad_rates=(0.15, 0.3, 0.0),
        missing_points=0.0,
        missing_count=5,
        unknown_points=-5.0,
        coefficient=-0.5,
        iv=0.1,
    )
    return ScorecardModel(
        version="tiny-1",
        scaling=SCALING,
        intercept=-1.2,
        intercept_points=500.0,
        features=(arrears, sector),
        excluded={"noise": "information value 0.0010 below 0.02"},
    )
