"""Explainable ratings: statistical and rule scorecards, reason codes, model metrics and fairness checks.

Pure computation: no database and no files. Importing this package loads NumPy and pandas only;
OptBinning and scikit-learn are loaded when a scorecard is fitted or AUC is measured.
"""

from __future__ import annotations

from xinyong.scoring.binning import BinningOptions, Direction, FeatureBins, Kind, fit_bins
from xinyong.scoring.fairness import (
    FOUR_FIFTHS,
    GroupImpact,
    ImpactReport,
    adverse_flags,
    adverse_impact,
    grade_distribution_by_group,
)
from xinyong.scoring.metrics import (
    AucDifference,
    CalibrationBin,
    GradeCount,
    PsiBin,
    auc,
    auc_difference,
    brier,
    calibration,
    gini,
    grade_distribution,
    ks,
    psi,
    psi_table,
)
from xinyong.scoring.reasons import (
    Reason,
    ReasonLabel,
    best_points,
    explain,
    points_lost,
    top_reasons,
)
from xinyong.scoring.rules import GradeBand, RuleRating, RuleScorecard, assign_grade
from xinyong.scoring.scorecard import (
    C_GRID,
    FeatureCard,
    Scaling,
    ScorecardModel,
    bin_indices,
    coefficient_signs,
    fit_scorecard,
    is_monotonic,
    points_frame,
    score_frame,
)
from xinyong.scoring.sql import score_expression, to_sql

__all__ = [
    "C_GRID",
    "FOUR_FIFTHS",
    "AucDifference",
    "BinningOptions",
    "CalibrationBin",
    "Direction",
    "FeatureBins",
    "FeatureCard",
    "GradeBand",
    "GradeCount",
    "GroupImpact",
    "ImpactReport",
    "Kind",
    "PsiBin",
    "Reason",
    "ReasonLabel",
    "RuleRating",
    "RuleScorecard",
    "Scaling",
    "ScorecardModel",
    "adverse_flags",
    "adverse_impact",
    "assign_grade",
    "auc",
    "auc_difference",
    "best_points",
    "bin_indices",
    "brier",
    "calibration",
    "coefficient_signs",
    "explain",
    "fit_bins",
    "fit_scorecard",
    "gini",
    "grade_distribution",
    "grade_distribution_by_group",
    "is_monotonic",
    "ks",
    "points_frame",
    "points_lost",
    "psi",
    "psi_table",
    "score_expression",
    "score_frame",
    "to_sql",
    "top_reasons",
]
