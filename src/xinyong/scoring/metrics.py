"""Discrimination, calibration and stability measures of a rating model.

Conventions: `y` is 1 for bad and 0 for good; `risk` is any score where higher means more likely bad
(pass `-score` for scorecard points, which rise with safety); `p_bad` is a predicted probability.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from xinyong.errors import InvalidInput

PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class CalibrationBin:
    """One quantile bin of predicted probabilities: how many rows, what was predicted, what happened."""

    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class PsiBin:
    """One bin of the expected distribution; None bounds are open ends."""

    lower: float | None
    upper: float | None
    expected_share: float
    actual_share: float
    contribution: float


@dataclass(frozen=True)
class GradeCount:
    """How many rated entities got a grade, and their share of all rated entities."""

    grade: str
    count: int
    share: float


def _labels_and_values(y: npt.ArrayLike, values: npt.ArrayLike, name: str) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(y)
    scores = np.asarray(values, dtype=np.float64)
    if labels.ndim != 1 or labels.shape != scores.shape:
        raise InvalidInput(f"needs one {name} per label, got {scores.shape} for {labels.shape}", field=name)
    if not np.isin(labels, (0, 1)).all():
        raise InvalidInput("labels must be 0 (good) or 1 (bad)", field="y")
    if not np.isfinite(scores).all():
        raise InvalidInput("must be finite numbers", field=name)
    if labels.size == 0 or labels.min() == labels.max():
        raise InvalidInput("labels need both good (0) and bad (1) rows", field="y")
    return labels.astype(np.int64), scores


def auc(y: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    """Area under the ROC curve: the chance a random bad ranks riskier than a random good."""
    from sklearn.metrics import roc_auc_score  # report-time only; scoring never loads scikit-learn

    labels, scores = _labels_and_values(y, risk, "risk")
    return float(roc_auc_score(labels, scores))


@dataclass(frozen=True)
class AucDifference:
    """AUC of risk A minus AUC of risk B on the same rows, with DeLong's standard error and 95% interval."""

    auc_a: float
    auc_b: float
    difference: float
    se: float
    low: float
    high: float
    p_value: float


def auc_difference(y: npt.ArrayLike, risk_a: npt.ArrayLike, risk_b: npt.ArrayLike) -> AucDifference:
    """Compare two risks' AUCs on the same labelled rows by DeLong's paired test (DeLong, DeLong and
    Clarke-Pearson 1988): the structural components of each AUC give the covariance of the two."""
    from scipy.stats import norm, rankdata  # report-time only

    labels, a = _labels_and_values(y, risk_a, "risk_a")
    _, b = _labels_and_values(y, risk_b, "risk_b")
    if a.shape != b.shape:
        raise InvalidInput(f"needs one value per label, got {b.shape} for {a.shape}", field="risk_b")
    bad, good = labels == 1, labels == 0
    m, n = int(bad.sum()), int(good.sum())
    aucs, v10, v01 = [], [], []
    for risk in (a, b):
        pos, neg = risk[bad], risk[good]
        ranks_all = rankdata(np.concatenate([pos, neg]))
        ranks_pos, ranks_neg = rankdata(pos), rankdata(neg)
        # V10: per bad row, the share of good rows it outranks (ties half); V01: per good row, of bads above it.
        v10.append((ranks_all[:m] - ranks_pos) / n)
        v01.append(1.0 - (ranks_all[m:] - ranks_neg) / m)
        aucs.append(float(v10[-1].mean()))
    s10, s01 = np.cov(np.vstack(v10)), np.cov(np.vstack(v01))
    var = (s10[0, 0] + s10[1, 1] - 2 * s10[0, 1]) / m + (s01[0, 0] + s01[1, 1] - 2 * s01[0, 1]) / n
    se = float(np.sqrt(max(var, 0.0)))
    diff = aucs[0] - aucs[1]
    z = diff / se if se > 0 else 0.0
    return AucDifference(
        auc_a=aucs[0],
        auc_b=aucs[1],
        difference=diff,
        se=se,
        low=diff - 1.959964 * se,
        high=diff + 1.959964 * se,
        p_value=float(2 * norm.sf(abs(z))),
    )


