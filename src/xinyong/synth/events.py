"""What happens to each company and person in one simulated year, drawn in bulk from their latent risk.

A serious outcome (the label in truth/outcomes.csv) happens with the subject's annual risk and takes
one of four forms: a serious penalty, a court enforcement case, the serious-illegal list or a major tax
case. Routine records (minor and general penalties, licences, missed annual reports and other
abnormal-operations listings, spot checks, every enterprise's tax rating, procurement sanctions) follow
their own rates, which also rise with risk; each chance is defined once below, for the simulation and for
the records posterior (`xinyong.synth.posterior`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from xinyong.synth.companies import Companies
from xinyong.synth.industries import COOPERATIVE, ENTERPRISE, INDUSTRIES, SOCIAL
from xinyong.synth.params import EventRates, SynthParams
from xinyong.synth.people import People
from xinyong.synth.risk import company_logit, logit, person_logit, sigmoid

AGENCIES = ("court.110105", "samr.110000", "tax.110000", "mee.110000", "procurement.110000")
COURT, SAMR, TAX, MEE, PROCUREMENT = range(5)
_POLLUTING = np.array([ind.polluting for ind in INDUSTRIES])
_LICENCE = np.array([ind.licence for ind in INDUSTRIES])


class Event(NamedTuple):
    """One decision an agency takes about one subject; `ends` is the day it is fulfilled or lifted, or 0."""

    day: int
    agency: int
    rtype: str
    person: bool
    subject: int
    severity: str
    amount: float  # 0.0 when the record carries no sum
    grade: str
    result: str
    case: int  # court case number within its year, 0 when not a court record
    topic: int  # which of the record type's summaries
    ends: int


@dataclass
class World:
    """The population and what the simulation remembers between years."""

    params: SynthParams
    people: People
    companies: Companies
    last_major_tax: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.last_major_tax = np.zeros(len(self.companies), dtype=np.int64)


@dataclass(frozen=True)
class YearTruth:
    """Per company: whether it existed this year, its annual risk and whether a serious outcome happened."""

    year: int
    start: date
    end: date
    active: np.ndarray
    frac: np.ndarray  # the share of the year it existed (0 when not active)
    risk: np.ndarray
    label: np.ndarray


class _Batch:
    """Collects events column-wise from arrays or scalars, then yields them as Event tuples."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.events: list[Event] = []

    def add(self, day: np.ndarray, agency: Any, rtype: Any, subject: np.ndarray, **cols: Any) -> None:
        n = len(day)
        if n == 0:
            return

        def col(value: Any) -> Any:
            return value.tolist() if isinstance(value, np.ndarray) else repeat(value, n)

        self.events.extend(
            Event(*row)
            for row in zip(
                day.tolist(),
                col(agency),
                col(rtype),
                col(cols.get("person", False)),
                subject.tolist(),
                col(cols.get("severity", "")),
                col(cols.get("amount", 0.0)),
                col(cols.get("grade", "")),
                col(cols.get("result", "")),
                col(cols.get("case", 0)),
                col(cols["topic"]) if "topic" in cols else self.rng.integers(0, 1000, size=n).tolist(),
                col(cols.get("ends", 0)),
                strict=False,  # scalar columns are endless repeats
            )
        )


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray | int) -> np.ndarray:
    out: np.ndarray = lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)
    return out


def _money(rng: np.random.Generator, median: float, sd: float, unit: float, n: int) -> np.ndarray:
    raw = median * np.exp(sd * rng.standard_normal(n))
    return np.maximum(np.rint(raw / unit), 1.0) * unit


# The chance of each kind of record given a company's annual risk `risk` (any shape: the posterior in
# xinyong.synth.posterior evaluates them on a grid of risks per company). The simulation draws from these
# and only these, so the posterior's likelihood is the generator's own.

