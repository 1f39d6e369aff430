"""The best any model can do from a company's own records: the Bayes posterior of its next year's risk.

The generator's true risk (truth/outcomes.csv) is what an oracle that knows every company's hidden effect
`u` would predict. No registry knows `u`; at the end of a year it knows the company's register entry and
its records so far. Under the generator's own model the best prediction from those is the posterior mean
E[risk next year | register entry, records], computed here by Bayes' rule on a grid of `u`, with the very
chances the simulation draws from (`xinyong.synth.events`). The simulation is re-run in-process (the same
params give the same events); nothing is read from the feeds, so linkage counts as perfect.

Evidence used, per company and year: whether a serious outcome happened, the number of minor and general
penalties, whether it missed its annual report (and whether a listing was lifted by the cut), every
inspection result, every tax grade (except M and a D forced by a major tax case, which say nothing of
`u`), procurement debarments and fines. Left out: licences and court fulfilments (drawn without regard to
risk), and the records of the company's legal representative and of the representative's other companies,
which share part of `u`; so this is the best prediction from the company's own records, and a model that
also used the representative's could in principle exceed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm

from xinyong.errors import InvalidInput
from xinyong.synth.events import (
    ABNORMAL_TOPICS,
    MEE,
    PROCUREMENT,
    SAMR,
    TAX_CUTS,
    Event,
    World,
    debarment_chance,
    inspection_chances,
    penalty_rate,
    procurement_fine_chance,
    removal_chance,
    report_miss_chance,
    serious_chance,
    simulate_year,
)
from xinyong.synth.generator import build_world
from xinyong.synth.industries import SOCIAL
from xinyong.synth.params import SynthParams
from xinyong.synth.risk import company_base_logit, logit, sigmoid

GRID = np.linspace(-6.0, 6.0, 121)  # values of the standard-normal effect u
_TINY = 1e-300


@dataclass(frozen=True)
class RecordsPosterior:
    """Per company active in `year`: its USCC, true risk and outcome that year, and the posterior mean
    risk given its register entry and its own records up to the end of the year before."""

    year: int
    ids: list[str]
    risk: np.ndarray
    label: np.ndarray
    posterior: np.ndarray


def records_posterior(params: SynthParams, year: int) -> RecordsPosterior:
    """Re-simulate the province up to `year` and compute each company's posterior risk for it."""
    if not params.first_year < year <= params.as_of.year:
        raise InvalidInput(
            f"must follow at least one simulated year and lie in {params.first_year + 1}..{params.as_of.year}",
            field="year",
        )
    world, rng = build_world(params)
    c = world.companies
    loglik = np.tile(norm.logpdf(GRID), (len(c), 1))
    cut = date(year - 1, 12, 31).toordinal()
    for past in range(params.first_year, year):
        last_major = world.last_major_tax.copy()  # as the year's tax ratings saw it
        events, truth = simulate_year(world, past, rng)
        loglik += _year_evidence(world, past, _Columns(events), truth.active, truth.frac, truth.label, last_major, cut)
    _, truth = simulate_year(world, year, rng)
    idx = np.flatnonzero(truth.active)
    lo = np.maximum(c.registered + 1, date(year, 1, 1).toordinal())
    risk_grid = sigmoid(company_base_logit(c, params.risk, lo)[idx, None] + params.risk.org_spread * GRID)
    weights = np.exp(loglik[idx] - logsumexp(loglik[idx], axis=1, keepdims=True))
    return RecordsPosterior(
        year=year,
        ids=[c.ids[i] for i in idx.tolist()],
        risk=truth.risk[idx],
        label=truth.label[idx].astype(np.int64),
        posterior=(weights * risk_grid).sum(axis=1),
    )


class _Columns:
    """The organisations' events of one year as column arrays."""

    def __init__(self, events: list[Event]) -> None:
        org = [e for e in events if not e.person]
        self.day = np.array([e.day for e in org], dtype=np.int64)
        self.agency = np.array([e.agency for e in org], dtype=np.int64)
        self.rtype = np.array([e.rtype for e in org], dtype=object)
        self.subject = np.array([e.subject for e in org], dtype=np.int64)
        self.severity = np.array([e.severity for e in org], dtype=object)
        self.grade = np.array([e.grade for e in org], dtype=object)
        self.result = np.array([e.result for e in org], dtype=object)
        self.topic = np.array([e.topic for e in org], dtype=np.int64)
        self.ends = np.array([e.ends for e in org], dtype=np.int64)


