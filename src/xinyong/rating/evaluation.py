"""How well a model rates: discrimination, calibration, grades, stability across years and fairness.

Everything returned is plain JSON (no NaN, floats rounded), so it can be stored with the model version,
rendered by the report and compared between versions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from xinyong.catalog.model import RatingModel
from xinyong.rating.models import ResolvedModel, bands
from xinyong.scoring import (
    adverse_flags,
    adverse_impact,
    assign_grade,
    auc,
    brier,
    calibration,
    coefficient_signs,
    grade_distribution,
    grade_distribution_by_group,
    is_monotonic,
    ks,
    psi,
    score_frame,
)

#: The groups the fairness report compares (from the register, or the USCC for the district).
FAIRNESS_GROUPS = ("district", "industry", "ownership")
ROC_POINTS = 101


@dataclass(frozen=True)
class Snapshot:
    """The features of every organisation known on a day, and whether the outcome followed (1 = bad)."""

    day: date
    frame: pd.DataFrame
    bad: npt.NDArray[np.int64]
    groups: pd.DataFrame | None = None


@dataclass(frozen=True)
class Scored:
    """Scores (higher is safer), grades and, for a statistical model, the predicted bad probability."""

    score: npt.NDArray[np.float64]
    grade: list[str]
    p_bad: npt.NDArray[np.float64] | None


def score_snapshot(model: ResolvedModel, frame: pd.DataFrame) -> Scored:
    """Score a feature frame in NumPy (evaluation only; rating runs score in SQL)."""
    if model.scorecard is not None:
        score = score_frame(model.scorecard, frame)
        scaling = model.scorecard.scaling
        # ln(good odds) = (score - offset) / factor, so P(bad) = 1 / (1 + exp(that)).
        p_bad = 1.0 / (1.0 + np.exp((score - scaling.offset) / scaling.factor))
        grade_bands = bands(model.decl)
        return Scored(score, [assign_grade(float(s), grade_bands) for s in score], p_bad)
    if model.rule is None:  # pragma: no cover - a resolved model has one or the other
        raise ValueError("model has neither a scorecard nor rules")
    codes = [f.code for f in model.decl.features]
    rows = feature_rows(frame, codes)
    ratings = [model.rule.rate(row) for row in rows]
    return Scored(np.asarray([r.score for r in ratings], dtype=np.float64), [r.grade for r in ratings], None)


def feature_rows(frame: pd.DataFrame, codes: Sequence[str]) -> list[dict[str, Any]]:
    """Each row's feature values as plain Python values (int, float, str), None where missing."""
    part = frame[list(codes)].astype(object)
    records = part.where(part.notna(), None).to_dict("records")
    return [{str(k): v for k, v in row.items()} for row in records]


def evaluate(model: ResolvedModel, snapshots: Sequence[Snapshot], *, test: int = -1) -> dict[str, Any]:
    """Metrics of `model` on the snapshots: full measures on the test snapshot (the last by default),
    discrimination on each, PSI of the scores between consecutive snapshots, fairness on the test one."""
    scored = [score_snapshot(model, s.frame) for s in snapshots]
    per_snapshot = []
    for snap, result in zip(snapshots, scored, strict=True):
        entry: dict[str, Any] = {"day": snap.day.isoformat(), "entities": len(snap.bad), "bad": int(snap.bad.sum())}
        entry.update(_discrimination(snap.bad, result.score))
        per_snapshot.append(entry)
    test_snap, test_scored = snapshots[test], scored[test]
    out: dict[str, Any] = {
        "model": model.code,
        "version": model.version,
        "kind": model.kind,
        "snapshots": per_snapshot,
        "test": _test_measures(model.decl, test_snap, test_scored),
        "psi": [
            {"from": a.day.isoformat(), "to": b.day.isoformat(), "psi": _round(psi(sa.score, sb.score))}
            for (a, sa), (b, sb) in zip(
                zip(snapshots[:-1], scored[:-1], strict=True), zip(snapshots[1:], scored[1:], strict=True), strict=True
            )
        ],
        "fairness": _fairness(model.decl, test_snap, test_scored),
    }
    if model.scorecard is not None:
        card = model.scorecard
        out["monotonic"] = is_monotonic(card)
        out["signs"] = coefficient_signs(card)
        out["excluded"] = dict(card.excluded)
        out["features"] = [
            {
                "code": c.code,
                "iv": _round(c.iv),
                "coefficient": _round(c.coefficient),
                "direction": c.direction,
                "bins": [
                    {"bin": c.bin_label(i), "points": _round(p), "count": n, "bad_rate": _round(r)}
                    for i, (p, n, r) in enumerate(zip(c.points, c.counts, c.bad_rates, strict=True))
                ],
            }
            for c in card.features
        ]
    cleaned: dict[str, Any] = clean(out)
    return cleaned