def gini(y: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    """Gini (accuracy ratio) = 2 * AUC - 1."""
    return 2.0 * auc(y, risk) - 1.0


def ks(y: npt.ArrayLike, risk: npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov: the largest gap between the cumulative risk distributions of bads and goods.

    Computed at every distinct risk value (ties move together), as max |F_bad - F_good|; with risk
    oriented correctly it equals max(TPR - FPR) over thresholds.
    """
    labels, scores = _labels_and_values(y, risk, "risk")
    _, inverse = np.unique(scores, return_inverse=True)
    bads = np.bincount(inverse, weights=labels).cumsum()
    goods = np.bincount(inverse, weights=1 - labels).cumsum()
    return float(np.max(np.abs(bads / bads[-1] - goods / goods[-1])))


def brier(y: npt.ArrayLike, p_bad: npt.ArrayLike) -> float:
    """Mean squared error of the predicted bad probability."""
    labels, probs = _labels_and_values(y, p_bad, "p_bad")
    if (probs < 0).any() or (probs > 1).any():
        raise InvalidInput("probabilities must lie in [0, 1]", field="p_bad")
    return float(np.mean((probs - labels) ** 2))


def calibration(y: npt.ArrayLike, p_bad: npt.ArrayLike, n_bins: int = 10) -> list[CalibrationBin]:
    """Mean predicted vs observed bad rate per quantile bin (deciles by default) of the prediction.

    Bins are cut at the quantiles of `p_bad`; equal predictions stay together, so heavy ties give
    fewer, larger bins; empty bins are left out.
    """
    labels, probs = _labels_and_values(y, p_bad, "p_bad")
    index, _ = _quantile_bins(probs, n_bins)
    result = []
    for b in np.unique(index):
        mask = index == b
        result.append(
            CalibrationBin(
                lower=float(probs[mask].min()),
                upper=float(probs[mask].max()),
                count=int(mask.sum()),
                mean_predicted=float(probs[mask].mean()),
                observed_rate=float(labels[mask].mean()),
            )
        )
    return result


def psi_table(
    expected: npt.ArrayLike, actual: npt.ArrayLike, n_bins: int = 10, epsilon: float = PSI_EPSILON
) -> list[PsiBin]:
    """Population stability by bin: sum over bins of (actual - expected) * ln(actual / expected).

    Bins are cut at the deciles (by default) of the *expected* scores: (-inf, q1), [q1, q2), ...,
    [q9, inf), merging equal quantiles; a share of 0 in either distribution is replaced by `epsilon`
    so an empty bin costs a large but finite amount.
    """
    exp = np.asarray(expected, dtype=np.float64)
    act = np.asarray(actual, dtype=np.float64)
    for name, arr in (("expected", exp), ("actual", act)):
        if arr.ndim != 1 or arr.size == 0 or not np.isfinite(arr).all():
            raise InvalidInput("must be a non-empty list of finite scores", field=name)
    if epsilon <= 0:
        raise InvalidInput("must be positive", field="epsilon")
    exp_index, edges = _quantile_bins(exp, n_bins)
    act_index = np.searchsorted(edges, act, side="right")
    n = len(edges) + 1
    exp_share = np.maximum(np.bincount(exp_index, minlength=n) / exp.size, epsilon)
    act_share = np.maximum(np.bincount(act_index, minlength=n) / act.size, epsilon)
    contributions = (act_share - exp_share) * np.log(act_share / exp_share)
    bounds: list[float | None] = [None, *(float(e) for e in edges), None]
    return [
        PsiBin(bounds[i], bounds[i + 1], float(exp_share[i]), float(act_share[i]), float(contributions[i]))
        for i in range(n)
    ]


def psi(expected: npt.ArrayLike, actual: npt.ArrayLike, n_bins: int = 10, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index of `actual` against `expected` (see `psi_table` for the binning)."""
    return float(sum(b.contribution for b in psi_table(expected, actual, n_bins, epsilon)))


def grade_distribution(grades: Iterable[str], order: Sequence[str] | None = None) -> list[GradeCount]:
    """Count and share of each grade, in `order` (grades absent from the data count 0), then any
    grade not in `order`, alphabetically."""
    counts = Counter(grades)
    total = sum(counts.values())
    if total == 0:
        raise InvalidInput("no grades to count", field="grades")
    listed = list(order or [])
    listed += sorted(g for g in counts if g not in listed)
    return [GradeCount(g, counts.get(g, 0), counts.get(g, 0) / total) for g in listed]


def _quantile_bins(values: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin index of every value and the interior edges: the 1/n .. (n-1)/n quantiles, de-duplicated."""
    if n_bins < 2:
        raise InvalidInput("must be at least 2", field="n_bins")
    edges = np.unique(np.quantile(values, np.arange(1, n_bins) / n_bins))
    # A lowest edge equal to the minimum would leave bin 0 empty by construction; drop it.
    edges = edges[edges > values.min()]
    return np.searchsorted(edges, values, side="right"), edges
