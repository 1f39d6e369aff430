"""The province's registered organisations: USCC, name, type, industry, age, capital, owner, legal rep."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from xinyong.ids import uscc
from xinyong.synth.geography import DISTRICTS
from xinyong.synth.industries import (
    COLLECTIVE,
    COOP_WORDS,
    COOPERATIVE,
    ENTERPRISE,
    FOREIGN,
    INDIVIDUAL,
    INDUSTRIES,
    INDUSTRY_INDEX,
    NON_ENTERPRISE,
    NON_ENTERPRISE_WORDS,
    NONPROFIT,
    ORG_TYPES,
    OWNERSHIPS,
    PRIVATE,
    SHOP_WORDS,
    SOCIAL,
    SOCIAL_WORDS,
    STATE,
    Industry,
)
from xinyong.synth.names import NameBook, addresses, landlines, mobiles, trade_names
from xinyong.synth.params import SynthParams
from xinyong.synth.people import CHUNK, People


@dataclass(frozen=True)
class Companies:
    """Column arrays, one entry per organisation; `rep` indexes People, `u` is the risk-logit effect."""

    ids: list[str]
    names: list[str]
    kind: np.ndarray  # index into ORG_TYPES
    industry: np.ndarray  # index into INDUSTRIES
    district: np.ndarray  # index into DISTRICTS
    registered: np.ndarray  # proleptic ordinal of the registration date
    capital: np.ndarray  # CNY
    ownership: np.ndarray  # index into OWNERSHIPS
    rep: np.ndarray
    bidder: np.ndarray
    addresses: list[str]
    phones: list[str]
    u: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _pick(rng: np.random.Generator, codes: dict[str, float], n: int) -> np.ndarray:
    keys = [INDUSTRY_INDEX[c] for c in codes]
    w = np.array(list(codes.values()))
    return np.array(keys)[rng.choice(len(keys), size=n, p=w / w.sum())]


def _industries(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    n = len(kind)
    out = _pick(rng, {ind.code: ind.weight for ind in INDUSTRIES if ind.weight > 0}, n)
    shops = _pick(rng, {"F": 0.45, "H": 0.3, "O": 0.2, "G": 0.05}, n)
    schools = _pick(rng, {"P": 0.5, "Q": 0.25, "O": 0.25}, n)
    out = np.where(kind == INDIVIDUAL, shops, out)
    out = np.where(kind == NON_ENTERPRISE, schools, out)
    out = np.where(kind == COOPERATIVE, INDUSTRY_INDEX["A"], out)
    return np.where(kind == SOCIAL, INDUSTRY_INDEX["S"], out)


def _ownership(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    w = np.array([share for _, share, _ in OWNERSHIPS])
    out = rng.choice(len(OWNERSHIPS), size=len(kind), p=w / w.sum())
    out = np.where(kind == INDIVIDUAL, PRIVATE, out)
    out = np.where(kind == COOPERATIVE, COLLECTIVE, out)
    return np.where((kind == SOCIAL) | (kind == NON_ENTERPRISE), NONPROFIT, out)


def _capital(rng: np.random.Generator, kind: np.ndarray, owner: np.ndarray) -> np.ndarray:
    # (median CNY, log-sd, rounding unit) per organisation type: companies register round sums of
    # 万元, shops a few tens of thousands, social organisations the legal minimum of activity funds.
    table = np.array([(1e6, 1.5, 1e4), (3e4, 1.0, 1e3), (5e5, 1.0, 1e4), (5e4, 0.5, 1e4), (1e5, 0.8, 1e4)])
    median, sd, unit = table[kind, 0], table[kind, 1], table[kind, 2]
    median = median * np.where(owner == STATE, 5.0, np.where(owner == FOREIGN, 3.0, 1.0))
    raw = median * np.exp(sd * rng.standard_normal(len(kind)))
    out: np.ndarray = np.maximum(np.rint(raw / unit), 1.0) * unit
    return out


def _reps(params: SynthParams, rng: np.random.Generator, people: People, registered: np.ndarray) -> np.ndarray:
    """Legal representatives: adults at registration; some come from a small pool of serial founders."""
    n = len(registered)
    by_age = np.argsort(people.birth, kind="stable")  # oldest first
    births = people.birth[by_age]
    pool_size = max(1, int(len(people) * params.population.serial_pool_share))
    pool = np.sort(rng.choice(len(people), size=pool_size, replace=False))
    pool = pool[np.argsort(people.birth[pool], kind="stable")]
    adult_by = registered - int(20 * 365.25)
    eligible = np.maximum(np.searchsorted(births, adult_by, side="right"), 1)
    anyone = by_age[np.minimum((rng.random(n) * eligible).astype(np.int64), len(people) - 1)]
    pool_eligible = np.maximum(np.searchsorted(people.birth[pool], adult_by, side="right"), 1)
    serial = pool[np.minimum((rng.random(n) * pool_eligible).astype(np.int64), pool_size - 1)]
    return np.where(rng.random(n) < params.population.serial_rep_share, serial, anyone)


def make_companies(
    params: SynthParams,
    rng: np.random.Generator,
    id_rng: random.Random,
    book: NameBook,
    people: People,
    advance: Callable[[int], None],
) -> Companies:
    """Draw every organisation; USCCs and names are unique, as the register requires."""
    n = params.orgs
    shares = np.array([t.share for t in ORG_TYPES])
    kind = rng.choice(len(ORG_TYPES), size=n, p=shares / shares.sum())
    industry = _industries(rng, kind)
    owner = _ownership(rng, kind)
    firm_w = np.array([d.firms for d in DISTRICTS])
    district = rng.choice(len(DISTRICTS), size=n, p=firm_w / firm_w.sum())
    # Firm age is exponential (registrations have grown for decades), shorter for shops.
    mean_age = params.population.firm_age_mean_years * np.array([1.0, 0.6, 1.0, 1.3, 1.3])[kind]
    age_days = np.clip(rng.exponential(mean_age * 365.25), 1, 35 * 365.25).astype(np.int64)
    registered = params.as_of.toordinal() - age_days
    capital = _capital(rng, kind, owner)
    rep = _reps(params, rng, people, registered)
    rho = params.risk.rep_correlation
    u = rho * people.u[rep] + np.sqrt(1.0 - rho * rho) * rng.standard_normal(n)
    bids = np.array([ind.bids for ind in INDUSTRIES])[industry]
    bidder = bids & (kind == ENTERPRISE) & (rng.random(n) < params.events.bidder_share)
    names = _names(rng, book, people, kind, industry, owner, district, rep, params.population.bracket_name_share)
    district_names = [DISTRICTS[d].name for d in district.tolist()]
    addr = addresses(book, rng, district_names, homes=False)
    fixed = landlines(rng, n)
    mobile = mobiles(book, rng, n)
    phones = [f if x else m for f, m, x in zip(fixed, mobile, (rng.random(n) < 0.4).tolist(), strict=True)]

    ids: list[str] = []
    seen: set[str] = set()
    for i, (k, d) in enumerate(zip(kind.tolist(), district.tolist(), strict=True)):
        code_type = ORG_TYPES[k].code
        division = DISTRICTS[d].code
        code = uscc.generate(id_rng, division=division, authority=code_type[0], org_type=code_type[1])
        while code in seen:
            code = uscc.generate(id_rng, division=division, authority=code_type[0], org_type=code_type[1])
        seen.add(code)
        ids.append(code)
        if (i + 1) % CHUNK == 0:
            advance(CHUNK)
    advance(n % CHUNK)
    return Companies(
        ids=ids,
        names=names,
        kind=kind,
        industry=industry,
        district=district,
        registered=registered,
        capital=capital,
        ownership=owner,
        rep=rep,
        bidder=bidder,
        addresses=addr,
        phones=phones,
        u=u,
    )


def _names(
    rng: np.random.Generator,
    book: NameBook,
    people: People,
    kind: np.ndarray,
    industry: np.ndarray,
    owner: np.ndarray,
    district: np.ndarray,
    rep: np.ndarray,
    bracket_share: float,
) -> list[str]:
    """Registered names in the forms Beijing uses, made unique by lengthening the trade name of a clash."""
    n = len(kind)
    pick = rng.random((n, 4)).tolist()
    trade = trade_names(book, rng, n)
    kinds, industries, owners = kind.tolist(), industry.tolist(), owner.tolist()
    places = [DISTRICTS[d].name for d in district.tolist()]
    keepers = [people.names[r] for r in rep.tolist()]
    names: list[str] = []
    seen: set[str] = set()
    for i in range(n):
        u = pick[i]
        keeper = keepers[i] if u[2] < 0.3 else None
        brackets = u[3] < bracket_share
        name = _name(kinds[i], INDUSTRIES[industries[i]], owners[i], places[i], trade[i], keeper, brackets, u)
        longer = 3
        while name in seen:  # a clash: a longer trade name, and never the keeper's own name again
            fresh = trade_names(book, rng, 1, longer)[0]
            name = _name(kinds[i], INDUSTRIES[industries[i]], owners[i], places[i], fresh, None, brackets, u)
            longer = min(longer + 1, 5)
        seen.add(name)
        names.append(name)
    return names


def _choose(options: tuple[str, ...], u: float) -> str:
    return options[min(int(u * len(options)), len(options) - 1)]


def _name(
    k: int, ind: Industry, own: int, place: str, trade: str, keeper: str | None, brackets: bool, u: list[float]
) -> str:
    if k == INDIVIDUAL:
        # Many shops carry the keeper's own name: 北京市朝阳区王芳便利店.
        return f"北京市{place}{keeper or trade}{_choose(SHOP_WORDS[ind.code], u[0])}"
    if k == COOPERATIVE:
        return f"北京{trade}{_choose(COOP_WORDS, u[0])}专业合作社"
    if k == SOCIAL:
        return f"北京市{trade}{_choose(SOCIAL_WORDS, u[0])}"
    if k == NON_ENTERPRISE:
        return f"北京市{place}{trade}{_choose(NON_ENTERPRISE_WORDS[ind.code], u[0])}"
    word = _choose(ind.words, u[0])
    if own == STATE:
        suffix = "有限责任公司" if u[1] < 0.6 else "集团有限公司" if u[1] < 0.7 else "有限公司"
        return f"北京市{trade}{word}{suffix}"
    if own == FOREIGN or brackets:
        # Companies of outside brands register as 品牌（北京）行业有限公司, full-width brackets.
        return f"{trade}（北京）{word}有限公司"
    suffix = "有限公司" if u[1] < 0.8 else "有限责任公司" if u[1] < 0.95 else "股份有限公司"
    return f"北京{trade}{word}{suffix}"