def _discrimination(bad: npt.NDArray[np.int64], score: npt.NDArray[np.float64]) -> dict[str, Any]:
    if bad.size == 0 or bad.min() == bad.max():
        return {"auc": None, "ks": None, "gini": None}
    value = auc(bad, -score)
    return {"auc": _round(value), "ks": _round(ks(bad, -score)), "gini": _round(2 * value - 1)}


def _test_measures(decl: RatingModel, snap: Snapshot, scored: Scored) -> dict[str, Any]:
    out: dict[str, Any] = {"day": snap.day.isoformat(), "entities": len(snap.bad), "bad": int(snap.bad.sum())}
    out.update(_discrimination(snap.bad, scored.score))
    if out["auc"] is not None:
        out["roc"] = _roc(snap.bad, -scored.score)
    if scored.p_bad is not None and out["auc"] is not None:
        out["brier"] = _round(brier(snap.bad, scored.p_bad))
        out["calibration"] = [
            {
                "lower": _round(b.lower),
                "upper": _round(b.upper),
                "count": b.count,
                "predicted": _round(b.mean_predicted),
                "observed": _round(b.observed_rate),
            }
            for b in calibration(snap.bad, scored.p_bad)
        ]
    order = [g.grade for g in decl.grades]
    grades = []
    if scored.grade:
        labels = np.asarray(scored.grade)
        for count in grade_distribution(scored.grade, order):
            mask = labels == count.grade
            rate = float(snap.bad[mask].mean()) if mask.any() else None
            grades.append(
                {"grade": count.grade, "count": count.count, "share": _round(count.share), "bad_rate": _round(rate)}
            )
    out["grades"] = grades
    return out


def _roc(bad: npt.NDArray[np.int64], risk: npt.NDArray[np.float64]) -> list[list[float]]:
    from sklearn.metrics import roc_curve  # report-time only

    fpr, tpr, _ = roc_curve(bad, risk)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(ROC_POINTS, len(fpr))).round().astype(int))
    return [[_round(float(fpr[i])) or 0.0, _round(float(tpr[i])) or 0.0] for i in keep]


def _fairness(decl: RatingModel, snap: Snapshot, scored: Scored) -> dict[str, Any]:
    adverse_grades = {g.grade for g in decl.grades if g.adverse}
    if snap.groups is None or not scored.grade or not adverse_grades:
        return {}
    order = [g.grade for g in decl.grades]
    flags = adverse_flags(scored.grade, adverse_grades)
    out: dict[str, Any] = {"adverse_grades": sorted(adverse_grades)}
    for column in FAIRNESS_GROUPS:
        labels = [str(v) for v in snap.groups[column].tolist()]
        if set(labels) <= {"unknown"}:
            out[column] = {"available": False}
            continue
        report = adverse_impact(labels, flags)
        distribution = grade_distribution_by_group(labels, scored.grade, order)
        out[column] = {
            "available": True,
            "reference": report.reference,
            "threshold": report.threshold,
            "flagged": list(report.flagged),
            "groups": [
                {
                    "group": g.group,
                    "count": g.count,
                    "adverse_rate": _round(g.adverse_rate),
                    "favourable_rate": _round(g.favourable_rate),
                    "ratio": _round(g.ratio),
                    "flagged": g.flagged,
                    "grades": {c.grade: c.count for c in distribution[g.group]},
                }
                for g in report.groups
            ],
        }
    return out


def _round(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def clean(value: Any) -> Any:
    """A JSON-safe copy: NumPy scalars become Python numbers, NaN and infinities become None."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