def _year_evidence(
    world: World,
    year: int,
    ev_: _Columns,
    active: np.ndarray,
    frac: np.ndarray,
    label: np.ndarray,
    last_major: np.ndarray,
    cut: int,
) -> np.ndarray:
    """One year's log-likelihood of each company's records as a function of its `u` (rows: companies)."""
    params, c = world.params, world.companies
    ev = params.events
    n = len(c)
    lo = np.maximum(c.registered + 1, date(year, 1, 1).toordinal())
    risk = sigmoid(company_base_logit(c, params.risk, lo)[:, None] + params.risk.org_spread * GRID)
    f = frac[:, None]
    ll = np.zeros_like(risk)

    p = serious_chance(risk, f)
    ll += np.where(label[:, None], np.log(np.maximum(p, _TINY)), np.log1p(-np.minimum(p, 1.0 - 1e-16)))

    is_penalty = ev_.rtype == "admin.penalty"
    routine = is_penalty & np.isin(ev_.severity, ("minor", "general")) & (ev_.agency != PROCUREMENT)
    count = np.bincount(ev_.subject[routine], minlength=n)[:, None]
    lam = penalty_rate(ev, risk, np.maximum(f, 1e-12), (c.kind >= SOCIAL)[:, None])
    ll += np.where(active[:, None], count * np.log(lam) - lam, 0.0)

    for happened, chance in (
        (ev_.rtype == "procurement.debarment", debarment_chance(ev, risk, f)),
        (is_penalty & (ev_.agency == PROCUREMENT), procurement_fine_chance(ev, risk, f)),
    ):
        flag = (np.bincount(ev_.subject[happened], minlength=n) > 0)[:, None]
        term = np.where(flag, np.log(np.maximum(chance, _TINY)), np.log1p(-chance))
        ll += np.where((c.bidder & active)[:, None], term, 0.0)

    # Annual reports: every market entity registered before the year was due.
    listing = ev_.rtype == "market.abnormal_operations"
    missed = np.bincount(ev_.subject[listing & (ev_.topic == ABNORMAL_TOPICS["annual_report"])], minlength=n) > 0
    due = (c.kind < SOCIAL) & (c.registered < date(year, 1, 1).toordinal()) & active
    miss = report_miss_chance(params, risk)
    ll += np.where(due[:, None], np.where(missed[:, None], np.log(miss), np.log1p(-miss)), 0.0)
    # Whether each listing was lifted by the cut: removal_chance times P(delay < days since the listing).
    seen = listing & (ev_.day <= cut)
    rows = ev_.subject[seen]
    q = removal_chance(params, risk[rows]) * (1.0 - np.exp(-(cut - ev_.day[seen]) / ev.abnormal_removal_days))[:, None]
    lifted = ((ev_.ends[seen] > 0) & (ev_.ends[seen] <= cut))[:, None]
    np.add.at(ll, rows, np.where(lifted, np.log(np.maximum(q, _TINY)), np.log1p(-q)))

    checked = ev_.rtype == "inspection.result"
    for site_visit, agencies in ((False, (SAMR,)), (True, (MEE, PROCUREMENT))):
        pick = checked & np.isin(ev_.agency, agencies)
        rows = ev_.subject[pick]
        located, bad = inspection_chances(ev, risk[rows], site_visit)
        result = ev_.result[pick][:, None]
        chance = np.where(result == "not_located", located, np.where(result == "non_compliant", bad, 1 - located - bad))
        np.add.at(ll, rows, np.log(np.maximum(chance, _TINY)))

    # Tax grades: the score is -logit(risk) plus normal noise, cut at TAX_CUTS. M says nothing of u, nor
    # does a D given for a major tax case in the two years before the rating.
    rated = ev_.rtype == "tax.rating"
    majors = ev_.rtype == "tax.major_violation"
    major_day = last_major.copy()
    this_year = np.zeros(n, dtype=np.int64)
    this_year[ev_.subject[majors]] = ev_.day[majors]
    for grade, (low, high) in TAX_CUTS.items():
        pick = rated & (ev_.grade == grade)
        rows, day = ev_.subject[pick], ev_.day[pick]
        if grade == "D":
            last = np.where((this_year[rows] > 0) & (this_year[rows] < day), this_year[rows], major_day[rows])
            keep = ~(last > day - 730)
            rows = rows[keep]
        z = -logit(risk[rows])  # the score before its noise
        chance = norm.cdf((high - z) / ev.tax_rating_noise) - norm.cdf((low - z) / ev.tax_rating_noise)
        np.add.at(ll, rows, np.log(np.maximum(chance, _TINY)))
    return ll
