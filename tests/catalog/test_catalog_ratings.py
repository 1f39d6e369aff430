"""ratings.yaml: the shipped rating models load and hold together, and a broken one names file, entry and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.catalog import load_catalog
from xinyong.catalog.model import RatingModel
from xinyong.errors import CatalogError
from xinyong.rating.models import rule_scorecard

CATALOG = load_catalog()


def test_the_shipped_models_are_a_rule_and_a_statistical_scorecard() -> None:
    models = CATALOG.rating_models
    assert {code: m.kind for code, m in models.items()} == {"tax_style": "rule", "risk_scorecard": "statistical"}
    tax = models["tax_style"]
    assert [(g.grade, g.min) for g in tax.grades if not g.assigned_only] == [
        ("A", 90),
        ("B", 70),
        ("C", 40),
        ("D", None),
    ]
    assert [g.grade for g in tax.grades if g.assigned_only] == ["M"]
    card = rule_scorecard(tax)  # the rule section is a valid scorecard over declared features
    assigned = {o.code: o.grade for o in card.overrides if o.mode == "assign"}
    assert assigned == {"serious_dishonesty": "D", "tax_major_violation": "D", "new_entity": "M"}
    stat = models["risk_scorecard"]
    assert stat.outcome is not None
    assert stat.outcome.months == 12
    assert all(f.reason_zh and f.reason_en for f in stat.features)


@pytest.mark.parametrize("code", ["tax_style", "risk_scorecard"])
def test_d_is_inspected_more_often_than_a_and_no_grade_is_exempt(code: str) -> None:
    model = CATALOG.rating_models[code]
    weight = {g.grade: g.inspection_weight for g in model.grades}
    assert weight["D"] > weight["C"] > weight["B"] > weight["A"] > 0
    assert {g.grade for g in model.grades if g.adverse} == {"C", "D"}


def write(folder: Path, entries: list[dict[str, Any]]) -> None:
    (folder / "ratings.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")


def extra_model(**changes: Any) -> dict[str, Any]:
    base = CATALOG.rating_models["tax_style"].model_dump(mode="json")
    base.update(code="local_rule", version="1", **changes)
    return base


def test_a_deployment_may_add_a_model(tmp_path: Path) -> None:
    write(tmp_path, [extra_model()])
    added = load_catalog(tmp_path).rating_models["local_rule"]
    assert isinstance(added, RatingModel)
    assert added.kind == "rule"


def test_an_unknown_record_type_names_file_entry_and_field(tmp_path: Path) -> None:
    broken = extra_model()
    broken["features"][0]["record_types"] = ["admin.penaltyy"]
    write(tmp_path, [broken])
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    error = caught.value
    assert error.file.endswith("ratings.yaml")
    assert (error.entry, error.catalog_field) == ("local_rule", "features[0].record_types[0]")
    assert "unknown record type 'admin.penaltyy'" in error.one_line()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"kind": "statistical"}, "needs an outcome"),
        ({"grades": [{"grade": "A", "label_zh": "A", "label_en": "A", "inspection_weight": 1}]}, "at least 2"),
        ({"rule": None}, "needs a rule section"),
    ],
)
def test_incoherent_models_are_refused(tmp_path: Path, changes: dict[str, Any], reason: str) -> None:
    write(tmp_path, [extra_model(**changes)])
    with pytest.raises(CatalogError, match=reason):
        load_catalog(tmp_path)


def test_a_feature_declares_what_its_aggregation_needs(tmp_path: Path) -> None:
    broken = extra_model()
    broken["features"][0] = {
        "code": "x",
        "agg": "latest",
        "record_types": ["tax.rating"],
        "label_zh": "x",
        "label_en": "x",
    }
    write(tmp_path, [broken])
    with pytest.raises(CatalogError, match="value_of") as caught:
        load_catalog(tmp_path)
    assert caught.value.catalog_field == "features[0]"
