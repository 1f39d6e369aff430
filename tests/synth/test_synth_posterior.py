"""The records ceiling: the Bayes posterior of each company's risk re-simulates the very province
the generator wrote, and ranks outcomes between the register alone and the oracle's true risk."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from synth_feeds import Province, read_csv

from xinyong.errors import InvalidInput
from xinyong.scoring import auc
from xinyong.synth import SynthParams
from xinyong.synth.events import removal_chance, report_miss_chance
from xinyong.synth.generator import build_world
from xinyong.synth.posterior import records_posterior
from xinyong.synth.risk import company_base_logit, sigmoid


def test_the_resimulation_matches_the_written_truth(province: Province) -> None:
    got = records_posterior(province.params, 2025)
    truth = {
        r["uscc"]: (float(r["risk"]), int(r["label"]))
        for r in read_csv(province.out / "truth" / "outcomes.csv")
        if r["year"] == "2025"
    }
    assert set(got.ids) == set(truth)
    for uscc, risk, label in zip(got.ids, got.risk.tolist(), got.label.tolist(), strict=True):
        assert (round(risk, 6), label) == (round(truth[uscc][0], 6), truth[uscc][1])
    assert ((got.posterior > 0) & (got.posterior < 1)).all()


def test_the_posterior_ranks_between_the_register_and_the_oracle() -> None:
    params = SynthParams(orgs=20_000, persons=20_000, years=4, as_of=date(2026, 12, 31))
    got = records_posterior(params, 2026)
    world, _ = build_world(params)
    c = world.companies
    index = {u: i for i, u in enumerate(c.ids)}
    rows = np.array([index[u] for u in got.ids])
    register_only = company_base_logit(c, params.risk, np.full(len(c), date(2026, 1, 1).toordinal()))[rows]
    oracle, posterior, register = (auc(got.label, x) for x in (got.risk, got.posterior, register_only))
    assert register + 0.05 < posterior < oracle
    # The posterior is calibrated: its mean is the outcome rate within sampling error.
    assert abs(got.posterior.mean() - got.label.mean()) < 4 * np.sqrt(got.label.mean() / len(got.label))


def test_a_typical_firm_gets_the_declared_chances() -> None:
    params = SynthParams()
    typical = sigmoid(np.array([params.risk.org_base_logit]))
    assert report_miss_chance(params, typical)[0] == pytest.approx(params.events.annual_report_miss)
    assert removal_chance(params, typical)[0] == pytest.approx(params.events.abnormal_removal)
    riskier = sigmoid(np.array([params.risk.org_base_logit + 1.0]))
    odds = report_miss_chance(params, riskier)[0] / (1 - report_miss_chance(params, riskier)[0])
    assert odds == pytest.approx(np.e * 0.08 / 0.92)
    calmer = replace(params, events=replace(params.events, annual_report_risk=0.0))
    assert report_miss_chance(calmer, riskier)[0] == pytest.approx(0.08)


@pytest.mark.parametrize("year", [2024, 2027])
def test_the_year_must_follow_a_simulated_year(year: int) -> None:
    with pytest.raises(InvalidInput, match="year"):
        records_posterior(SynthParams(), year)
