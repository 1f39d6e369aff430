"""SynthParams: sizes and rates are validated with the field named, presets exist, docs/synth.md lists every knob."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import pytest

from xinyong.errors import InvalidInput
from xinyong.synth import EventRates, NoiseRates, PopulationParams, RiskParams, SynthParams, preset

DOCS = Path(__file__).resolve().parents[2] / "docs" / "synth.md"


def test_default_is_the_small_province() -> None:
    params = SynthParams()
    assert (params.orgs, params.persons, params.years, params.as_of) == (2_000, 3_000, 3, date(2026, 6, 30))
    assert params.first_year == 2024


def test_presets_grow() -> None:
    sizes = [(p.orgs, p.persons) for p in (preset("small"), preset("medium"), preset("large"))]
    assert sizes == [(2_000, 3_000), (20_000, 30_000), (200_000, 300_000)]
    assert preset("small", seed=7).seed == 7


def test_unknown_preset_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        preset("huge")
    assert caught.value.field == "size"
    assert "small, medium, large" in caught.value.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"orgs": 0}, "orgs"),
        ({"persons": -1}, "persons"),
        ({"years": 51}, "years"),
        ({"seed": -3}, "seed"),
        ({"as_of": date(1991, 1, 1), "years": 5}, "as_of"),
        ({"noise": NoiseRates(missing_id=1.5)}, "missing_id"),
        ({"noise": NoiseRates(future_min_days=0)}, "future_min_days"),
        ({"events": EventRates(penalty_risk=-0.1)}, "penalty_risk"),
        ({"population": PopulationParams(hukou_share=-0.2)}, "hukou_share"),
    ],
)
def test_bad_values_raise_with_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        replace(SynthParams(), **changes)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_logit_may_be_negative() -> None:
    assert SynthParams(risk=RiskParams(org_base_logit=-6.0)).risk.org_base_logit == -6.0


def test_with_sizes_keeps_the_rates() -> None:
    params = SynthParams(noise=NoiseRates(typo_id=0.1)).with_sizes(orgs=10, seed=5)
    assert (params.orgs, params.persons, params.seed, params.noise.typo_id) == (10, 3_000, 5, 0.1)


def _shown(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


@pytest.mark.parametrize("group", [SynthParams(), PopulationParams(), RiskParams(), EventRates(), NoiseRates()])
def test_docs_table_lists_every_parameter_with_its_default(group: object) -> None:
    text = DOCS.read_text(encoding="utf-8")
    for f in fields(group):  # type: ignore[arg-type]
        value = getattr(group, f.name)
        if hasattr(value, "__dataclass_fields__"):  # a nested group: documented in its own table
            assert f"`{f.name}`" in text, f.name
            continue
        pattern = rf"\|\s*`{re.escape(f.name)}`\s*\|\s*{re.escape(_shown(value))}\s*\|"
        assert re.search(pattern, text), f"docs/synth.md has no row | `{f.name}` | {_shown(value)} |"
