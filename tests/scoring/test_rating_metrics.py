"""Discrimination, calibration and stability measures on inputs whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from xinyong.errors import InvalidInput
from xinyong.scoring import auc, auc_difference, brier, calibration, gini, grade_distribution, ks, psi, psi_table


def test_perfect_ranking_has_auc_one_ks_one_gini_one() -> None:
    y = [0, 0, 0, 1, 1]
    risk = [0.1, 0.2, 0.3, 0.8, 0.9]
    assert auc(y, risk) == 1.0
    assert ks(y, risk) == 1.0
    assert gini(y, risk) == 1.0
    assert auc(y, [-r for r in risk]) == 0.0


def test_identical_distributions_have_ks_zero_and_auc_half() -> None:
    y = [0, 0, 0, 1, 1, 1]
    risk = [1, 2, 3, 1, 2, 3]
    assert ks(y, risk) == 0.0
    assert auc(y, risk) == 0.5


def test_ks_by_hand() -> None:
    # Goods at 1, 2, 3, 4; bads at 3, 4, 5, 6. At risk 2: F_good = 0.5, F_bad = 0 -> 0.5, the largest gap.
    y = [0, 0, 0, 0, 1, 1, 1, 1]
    risk = [1, 2, 3, 4, 3, 4, 5, 6]
    assert ks(y, risk) == 0.5


def test_brier_by_hand() -> None:
    assert brier([0, 1], [0.2, 0.6]) == pytest.approx((0.04 + 0.16) / 2)
    with pytest.raises(InvalidInput) as caught:
        brier([0, 1], [0.2, 1.5])
    assert caught.value.field == "p_bad"


def test_calibration_deciles() -> None:
    p = np.arange(100) / 100
    y = (np.arange(100) % 10 == 0).astype(int)  # one bad in every ten consecutive rows
    bins = calibration(y, p)
    assert [b.count for b in bins] == [10] * 10
    assert bins[0].mean_predicted == pytest.approx(0.045)
    assert bins[9].mean_predicted == pytest.approx(0.945)
    assert all(b.observed_rate == pytest.approx(0.1) for b in bins)


def test_psi_of_identical_distributions_is_zero() -> None:
    scores = np.random.default_rng(1).normal(600, 50, 5000)
    assert psi(scores, scores) == 0.0
    assert psi(scores, scores.copy()[::-1]) == 0.0


def test_psi_grows_with_the_shift_and_survives_empty_bins() -> None:
    expected = np.random.default_rng(2).normal(600, 50, 5000)
    small = psi(expected, expected + 5)
    large = psi(expected, expected + 50)
    assert 0 < small < 0.1 < large
    # Every actual score above the top decile: nine bins empty, each costs epsilon-sized logs, finite.
    table = psi_table(expected, np.full(100, 10_000.0))
    assert len(table) == 10
    assert (table[0].lower, table[-1].upper) == (None, None)
    assert table[-1].actual_share == 1.0
    assert table[0].actual_share == 1e-4
    total = sum(b.contribution for b in table)
    assert math.isfinite(total)
    assert total == pytest.approx(psi(expected, np.full(100, 10_000.0)))


def test_psi_by_hand_on_two_bins() -> None:
    # Expected median splits at 2: shares 0.5 / 0.5; actual 0.25 / 0.75.
    value = psi([1, 1, 3, 3], [1, 3, 3, 3], n_bins=2)
    assert value == pytest.approx((0.25 - 0.5) * math.log(0.5) + (0.75 - 0.5) * math.log(1.5))


def test_grade_distribution_keeps_the_declared_order() -> None:
    counts = grade_distribution(["B", "A", "B", "D", "X"], order=["A", "B", "C", "D"])
    assert [(g.grade, g.count, g.share) for g in counts] == [
        ("A", 1, 0.2),
        ("B", 2, 0.4),
        ("C", 0, 0.0),
        ("D", 1, 0.2),
        ("X", 1, 0.2),
    ]


@pytest.mark.parametrize(
    ("y", "risk", "field"),
    [
        ([0, 1, 2], [1, 2, 3], "y"),
        ([1, 1], [1, 2], "y"),
        ([0, 1], [1], "risk"),
        ([0, 1], [1, float("nan")], "risk"),
    ],
)
def test_bad_inputs_are_named(y: list[int], risk: list[float], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        ks(y, risk)
    assert caught.value.field == field


def test_auc_difference_matches_the_aucs_and_a_bootstrap() -> None:
    rng = np.random.default_rng(2)
    n = 600
    y = (rng.uniform(size=n) < 0.3).astype(int)
    a = y + rng.normal(0, 1.0, n)
    b = np.round(y + rng.normal(0, 1.4, n), 1)  # ties, as points give
    d = auc_difference(y, a, b)
    assert d.auc_a == pytest.approx(auc(y, a))
    assert d.auc_b == pytest.approx(auc(y, b))
    assert d.difference == pytest.approx(d.auc_a - d.auc_b)
    boot = []
    for _ in range(1000):
        i = rng.integers(0, n, n)
        boot.append(auc(y[i], a[i]) - auc(y[i], b[i]))
    assert d.se == pytest.approx(float(np.std(boot)), rel=0.15)
    assert d.low < d.difference < d.high
    assert d.p_value < 0.05  # a clearly better risk on 600 rows


def test_auc_difference_of_a_risk_with_itself_is_nothing() -> None:
    y = np.array([0, 1, 0, 1, 1, 0, 0, 0])
    risk = np.array([0.1, 0.9, 0.2, 0.4, 0.8, 0.3, 0.5, 0.05])
    d = auc_difference(y, risk, risk)
    assert (d.difference, d.se, d.p_value) == (0.0, 0.0, 1.0)
    with pytest.raises(InvalidInput, match="risk_b"):
        auc_difference(y, risk, risk[:-1])
