"""Rating runs: every organisation and never a person, the rule model's grades and reasons, stored and audited."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from rating_samples import registry

from xinyong.catalog import default_catalog
from xinyong.catalog.model import Catalog
from xinyong.clock import FixedClock
from xinyong.errors import Conflict, NotFound
from xinyong.rating import rate_all
from xinyong.store import Store, audit_rows
from xinyong.store import ratings as repo

pytestmark = pytest.mark.integration


def test_rate_rates_every_organisation_and_never_a_person(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    pks = registry(store)
    out = tmp_path / "ratings.jsonl"
    run = rate_all(store, default_catalog(), clock, code="tax_style", out=out)
    assert run.rated == 4
    assert run.as_of == date(2025, 6, 1)
    with store.connect() as conn:
        stored = repo.run_ratings(conn, run.run)
        events = audit_rows.for_object(conn, f"ratings:{run.run}")
    assert sorted(r.subject_pk for r in stored) == sorted(pks[k] for k in ("clean", "listed", "fined", "young"))
    assert pks["person"] not in {r.subject_pk for r in stored}
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 4
    assert all({"uscc", "grade", "score", "model", "reasons"} <= set(line) for line in lines)
    assert all(line["uscc"].startswith("9") and line["model"] == "tax_style" for line in lines)
    assert [e.action for e in events] == ["rate"]
    assert events[0].detail["rated"] == 4
    assert events[0].detail["grades"] == {g.grade: g.count for g in run.distribution}


def test_rule_model_grades_overrides_and_reasons(store: Store, clock: FixedClock) -> None:
    pks = registry(store)
    run = rate_all(store, default_catalog(), clock, code="tax_style")
    with store.connect() as conn:
        by_pk = {r.subject_pk: r for r in repo.run_ratings(conn, run.run)}
    assert (by_pk[pks["clean"]].grade, by_pk[pks["clean"]].score, by_pk[pks["clean"]].reasons) == ("A", 100.0, ())
    listed = by_pk[pks["listed"]]
    assert listed.grade == "D"  # direct D, whatever the score
    assert listed.reasons[0]["code"] == "serious_dishonesty"
    assert listed.reasons[0]["kind"] == "override"
    fined = by_pk[pks["fined"]]
    assert (fined.grade, fined.score) == ("B", 88.0)
    assert fined.reasons == (
        {
            "code": "general_penalty",
            "kind": "deduction",
            "points": -12.0,
            "label_zh": "近12个月一般行政处罚 2 次",
            "label_en": "2 general administrative penalties in 12 months",
        },
    )
    young = by_pk[pks["young"]]
    assert (young.grade, young.reasons[0]["code"]) == ("M", "new_entity")
    assert run.version == default_catalog().rating_models["tax_style"].version
    assert {g.grade: g.count for g in run.distribution} == {"A": 1, "B": 1, "M": 1, "C": 0, "D": 1}


def test_a_rule_version_is_stored_once_and_cannot_change_meaning(store: Store, clock: FixedClock) -> None:
    registry(store)
    catalog = default_catalog()
    rate_all(store, catalog, clock, code="tax_style")
    rate_all(store, catalog, clock, code="tax_style")
    with store.connect() as conn:
        versions = repo.model_versions(conn, "tax_style")
    assert [(v.kind, v.version) for v in versions] == [("rule", catalog.rating_models["tax_style"].version)]
    decl = catalog.rating_models["tax_style"]
    changed = decl.model_copy(update={"rule": {**dict(decl.rule or {}), "start": 95}})
    edited = Catalog.model_validate(
        {**{k: dict(getattr(catalog, k)) for k in Catalog.model_fields}, "rating_models": {"tax_style": changed}}
    )
    with pytest.raises(Conflict, match="new version"):
        rate_all(store, edited, clock, code="tax_style")


def test_default_model_is_the_rule_model_until_one_is_trained(store: Store, clock: FixedClock) -> None:
    registry(store)
    assert rate_all(store, default_catalog(), clock).model == "tax_style"
    with pytest.raises(NotFound, match="model train"):
        rate_all(store, default_catalog(), clock, code="risk_scorecard")


def test_an_empty_registry_rates_no_one(store: Store, clock: FixedClock) -> None:
    run = rate_all(store, default_catalog(), clock, code="tax_style")
    assert (run.rated, run.distribution) == (0, [])
