"""Credit ratings of legal entities for classified supervision: features from the record, rule and
statistical models from the catalog, rating runs with reasons, and model reports.

People are never rated. Features are computed in SQL (DuckDB, or the same text in Spark SQL: `engines`) as
of a day, from what the registry knew on that day.
"""

from __future__ import annotations

from xinyong.rating.assemble import RATED_LINKS, RatingData, assemble, from_tables, read_register
from xinyong.rating.engines import ENGINES, RatingTables, open_tables
from xinyong.rating.evaluation import Scored, Snapshot, evaluate, score_snapshot
from xinyong.rating.features import days_between, end_of_day, feature_query, outcome_query
from xinyong.rating.models import ResolvedModel, bands, declared, resolve, rule_scorecard
from xinyong.rating.rate import Rated, RateRun, explain_frame, grade_sql, rate_all, rate_entities, reason_json
from xinyong.rating.report import ReportFiles, report_folder, write_report
from xinyong.rating.train import (
    HISTORIES,
    History,
    TrainResult,
    evaluate_model,
    fit,
    snapshot_days,
    take_snapshots,
    train,
)

__all__ = [
    "ENGINES",
    "HISTORIES",
    "RATED_LINKS",
    "History",
    "RateRun",
    "Rated",
    "RatingData",
    "RatingTables",
    "ReportFiles",
    "ResolvedModel",
    "Scored",
    "Snapshot",
    "TrainResult",
    "assemble",
    "bands",
    "days_between",
    "declared",
    "end_of_day",
    "evaluate",
    "evaluate_model",
    "explain_frame",
    "feature_query",
    "fit",
    "from_tables",
    "grade_sql",
    "open_tables",
    "outcome_query",
    "rate_all",
    "rate_entities",
    "read_register",
    "reason_json",
    "report_folder",
    "resolve",
    "rule_scorecard",
    "score_snapshot",
    "snapshot_days",
    "take_snapshots",
    "train",
    "write_report",
]
