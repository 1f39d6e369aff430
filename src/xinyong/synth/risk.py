"""The latent risk: each company's and person's annual probability of a serious outcome, logit-normal.

logit r = base + industry + ownership + organisation type + capital + firm age + spread·u, where u is
the subject's own standard-normal effect (a company's shares part of its legal rep's). docs/synth.md
gives every coefficient.
"""

from __future__ import annotations

import numpy as np

from xinyong.synth.companies import Companies
from xinyong.synth.industries import INDUSTRIES, ORG_TYPES, OWNERSHIPS
from xinyong.synth.params import RiskParams
from xinyong.synth.people import People

_INDUSTRY = np.array([ind.risk for ind in INDUSTRIES])
_OWNERSHIP = np.array([effect for _, _, effect in OWNERSHIPS])
_TYPE = np.array([t.risk for t in ORG_TYPES])
CAPITAL_SLOPE = -0.2  # per tenfold registered capital above CNY 1 million
YOUNG_FIRM = 0.5  # extra logit of a newly registered firm, fading with a three-year time constant
OLD_FIRM = -0.2  # logit of a long-established firm


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def logit(p: np.ndarray | float) -> np.ndarray:
    """The log-odds of a probability."""
    q = np.asarray(p, dtype=np.float64)
    out: np.ndarray = np.log(q) - np.log1p(-q)
    return out


def company_base_logit(c: Companies, params: RiskParams, at: np.ndarray) -> np.ndarray:
    """Each company's risk logit on the given days (ordinals) without its own effect `u`: what its register
    entry (industry, ownership, type, capital, age on that day) says."""
    age = np.maximum(at - c.registered, 0) / 365.25
    out: np.ndarray = (
        params.org_base_logit
        + _INDUSTRY[c.industry]
        + _OWNERSHIP[c.ownership]
        + _TYPE[c.kind]
        + CAPITAL_SLOPE * (np.log10(c.capital) - 6.0)
        + YOUNG_FIRM * np.exp(-age / 3.0)
        + OLD_FIRM
    )
    return out


def company_logit(c: Companies, params: RiskParams, at: np.ndarray) -> np.ndarray:
    """Each company's risk logit on the given days (ordinals), ageing the firm to that day."""
    out: np.ndarray = company_base_logit(c, params, at) + params.org_spread * c.u
    return out


def person_logit(p: People, params: RiskParams, at: int) -> np.ndarray:
    """Each person's risk logit on a day: men and people of working age carry more enforcement risk."""
    age = (at - p.birth) / 365.25
    working = np.where((age >= 28) & (age <= 55), 0.3, np.where(age > 65, -0.5, 0.0))
    male = np.where(p.female, 0.0, 0.4)
    return params.person_base_logit + male + working + params.person_spread * p.u
