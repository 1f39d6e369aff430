"""Every size, rate and noise knob of the synthetic province, with the defaults docs/synth.md explains.

Rates are per subject and year unless a field says otherwise; `*_risk` slopes multiply the subject's
latent annual risk of a serious outcome, so risky companies attract more of every kind of trouble.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any, Final

from xinyong.errors import InvalidInput

# Field metadata: "p" marks a probability (0..1); everything else numeric must be non-negative
# unless it is a logit ("logit"), which may take any sign.
_P: Final = {"kind": "p"}
_LOGIT: Final = {"kind": "logit"}


@dataclass(frozen=True)
class PopulationParams:
    """Who lives and trades in the province: origins, names and who represents which company."""

    hukou_share: float = field(default=0.62, metadata=_P)
    common_given_name_share: float = field(default=0.3, metadata=_P)
    given_name_zipf: float = 1.0
    serial_rep_share: float = field(default=0.1, metadata=_P)
    serial_pool_share: float = field(default=0.01, metadata=_P)
    firm_age_mean_years: float = 8.0
    bracket_name_share: float = field(default=0.08, metadata=_P)


@dataclass(frozen=True)
class RiskParams:
    """The logit-normal latent risk: annual probability of a serious outcome for a company or a person."""

    org_base_logit: float = field(default=-3.9, metadata=_LOGIT)
    org_spread: float = 1.0
    rep_correlation: float = field(default=0.5, metadata=_P)
    person_base_logit: float = field(default=-5.0, metadata=_LOGIT)
    person_spread: float = 1.0


@dataclass(frozen=True)
class EventRates:
    """How often each kind of record happens, and how serious outcomes split across agencies."""

    penalty_base: float = 0.02
    penalty_risk: float = 0.6
    penalty_general_share: float = field(default=0.45, metadata=_P)
    licence_base: float = 0.06
    annual_report_miss: float = field(default=0.08, metadata=_P)
    annual_report_risk: float = 1.0
    abnormal_removal: float = field(default=0.5, metadata=_P)
    abnormal_removal_days: float = 150.0
    abnormal_removal_risk: float = 1.0
    inspection_rate: float = field(default=0.05, metadata=_P)
    env_inspection_rate: float = field(default=0.05, metadata=_P)
    not_located_base: float = field(default=0.01, metadata=_P)
    not_located_risk: float = 0.5
    non_compliant_base: float = field(default=0.05, metadata=_P)
    non_compliant_risk: float = 1.5
    not_located_abnormal: float = field(default=0.8, metadata=_P)
    tax_rating_share: float = field(default=1.0, metadata=_P)
    tax_rating_noise: float = 0.7
    serious_penalty_weight: float = 0.30
    serious_court_weight: float = 0.45
    serious_illegal_weight: float = 0.10
    serious_tax_weight: float = 0.15
    court_defaulter_share: float = field(default=0.6, metadata=_P)
    court_fulfilment: float = field(default=0.35, metadata=_P)
    court_fulfilment_days: float = 200.0
    person_court_factor: float = field(default=0.6, metadata=_P)
    person_tax_base: float = field(default=0.002, metadata=_P)
    person_tax_risk: float = 0.3
    bidder_share: float = field(default=0.3, metadata=_P)
    debarment_base: float = field(default=0.0005, metadata=_P)
    debarment_risk: float = 0.03
    procurement_penalty_base: float = field(default=0.002, metadata=_P)
    procurement_penalty_risk: float = 0.05
    procurement_check_rate: float = field(default=0.1, metadata=_P)


@dataclass(frozen=True)
class NoiseRates:
    """Share of feed rows carrying each mistake real agencies make; each applies to a row independently."""

    fullwidth: float = field(default=0.03, metadata=_P)
    suffix_swap: float = field(default=0.05, metadata=_P)
    traditional: float = field(default=0.02, metadata=_P)
    missing_id: float = field(default=0.05, metadata=_P)
    typo_id: float = field(default=0.02, metadata=_P)
    rep_name: float = field(default=0.01, metadata=_P)
    correction: float = field(default=0.02, metadata=_P)
    duplicate: float = field(default=0.02, metadata=_P)
    invalid: float = field(default=0.01, metadata=_P)
    future_min_days: int = 730


@dataclass(frozen=True)
class SynthParams:
    """The whole recipe of one synthetic province; the same params and seed give byte-identical files."""

    orgs: int = 2_000
    persons: int = 3_000
    years: int = 3
    seed: int = 20240110
    as_of: date = date(2026, 6, 30)
    population: PopulationParams = PopulationParams()
    risk: RiskParams = RiskParams()
    events: EventRates = EventRates()
    noise: NoiseRates = NoiseRates()

    def __post_init__(self) -> None:
        for name, low, high in (("orgs", 1, 50_000_000), ("persons", 1, 50_000_000), ("years", 1, 50)):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                raise InvalidInput(f"must be a whole number from {low:,} to {high:,}, got {value!r}", field=name)
        if not 0 <= self.seed < 2**63:
            raise InvalidInput(f"must be from 0 to 2**63 - 1, got {self.seed}", field="seed")
        if self.as_of.year - self.years < 1990:
            raise InvalidInput(f"{self.as_of} minus {self.years} years is before 1990", field="as_of")
        for group in (self.population, self.risk, self.events, self.noise):
            _check_group(group)

    @property
    def first_year(self) -> int:
        """The first calendar year of the simulated period; the last is as_of's year, cut at as_of."""
        return self.as_of.year - self.years + 1

    def with_sizes(
        self,
        orgs: int | None = None,
        persons: int | None = None,
        years: int | None = None,
        seed: int | None = None,
    ) -> SynthParams:
        """The same recipe with some sizes changed."""
        changes: dict[str, Any] = {
            k: v for k, v in (("orgs", orgs), ("persons", persons), ("years", years), ("seed", seed)) if v is not None
        }
        return replace(self, **changes)


def _check_group(group: object) -> None:
    for f in fields(group):  # type: ignore[arg-type]
        value = getattr(group, f.name)
        kind = f.metadata.get("kind")
        if kind == "p" and not 0.0 <= value <= 1.0:
            raise InvalidInput(f"is a probability and must lie in 0..1, got {value}", field=f.name)
        if kind is None and value < 0:
            raise InvalidInput(f"must not be negative, got {value}", field=f.name)
    if isinstance(group, NoiseRates) and group.future_min_days < 1:
        raise InvalidInput("must be at least one day", field="future_min_days")


# Sizes of the named provinces (`xinyong demo --size`); rates are the defaults above for all of them.
PRESETS: Final[dict[str, tuple[int, int, int]]] = {
    "small": (2_000, 3_000, 3),
    "medium": (20_000, 30_000, 3),
    "large": (200_000, 300_000, 3),
}


def preset(name: str, seed: int | None = None) -> SynthParams:
    """The params of a named size: small (a few seconds), medium, large."""
    if name not in PRESETS:
        raise InvalidInput(f"unknown size {name!r}; choose one of {', '.join(PRESETS)}", field="size")
    orgs, persons, years = PRESETS[name]
    base = SynthParams(orgs=orgs, persons=persons, years=years)
    return base if seed is None else replace(base, seed=seed)
