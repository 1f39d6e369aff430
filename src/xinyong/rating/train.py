"""Training a statistical rating model with a time-based split, and evaluating any model the same way.

Snapshots are taken a year apart (the outcome window) back from today, oldest first, so that every
snapshot's outcome window has been fully observed: features as of day D, outcome in (D, D + 12 months].
The model is fitted on every snapshot but the last and tested on the last, which lies wholly after the
training data in time. With `history="system"` a snapshot sees only the versions the registry had
recorded by the end of its day; `history="legal"` uses today's versions dated by legal time, for a
registry whose history was loaded after the fact (corrections then reach back; later fulfilments do not,
as they carry their own end date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from xinyong.catalog.model import Catalog, RatingModel
from xinyong.clock import Clock, today
from xinyong.dates import add_months
from xinyong.errors import InvalidInput
from xinyong.rating.assemble import RatingData, assemble
from xinyong.rating.evaluation import Snapshot, evaluate
from xinyong.rating.features import end_of_day
from xinyong.rating.models import ResolvedModel, declared, definition, next_version, resolve
from xinyong.scoring import BinningOptions, Scaling, ScorecardModel, fit_scorecard
from xinyong.store import Store
from xinyong.store import ratings as repo
from xinyong.store.audit_rows import Event, record

History = Literal["system", "legal"]
HISTORIES: tuple[History, ...] = ("system", "legal")


@dataclass(frozen=True)
class TrainResult:
    """A trained and stored model version and what it measured on the held-out snapshot."""

    code: str
    version: str
    trained_at: datetime
    metrics: dict[str, Any]


def snapshot_days(day: date, count: int, months: int) -> list[date]:
    """`count` days `months` apart, the latest `months` before `day`, oldest first."""
    if count < 2:
        raise InvalidInput("a time-based split needs at least two snapshots", field="snapshots")
    return [add_months(day, -months * k) for k in range(count, 0, -1)]


def cut(day: date, history: History) -> datetime | None:
    """The system-time cut of a snapshot: the end of its day, or None to read today's versions."""
    if history not in HISTORIES:
        raise InvalidInput(f"history must be one of {HISTORIES}, got {history!r}", field="history")
    return end_of_day(day) if history == "system" else None


def take_snapshots(
    data: RatingData, decl: RatingModel, catalog: Catalog, days: Sequence[date], history: History
) -> list[Snapshot]:
    """Features and outcomes of every organisation the registry knew on each day."""
    if decl.outcome is None:
        raise InvalidInput(f"model {decl.code!r} declares no outcome to evaluate against", field="model")
    out = []
    for day in days:
        frame = data.features(decl, catalog, day=day, known_at=cut(day, history))
        bad = data.outcomes(decl.outcome, frame["subject_pk"].tolist(), day=day)
        out.append(Snapshot(day=day, frame=frame, bad=bad, groups=data.groups(frame)))
    return out


def fit(decl: RatingModel, train: Sequence[Snapshot], version: str) -> ScorecardModel:
    """Fit the declared statistical scorecard on the training snapshots, pooled."""
    if decl.scaling is None:
        raise InvalidInput(f"model {decl.code!r} is not a statistical model", field="model")
    codes = [f.code for f in decl.features]
    frame = pd.concat([s.frame[codes] for s in train], ignore_index=True)
    for f in decl.features:
        if f.categorical:
            # Text categories with None for missing, whatever dtype DuckDB handed back.
            frame[f.code] = frame[f.code].astype(object).where(frame[f.code].notna(), None)
    y = np.concatenate([s.bad for s in train])
    return fit_scorecard(
        frame,
        y,
        version=version,
        categorical=[f.code for f in decl.features if f.categorical],
        directions={f.code: f.direction for f in decl.features if f.direction is not None},
        scaling=Scaling(decl.scaling.base_score, decl.scaling.base_odds, decl.scaling.pdo),
        min_iv=decl.min_iv,
        binning=BinningOptions(min_prebin_size=decl.min_bin_share),
    )


