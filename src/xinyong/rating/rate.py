"""Rating every legal entity as of now, storing each rating with its reasons and model version.

Only organisations are rated: the entity set is read from subjects of kind `org`, so a natural person
can never receive a rating. Features and a statistical model's scores are computed in SQL by the chosen
engine (`engines`: DuckDB, or Spark SQL on the same text) through the portable SQL export of the
scorecard; its reason codes are the features that cost the most points against their best bin. A rule
model rates entity by entity and explains its deductions and overrides. A run and its audit entry are
stored in one unit of work.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xinyong.catalog.model import Catalog, RatingModel
from xinyong.clock import Clock, today
from xinyong.errors import InvalidInput
from xinyong.rating.engines import RatingTables, open_tables
from xinyong.rating.evaluation import feature_rows
from xinyong.rating.models import ResolvedModel, bands, ensure_stored, resolve
from xinyong.scoring import GradeCount, Reason, ScorecardModel, best_points, bin_indices, grade_distribution, to_sql
from xinyong.scoring.reasons import fill, top_reasons
from xinyong.store import Store
from xinyong.store import ratings as repo
from xinyong.store.audit_rows import Event, record

FEATURES_TABLE = "features"


@dataclass(frozen=True)
class Rated:
    """One entity's rating as a run produced it."""

    subject_pk: int
    subject_key: str
    uscc: str | None
    score: float
    grade: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class RateRun:
    """What a rating run did: which model version, as of when, how many entities, which grades."""

    run: str
    model: str
    version: str
    kind: str
    as_of: date
    rated_at: datetime
    rated: int
    distribution: list[GradeCount]
    out: Path | None

    def as_dict(self) -> dict[str, Any]:
        """The run as `xinyong rate --json` prints it."""
        return {
            "run": self.run,
            "model": self.model,
            "version": self.version,
            "kind": self.kind,
            "as_of": self.as_of.isoformat(),
            "rated_at": self.rated_at.isoformat(),
            "rated": self.rated,
            "grades": [{"grade": g.grade, "count": g.count, "share": round(g.share, 6)} for g in self.distribution],
            "out": str(self.out) if self.out is not None else None,
        }


def rate_all(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    *,
    code: str | None = None,
    register: Path | None = None,
    out: Path | None = None,
    actor: str = "operator",
    role: str = "operator",
    engine: str = "duckdb",
    spark_master: str = "local[*]",
) -> RateRun:
    """Rate every organisation the registry knows, as of today, with the chosen (or default) model, computing
    on `engine` (`duckdb`, or `spark` on `spark_master`); the stored ratings are the same either way."""
    with store.connect() as conn:
        model = resolve(conn, catalog, code)
    rated_at = clock.now()
    day = today(clock)
    data = open_tables(store, engine, register=register, current_only=True, spark_master=spark_master)
    try:
        rated = rate_entities(data, model, catalog, day=day, known_at=rated_at)
    finally:
        data.close()
    run = f"{day.isoformat()}-{uuid.uuid4().hex[:10]}"
    order = [g.grade for g in model.decl.grades]
    distribution = grade_distribution([r.grade for r in rated], order) if rated else []
    with store.unit_of_work() as conn:
        ensure_stored(conn, model, at=rated_at)
        repo.insert_ratings(
            conn,
            (
                repo.NewRating(
                    subject_pk=r.subject_pk,
                    as_of=day,
                    model_code=model.code,
                    model_version=model.version,
                    score=r.score,
                    grade=r.grade,
                    reasons=[reason_json(x) for x in r.reasons],
                    rated_at=rated_at,
                    run=run,
                )
                for r in rated
            ),
        )
        record(
            conn,
            [
                Event(
                    at=rated_at,
                    actor=actor,
                    role=role,
                    action="rate",
                    object=f"ratings:{run}",
                    detail={
                        "model": model.code,
                        "version": model.version,
                        "as_of": day.isoformat(),
                        "rated": len(rated),
                        "grades": {g.grade: g.count for g in distribution},
                    },
                )
            ],
        )
    if out is not None:  # after the commit: the file never lists ratings the registry did not keep
        _write_jsonl(out, rated, model, day)
    return RateRun(run, model.code, model.version, model.kind, day, rated_at, len(rated), distribution, out)