ABNORMAL_TOPICS = {"annual_report": 0, "not_located": 1}  # index into the listing's summaries (its reason)
TAX_CUTS = {"A": (5.4, np.inf), "B": (2.4, 5.4), "C": (1.6, 2.4), "D": (-np.inf, 1.6)}  # on the score scale
SOCIAL_PENALTY_FACTOR = 0.3  # civil-affairs organisations draw fewer routine penalties
SITE_VISIT_LOCATED = 5.0  # plants and suppliers checked on site are rarely missing from their address


def serious_chance(risk: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """A serious outcome in the part `frac` of a year the company existed."""
    out: np.ndarray = 1.0 - (1.0 - risk) ** frac
    return out


def penalty_rate(ev: EventRates, risk: np.ndarray, frac: np.ndarray, social: np.ndarray) -> np.ndarray:
    """Expected minor and general penalties in the part `frac` of a year (Poisson)."""
    out: np.ndarray = frac * (ev.penalty_base + ev.penalty_risk * risk) * np.where(social, SOCIAL_PENALTY_FACTOR, 1.0)
    return out


def report_miss_chance(params: SynthParams, risk: np.ndarray) -> np.ndarray:
    """Missing the annual report's deadline: `annual_report_miss` for a typical firm, the odds times
    e^annual_report_risk per unit of risk logit above a typical firm's."""
    ev = params.events
    return _shifted(ev.annual_report_miss, ev.annual_report_risk * (logit(risk) - params.risk.org_base_logit))


def removal_chance(params: SynthParams, risk: np.ndarray) -> np.ndarray:
    """An abnormal-operations listing being lifted some day; riskier firms (dormant, gone) less often."""
    ev = params.events
    return _shifted(ev.abnormal_removal, -ev.abnormal_removal_risk * (logit(risk) - params.risk.org_base_logit))


def inspection_chances(ev: EventRates, risk: np.ndarray, site_visit: bool) -> tuple[np.ndarray, np.ndarray]:
    """The chances an inspection finds the firm not located, and non-compliant."""
    located = ev.not_located_base + ev.not_located_risk * risk
    if site_visit:  # the environment bureau inspects plants, which do not vanish from their address
        located = located / SITE_VISIT_LOCATED
    bad: np.ndarray = np.minimum(ev.non_compliant_base + ev.non_compliant_risk * risk, 0.8)
    return located, bad


def debarment_chance(ev: EventRates, risk: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """A government supplier's debarment in the part `frac` of a year."""
    out: np.ndarray = frac * (ev.debarment_base + ev.debarment_risk * risk)
    return out


def procurement_fine_chance(ev: EventRates, risk: np.ndarray, frac: np.ndarray) -> np.ndarray:
    """A government supplier's procurement fine in the part `frac` of a year."""
    out: np.ndarray = frac * (ev.procurement_penalty_base + ev.procurement_penalty_risk * risk)
    return out


def tax_grade(score: np.ndarray) -> np.ndarray:
    """The tax credit grade of a score (−logit of the risk plus noise): A, B, C or D by TAX_CUTS."""
    out: np.ndarray = np.full(score.shape, "B", dtype=object)
    for grade, (low, high) in TAX_CUTS.items():
        out[(score >= low) & (score < high)] = grade
    return out.astype(str)


def _results(rng: np.random.Generator, r: np.ndarray, params: SynthParams, site_visit: bool) -> np.ndarray:
    located, bad = inspection_chances(params.events, r, site_visit)
    u = rng.random(len(r))
    return np.where(u < located, "not_located", np.where(u < located + bad, "non_compliant", "compliant"))


def simulate_year(world: World, year: int, rng: np.random.Generator) -> tuple[list[Event], YearTruth]:
    """Every event of one calendar year (cut at as_of), in date order, and the year's truth per company."""
    params, c, ev = world.params, world.companies, world.params.events
    start = date(year, 1, 1)
    end = min(date(year, 12, 31), params.as_of)
    s, e = start.toordinal(), end.toordinal()
    lo = np.maximum(c.registered + 1, s)
    active = lo <= e
    frac = np.where(active, (e - lo + 1) / 365.0, 0.0)
    risk = sigmoid(company_logit(c, params.risk, lo))
    batch = _Batch(rng)
    n = len(c)
    polluting = _POLLUTING[c.industry]
    kind = c.kind

    # Serious outcomes and the form they take.
    serious = active & (rng.random(n) < serious_chance(risk, frac))
    # Individual businesses cannot be put on the serious-illegal list; civil-affairs organisations
    # meet only the courts and the tax bureau.
    every = [ev.serious_penalty_weight, ev.serious_court_weight, ev.serious_illegal_weight, ev.serious_tax_weight]
    shop = [ev.serious_penalty_weight, ev.serious_court_weight, 0.0, ev.serious_tax_weight]
    civil = [0.0, ev.serious_court_weight, 0.0, ev.serious_tax_weight]
    weights = np.array([every, shop, every, civil, civil])[kind]
    cum = np.cumsum(weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12), axis=1)
    channel = (rng.random(n)[:, None] > cum).sum(axis=1)
    day = _between(rng, lo, e)

    idx = np.flatnonzero(serious & (channel == 0))
    to_mee = polluting[idx] & (rng.random(len(idx)) < 0.25)
    batch.add(
        day[idx],
        np.where(to_mee, MEE, SAMR),
        "admin.penalty",
        idx,
        severity="serious",
        amount=_money(rng, 200_000, 1.0, 1_000, len(idx)),
    )
    idx = np.flatnonzero(serious & (channel == 2))
    batch.add(day[idx], SAMR, "market.serious_illegal", idx)
    idx = np.flatnonzero(serious & (channel == 3))
    batch.add(day[idx], TAX, "tax.major_violation", idx, amount=_money(rng, 500_000, 1.0, 0.01, len(idx)))
    major_now = np.zeros(n, dtype=np.int64)
    major_now[idx] = day[idx]
    _tax_ratings(world, year, e, rng, batch, risk, major_now)
    world.last_major_tax[idx] = day[idx]
    org_cases = np.flatnonzero(serious & (channel == 1))

    _routine(world, year, rng, batch, risk, lo, e, frac, active)

    # People: enforcement cases and individual tax penalties.
    p = world.people
    adult = (s - p.birth) >= int(18 * 365.25)
    pr = sigmoid(person_logit(p, params.risk, s))
    person_cases = np.flatnonzero(
        adult & (rng.random(len(p)) < 1.0 - (1.0 - pr * ev.person_court_factor) ** ((e - s + 1) / 365.0))
    )
    fined = np.flatnonzero(
        adult & (rng.random(len(p)) < (ev.person_tax_base + ev.person_tax_risk * pr) * (e - s + 1) / 365.0)
    )
    general = rng.random(len(fined)) < 0.3
    batch.add(
        _between(rng, np.full(len(fined), s), e),
        TAX,
        "admin.penalty",
        fined,
        person=True,
        severity=np.where(general, "general", "minor"),
        amount=np.where(general, _money(rng, 10_000, 0.9, 100, len(fined)), _money(rng, 1_000, 0.7, 50, len(fined))),
    )

    _court(
        params,
        rng,
        batch,
        day[org_cases],
        org_cases,
        _between(rng, np.full(len(person_cases), s), e),
        person_cases,
        e,
    )

    label = serious
    batch.events.sort(key=lambda event: event.day)  # stable: same-day events keep their drawing order
    return batch.events, YearTruth(year, start, end, active, frac, risk, label)


def _tax_ratings(
    world: World, year: int, e: int, rng: np.random.Generator, batch: _Batch, risk: np.ndarray, major_now: np.ndarray
) -> None:
    """April's ratings for last year: M for firms under a year old, D within two years of a major case
    (this year's counts if decided before the rating), else by a noisy score of the risk."""
    c, ev = world.companies, world.params.events
    n = len(c)
    day = date(year, 4, 1).toordinal() + rng.integers(0, 30, size=n)
    rated = (c.kind == ENTERPRISE) & (c.registered < day) & (day <= e) & (rng.random(n) < ev.tax_rating_share)
    grade = tax_grade(-logit(risk) + ev.tax_rating_noise * rng.standard_normal(n))
    last_major = np.where((major_now > 0) & (major_now < day), major_now, world.last_major_tax)
    grade = np.where(last_major > day - 730, "D", grade)
    grade = np.where(c.registered > day - 365, "M", grade)
    idx = np.flatnonzero(rated)
    batch.add(day[idx], TAX, "tax.rating", idx, grade=grade[idx])


def _routine(
    world: World,
    year: int,
    rng: np.random.Generator,
    batch: _Batch,
    risk: np.ndarray,
    lo: np.ndarray,
    e: int,
    frac: np.ndarray,
    active: np.ndarray,
) -> None:
    """Minor and general penalties, licences, abnormal operations, spot checks and procurement sanctions."""
    c, ev = world.companies, world.params.events
    n = len(c)
    polluting = _POLLUTING[c.industry]
    social = c.kind >= SOCIAL  # social organisations and private non-enterprise units
    market = active & ~social

    idx = np.repeat(np.arange(n), rng.poisson(penalty_rate(ev, risk, frac, social)))
    general = rng.random(len(idx)) < ev.penalty_general_share
    u = rng.random(len(idx))
    agency = np.where(social[idx] | (u < 0.1), TAX, np.where(polluting[idx] & (u < 0.3), MEE, SAMR))
    batch.add(
        _between(rng, lo[idx], e),
        agency,
        "admin.penalty",
        idx,
        severity=np.where(general, "general", "minor"),
        amount=np.where(general, _money(rng, 30_000, 1.0, 1_000, len(idx)), _money(rng, 2_000, 0.8, 100, len(idx))),
    )

    lam = np.where(market, frac * ev.licence_base * _LICENCE[c.industry], 0.0)
    idx = np.repeat(np.arange(n), rng.poisson(lam))
    agency = np.where(polluting[idx] & (rng.random(len(idx)) < 0.3), MEE, SAMR)
    batch.add(_between(rng, lo[idx], e), agency, "admin.license", idx)

    # Annual reports for last year are due by 30 June; a market entity that misses the deadline is put on
    # the abnormal-operations list in July or August. Missing it is a logistic function of the risk logit.
    listed_on = date(year, 7, 1).toordinal() + rng.integers(0, 62, size=n)
    due = market & (c.registered < date(year, 1, 1).toordinal()) & (listed_on <= e)
    idx = np.flatnonzero(due & (rng.random(n) < report_miss_chance(world.params, risk)))
    day = listed_on[idx]
    # Firms that file late are lifted; riskier ones (dormant, gone) more often stay listed.
    removal = removal_chance(world.params, risk)
    batch.add(
        day,
        SAMR,
        "market.abnormal_operations",
        idx,
        ends=_ends(rng, day, removal[idx], ev.abnormal_removal_days),
        topic=ABNORMAL_TOPICS["annual_report"],
    )

    idx = np.flatnonzero(market & (rng.random(n) < frac * ev.inspection_rate))
    day = _between(rng, lo[idx], e)
    result = _results(rng, risk[idx], world.params, site_visit=False)
    batch.add(day, SAMR, "inspection.result", idx, result=result)
    # A firm not found at its registered address goes on the abnormal-operations list weeks later.
    follow = (result == "not_located") & (rng.random(len(idx)) < ev.not_located_abnormal)
    later = np.minimum(day[follow] + rng.integers(10, 41, size=int(follow.sum())), e)
    batch.add(
        later,
        SAMR,
        "market.abnormal_operations",
        idx[follow],
        ends=_ends(rng, later, removal[idx[follow]], ev.abnormal_removal_days),
        topic=ABNORMAL_TOPICS["not_located"],
    )

    plants = market & polluting & ((c.kind == ENTERPRISE) | (c.kind == COOPERATIVE))
    idx = np.flatnonzero(plants & (rng.random(n) < frac * ev.env_inspection_rate))
    batch.add(
        _between(rng, lo[idx], e),
        MEE,
        "inspection.result",
        idx,
        result=_results(rng, risk[idx], world.params, site_visit=True),
    )

    idx = np.flatnonzero(c.bidder & active & (rng.random(n) < debarment_chance(ev, risk, frac)))
    batch.add(
        _between(rng, lo[idx], e),
        PROCUREMENT,
        "procurement.debarment",
        idx,
        amount=_money(rng, 50_000, 0.8, 100, len(idx)),
    )
    idx = np.flatnonzero(c.bidder & active & (rng.random(n) < procurement_fine_chance(ev, risk, frac)))
    batch.add(
        _between(rng, lo[idx], e),
        PROCUREMENT,
        "admin.penalty",
        idx,
        severity="general",
        amount=_money(rng, 20_000, 0.8, 100, len(idx)),
    )
    # The finance bureau checks how suppliers performed their government contracts.
    idx = np.flatnonzero(c.bidder & active & (rng.random(n) < frac * ev.procurement_check_rate))
    batch.add(
        _between(rng, lo[idx], e),
        PROCUREMENT,
        "inspection.result",
        idx,
        result=_results(rng, risk[idx], world.params, site_visit=True),
    )


def _shifted(p: float, shift: np.ndarray) -> np.ndarray:
    """Probability `p` for a typical firm, its log-odds moved by `shift` per firm."""
    return sigmoid(logit(p) + shift)


def _ends(rng: np.random.Generator, day: np.ndarray, share: float | np.ndarray, mean_days: float) -> np.ndarray:
    """The day a record is fulfilled or lifted, for the given share of records; 0 for the rest."""
    n = len(day)
    later = day + 1 + rng.exponential(mean_days, size=n).astype(np.int64)
    return np.where(rng.random(n) < share, later, 0)


def _court(
    params: SynthParams,
    rng: np.random.Generator,
    batch: _Batch,
    org_day: np.ndarray,
    orgs: np.ndarray,
    person_day: np.ndarray,
    persons: np.ndarray,
    e: int,
) -> None:
    """Enforcement cases: a consumption restriction, often a defaulter listing, sometimes later fulfilled.

    Cases are numbered in the order they were opened, as a court's docket runs.
    """
    ev = params.events
    day = np.concatenate([org_day, person_day])
    subject = np.concatenate([orgs, persons])
    person = np.concatenate([np.zeros(len(orgs), dtype=bool), np.ones(len(persons), dtype=bool)])
    amount = np.concatenate([_money(rng, 150_000, 1.2, 0.01, len(orgs)), _money(rng, 50_000, 1.1, 0.01, len(persons))])
    case = np.empty(len(day), dtype=np.int64)
    case[np.argsort(day, kind="stable")] = np.arange(1, len(day) + 1)
    listed = rng.random(len(day)) < ev.court_defaulter_share
    listed_on = np.minimum(day + rng.integers(0, 61, size=len(day)), e)
    last = np.where(listed, listed_on, day)
    ends = _ends(rng, last, ev.court_fulfilment, ev.court_fulfilment_days)
    batch.add(
        day,
        COURT,
        "court.consumption_restriction",
        subject,
        person=person,
        amount=amount,
        case=case,
        ends=ends,
    )
    idx = np.flatnonzero(listed)
    batch.add(
        listed_on[idx],
        COURT,
        "court.defaulter",
        subject[idx],
        person=person[idx],
        amount=amount[idx],
        case=case[idx],
        ends=ends[idx],
    )
