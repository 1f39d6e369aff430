"""Training with a time-based split, rating with the trained version in SQL, and the model report."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from rating_samples import risky_registry

from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.errors import InvalidInput
from xinyong.rating import (
    assemble,
    evaluate_model,
    rate_all,
    resolve,
    score_snapshot,
    snapshot_days,
    train,
    write_report,
)
from xinyong.store import Store, audit_rows
from xinyong.store import ratings as repo

pytestmark = pytest.mark.integration


def test_snapshots_are_a_year_apart_and_fully_observed() -> None:
    assert snapshot_days(date(2025, 6, 1), 3, 12) == [date(2022, 6, 1), date(2023, 6, 1), date(2024, 6, 1)]
    with pytest.raises(InvalidInput, match="two snapshots"):
        snapshot_days(date(2025, 6, 1), 1, 12)


def test_train_rate_and_report(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    risky_registry(store, orgs=400)
    catalog = default_catalog()
    result = train(store, catalog, clock, history="legal")
    assert (result.code, result.version) == ("risk_scorecard", "2.1")
    metrics = result.metrics
    assert [s["day"] for s in metrics["snapshots"]] == ["2022-06-01", "2023-06-01", "2024-06-01"]
    assert metrics["test"]["day"] == "2024-06-01"
    assert metrics["test"]["auc"] > 0.65  # the registry's records carry the latent risk
    assert all(metrics["monotonic"].values())
    assert all(metrics["signs"].values())
    assert len(metrics["psi"]) == 2
    assert 0 < metrics["test"]["brier"] < 0.25
    with store.connect() as conn:
        stored = repo.get_model(conn, "risk_scorecard")
        events = audit_rows.for_object(conn, "model:risk_scorecard@2.1")
    assert stored is not None
    assert stored.kind == "statistical"
    assert stored.version == "2.1"
    assert [e.action for e in events] == ["model.train"]
    assert events[0].detail["history"] == "legal"

    # Rating now uses the trained version, scored in SQL; NumPy on the same features agrees exactly.
    run = rate_all(store, catalog, clock)
    assert (run.model, run.version, run.kind) == ("risk_scorecard", "2.1", "statistical")
    with store.connect() as conn:
        ratings = {r.subject_pk: r for r in repo.run_ratings(conn, run.run)}
        model = resolve(conn, catalog, None)
    data = assemble(store, current_only=True)
    try:
        frame = data.features(model.decl, catalog, day=run.as_of, known_at=run.rated_at)
    finally:
        data.close()
    numpy = score_snapshot(model, frame)
    sql_scores = np.asarray([ratings[pk].score for pk in frame["subject_pk"]])
    assert np.max(np.abs(sql_scores - numpy.score)) < 1e-9
    assert [ratings[pk].grade for pk in frame["subject_pk"]] == numpy.grade
    adverse = [r for r in ratings.values() if r.grade in ("C", "D")]
    assert adverse
    assert all(r.reasons for r in adverse)
    for r in adverse:
        points = [x["points"] for x in r.reasons]
        assert points == sorted(points)
        assert all(p < 0 for p in points)
        assert len(r.reasons) <= model.decl.reasons

    files = write_report(tmp_path, metrics, catalog.rating_models["risk_scorecard"])
    page = files.html.read_text(encoding="utf-8")
    assert files.folder == tmp_path / "reports" / "model-risk_scorecard-2.1"
    assert page.count("<h1>") == 1
    assert re.search(r"<title>[^<]+</title>", page)
    assert "AUC" in page
    assert "Fairness" in page
    assert json.loads(files.json.read_text(encoding="utf-8")) == metrics
    assert {p.name for p in files.images} >= {"roc.png", "calibration.png", "grades.png", "stability.png"}
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in files.images)

    assert train(store, catalog, clock, history="legal").version == "2.2"


def test_system_history_refuses_a_registry_loaded_after_the_fact(store: Store, clock: FixedClock) -> None:
    risky_registry(store, orgs=40)  # every version recorded in January 2025, after the snapshot days
    with pytest.raises(InvalidInput, match="--history legal"):
        train(store, default_catalog(), clock, history="system")


def test_rule_model_evaluated_on_the_same_snapshots(store: Store, clock: FixedClock) -> None:
    risky_registry(store, orgs=150)
    metrics = evaluate_model(store, default_catalog(), clock, code="tax_style", history="legal")
    assert (metrics["model"], metrics["kind"]) == ("tax_style", "rule")
    assert metrics["test"]["auc"] > 0.5
    assert "brier" not in metrics["test"]  # a rule score is not a probability
    assert [g["grade"] for g in metrics["test"]["grades"]] == ["A", "B", "M", "C", "D"]
    assert metrics["fairness"]["district"]["available"] is True
    assert metrics["fairness"]["industry"] == {"available": False}