def rate_entities(
    data: RatingTables, model: ResolvedModel, catalog: Catalog, *, day: date, known_at: datetime | None
) -> list[Rated]:
    """Rate every organisation in `data` as of `day`, in subject order."""
    count = data.materialise(FEATURES_TABLE, model.decl, catalog, day=day, known_at=known_at)
    if count == 0:
        return []
    frame = data.query(f"SELECT * FROM {FEATURES_TABLE} ORDER BY subject_pk")
    keys = list(zip(frame["subject_pk"].tolist(), frame["subject_key"].tolist(), frame["uscc"].tolist(), strict=True))
    if model.scorecard is not None:
        scored = data.query(grade_sql(model.scorecard, model.decl, FEATURES_TABLE))
        reasons = explain_frame(model.scorecard, model.decl, frame, model.decl.reasons)
        return [
            Rated(pk, key, _uscc(uscc), float(score), str(grade), tuple(why))
            for (pk, key, uscc), score, grade, why in zip(
                keys, scored["score"].tolist(), scored["grade"].tolist(), reasons, strict=True
            )
        ]
    if model.rule is None:  # pragma: no cover - a resolved model has one or the other
        raise InvalidInput("the model has neither rules nor a scorecard", field="model")
    codes = [f.code for f in model.decl.features]
    rows = feature_rows(frame, codes)
    out = []
    for (pk, key, uscc), row in zip(keys, rows, strict=True):
        verdict = model.rule.rate(row)
        out.append(Rated(pk, key, _uscc(uscc), verdict.score, verdict.grade, verdict.reasons))
    return out


def grade_sql(card: ScorecardModel, decl: RatingModel, table: str) -> str:
    """`subject_pk, score, grade` for every row of `table`: the scorecard's SQL with the score bands."""
    whens = []
    final = None
    for band in bands(decl):
        if band.min is None:
            final = band.grade
        else:
            whens.append(f"WHEN score >= {_double(band.min)} THEN '{band.grade}'")
    case = f"CASE {' '.join(whens)} ELSE '{final}' END"
    scored = to_sql(card, table, "subject_pk")
    return f"SELECT subject_pk, score, {case} AS grade\nFROM (\n{scored}\n) scored\nORDER BY subject_pk"


def explain_frame(card: ScorecardModel, decl: RatingModel, frame: pd.DataFrame, k: int) -> list[list[Reason]]:
    """Reason codes of every row: the `k` features losing the most points, labelled from the catalog."""
    picks = top_reasons(card, frame, k)
    bins = {c.code: bin_indices(c, frame[c.code]) for c in card.features}
    best = {c.code: best_points(c) for c in card.features}
    columns = {c.code: frame[c.code].tolist() for c in card.features}
    out = []
    for row, items in enumerate(picks):
        reasons = []
        for code, lost in items:
            feature = decl.feature(code)
            value = columns[code][row]
            missing = value is None or (isinstance(value, float) and np.isnan(value))
            fields = {
                "feature": code,
                "value": "" if missing else value,
                "bin": card.feature(code).bin_label(int(bins[code][row])),
                "points": best[code] - lost,
                "best": best[code],
                "lost": lost,
            }
            zh = f"{feature.label_zh}：无记录" if missing else fill(feature.reason_zh or feature.label_zh, fields, code)
            en = (
                f"{feature.label_en}: no data" if missing else fill(feature.reason_en or feature.label_en, fields, code)
            )
            reasons.append(Reason(code=code, kind="feature", points=-lost, label_zh=zh, label_en=en))
        out.append(reasons)
    return out


def reason_json(reason: Reason) -> dict[str, Any]:
    """A reason as stored and printed: code, kind, signed points (2 decimals) and both labels."""
    return {
        "code": reason.code,
        "kind": reason.kind,
        "points": round(float(reason.points), 2),
        "label_zh": reason.label_zh,
        "label_en": reason.label_en,
    }


def jsonl_lines(rated: Sequence[Rated], model: ResolvedModel, day: date) -> Iterator[str]:
    """One JSON object per rating: uscc, grade, score (higher is safer), model, reasons, and more."""
    for r in rated:
        yield json.dumps(
            {
                "uscc": r.uscc,
                "grade": r.grade,
                "score": round(r.score, 2),
                "model": model.code,
                "reasons": [reason_json(x) for x in r.reasons],
                "version": model.version,
                "subject": r.subject_key,
                "as_of": day.isoformat(),
            },
            ensure_ascii=False,
        )


def _write_jsonl(path: Path, rated: Sequence[Rated], model: ResolvedModel, day: date) -> None:
    try:
        with path.open("w", encoding="utf-8") as f:
            for line in jsonl_lines(rated, model, day):
                f.write(line + "\n")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}", field="out") from None


def _double(value: float) -> str:
    """A DOUBLE literal in DuckDB and Spark alike (an exponent keeps Spark from reading DECIMAL)."""
    text = repr(float(value))
    return text if "e" in text else f"{text}e0"


def _uscc(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