def train(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    *,
    code: str | None = None,
    history: History = "system",
    register: Path | None = None,
    actor: str = "operator",
    role: str = "operator",
) -> TrainResult:
    """Fit a statistical model on the registry's past, test it on the latest year, store the version."""
    decl = _statistical(catalog, code)
    assert decl.outcome is not None  # checked by _statistical
    days = snapshot_days(today(clock), decl.snapshots, decl.outcome.months)
    data = assemble(store, register=register, current_only=history == "legal")
    try:
        snapshots = take_snapshots(data, decl, catalog, days, history)
    finally:
        data.close()
    _check_trainable(snapshots, history)
    model = fit(decl, snapshots[:-1], version="pending")
    trained_at = clock.now()
    with store.unit_of_work() as conn:
        version = next_version(conn, decl)
        model = replace(model, version=version)
        metrics = evaluate(ResolvedModel(decl=decl, version=version, scorecard=model), snapshots)
        metrics["history"] = history
        metrics["register"] = register is not None
        repo.save_model(
            conn,
            code=decl.code,
            version=version,
            kind="statistical",
            definition=definition(decl, model, history=history, snapshots=[d.isoformat() for d in days]),
            trained_at=trained_at,
            metrics=metrics,
        )
        test = metrics["test"]
        record(
            conn,
            [
                Event(
                    at=trained_at,
                    actor=actor,
                    role=role,
                    action="model.train",
                    object=f"model:{decl.code}@{version}",
                    detail={
                        "history": history,
                        "snapshots": [d.isoformat() for d in days],
                        "features": [c.code for c in model.features],
                        "excluded": sorted(model.excluded),
                        "test_auc": _text(test.get("auc")),
                        "test_ks": _text(test.get("ks")),
                        "test_entities": int(test["entities"]),
                    },
                )
            ],
        )
    return TrainResult(code=decl.code, version=version, trained_at=trained_at, metrics=metrics)


def evaluate_model(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    *,
    code: str | None = None,
    version: str | None = None,
    history: History = "system",
    register: Path | None = None,
) -> dict[str, Any]:
    """Measure a model on the registry's snapshots now: a stored statistical version as trained (its
    stored metrics), a rule model freshly on every snapshot, against the statistical outcome."""
    with store.connect() as conn:
        if version is not None and code is not None:
            row = repo.get_model(conn, code, version)
            if row is None:
                raise InvalidInput(f"model {code!r} has no stored version {version!r}", field="version")
            if row.kind == "statistical":
                return dict(row.metrics)
        model = resolve(conn, catalog, code)
        if model.scorecard is not None:
            stored = repo.get_model(conn, model.code, model.version)
            if stored is not None and stored.metrics:
                return dict(stored.metrics)
    outcome_model = next((d for d in catalog.rating_models.values() if d.outcome is not None), None)
    if outcome_model is None or outcome_model.outcome is None:
        raise InvalidInput("no model declares an outcome to evaluate against", field="model")
    days = snapshot_days(today(clock), outcome_model.snapshots, outcome_model.outcome.months)
    data = assemble(store, register=register, current_only=history == "legal")
    try:
        snapshots = []
        for day in days:
            frame = data.features(model.decl, catalog, day=day, known_at=cut(day, history))
            bad = data.outcomes(outcome_model.outcome, frame["subject_pk"].tolist(), day=day)
            snapshots.append(Snapshot(day=day, frame=frame, bad=bad, groups=data.groups(frame)))
    finally:
        data.close()
    if not all(len(s.bad) for s in snapshots):
        raise InvalidInput(_empty_hint(history), field="history")
    metrics = evaluate(model, snapshots)
    metrics["history"] = history
    metrics["register"] = register is not None
    return metrics


def _statistical(catalog: Catalog, code: str | None) -> RatingModel:
    if code is None:
        found = next((d for d in catalog.rating_models.values() if d.kind == "statistical"), None)
        if found is None:
            raise InvalidInput("the catalog declares no statistical rating model", field="model")
        return found
    decl = declared(catalog, code)
    if decl.kind != "statistical" or decl.outcome is None:
        raise InvalidInput(f"model {code!r} is a rule model: only statistical models are trained", field="model")
    return decl


def _check_trainable(snapshots: Sequence[Snapshot], history: History) -> None:
    for snap in snapshots:
        if len(snap.bad) == 0:
            raise InvalidInput(
                f"no organisation has a record known on {snap.day}: {_empty_hint(history)}", field="history"
            )
    train_bad = np.concatenate([s.bad for s in snapshots[:-1]])
    for name, bad in (("training", train_bad), ("test", snapshots[-1].bad)):
        if bad.min() == bad.max():
            raise InvalidInput(
                f"the {name} snapshots have only {'bad' if bad.min() else 'good'} outcomes; more history is needed",
                field="snapshots",
            )


def _empty_hint(history: History) -> str:
    if history == "system":
        return "the registry recorded nothing that early; if its history was loaded after the fact use --history legal"
    return "the registry holds no records that early"


def _text(value: float | None) -> str | None:
    return None if value is None else f"{value:.6f}"
