"""The legal catalog as frozen models: agencies, legal bases, record types, lists, measures, actions."""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from xinyong.errors import InvalidInput

AgencyKind = Literal["court", "samr", "tax", "mee", "procurement", "other"]
Effect = Literal["deny", "review", "expedite"]
Disclosure = Literal["public", "shared", "restricted"]
Severity = Literal["minor", "general", "serious"]
FeedFormat = Literal["csv", "jsonl", "parquet", "xlsx"]
DayKind = Literal["working", "calendar"]

# How strongly each decision effect binds; the strongest one present wins (contract §4).
EFFECT_STRENGTH: Mapping[str, int] = MappingProxyType({"allow": 0, "expedite": 1, "review": 2, "deny": 3})

# How widely each disclosure level lets a record be seen, narrowest first.
DISCLOSURE_REACH: Mapping[str, int] = MappingProxyType({"restricted": 0, "shared": 1, "public": 2})

CODE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"


class _Entry(BaseModel):
    """A catalog entry: immutable, and a typo in a key is an error rather than silently ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class _Sourced(_Entry):
    """An entry whose facts may not all have been checked against a primary legal text.

    Subclasses declare `confirmed` and `note` last, so that dumps start with the code.
    """

    @model_validator(mode="after")
    def _unconfirmed_says_why(self) -> Self:
        note = getattr(self, "note", None)
        if not getattr(self, "confirmed", True) and not (note and note.strip()):
            raise ValueError("an unconfirmed entry must carry a note saying what is unconfirmed")
        return self


class Agency(_Entry):
    """A public body that submits records; its kind decides which record types it may send."""

    code: str = Field(pattern=CODE_PATTERN)
    kind: AgencyKind
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    district: str | None = Field(default=None, pattern=r"^\d{6}$")


class LegalBasis(_Sourced):
    """One citable provision: a law, regulation, judicial interpretation or policy, and its article."""

    code: str = Field(pattern=CODE_PATTERN)
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    article: str | None = None
    article_zh: str | None = None
    issuer: str = Field(min_length=1)
    issuer_en: str = Field(min_length=1)
    doc_no: str | None = None
    in_force_from: date | None = None
    confirmed: bool = True
    note: str | None = None


class Period(_Entry):
    """A span of months with a floor and a ceiling, such as a publicity period."""

    min_months: int = Field(ge=0)
    max_months: int = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.max_months < self.min_months:
            raise ValueError(f"max_months {self.max_months} is below min_months {self.min_months}")
        return self


class RepairRule(_Sourced):
    """When and how a subject may have a record's publication or listing ended early (credit repair)."""

    repairable: bool
    requires_fulfilment: bool = False
    requires_commitment: bool = False
    decide_working_days: int = Field(default=0, ge=0)
    # For listing record types: months after listing before early removal may be asked (0 = at any time).
    early_removal_after_months: int | None = Field(default=None, ge=0)
    legal_basis: str | None = None
    confirmed: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _repairable_has_deadline(self) -> Self:
        if self.repairable and self.decide_working_days < 1:
            raise ValueError("a repairable record type needs decide_working_days of at least 1")
        return self


class RecordType(_Sourced):
    """A kind of credit record the catalog allows, who may submit it, who may see it and what follows."""

    code: str = Field(pattern=CODE_PATTERN)
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    agency_kinds: tuple[AgencyKind, ...] = Field(min_length=1)
    disclosure: Disclosure
    # Natural persons' records are shared or queried, not published, unless a rule says otherwise.
    person_disclosure: Disclosure
    # When set, an organisation's record is public if its fields match, else `disclosure` holds
    # (only A and D tax grades are published); persons stay at person_disclosure.
    public_when: Mapping[str, tuple[str, ...]] | None = None
    legal_basis: str
    required_fields: tuple[str, ...] = ()
    places_on: str | None = None
    list_when: Mapping[str, tuple[str, ...]] | None = None
    publicity: Mapping[Severity, Period] | None = None
    publicity_basis: str | None = None
    default_valid_months: int | None = Field(default=None, ge=1)
    repair: RepairRule | None = None
    objection_days: int = Field(ge=1)
    objection_day_kind: DayKind = "working"
    objection_basis: str | None = None
    confirmed: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.list_when is not None and self.places_on is None:
            raise ValueError("list_when is set but places_on is not")
        if len(set(self.agency_kinds)) != len(self.agency_kinds):
            raise ValueError("agency_kinds repeats a kind")
        if DISCLOSURE_REACH[self.person_disclosure] > DISCLOSURE_REACH[self.disclosure]:
            raise ValueError("person_disclosure may not be wider than disclosure")
        return self

    def allows(self, agency_kind: str) -> bool:
        """Whether an agency of this kind may submit records of this type."""
        return agency_kind in self.agency_kinds


class ListType(_Sourced):
    """A list subjects are placed on (defaulters, serious dishonesty, red list) and how long they stay."""

    code: str = Field(pattern=CODE_PATTERN)
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    legal_basis: str
    period_basis: str | None = None
    default_months: int | None = Field(default=None, ge=1)
    notice_days: int = Field(default=0, ge=0)
    reaches_legal_rep: bool = False
    incentive: bool = False
    removal_working_days: int | None = Field(default=None, ge=1)
    confirmed: bool = True
    note: str | None = None


class Measure(_Sourced):
    """One legally based consequence of a list for some actions: deny, send to review, or expedite."""

    code: str = Field(pattern=CODE_PATTERN)
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    list: str
    actions: tuple[str, ...] = Field(min_length=1)
    effect: Effect
    implementing_body: str = Field(min_length=1)
    implementing_body_en: str = Field(min_length=1)
    legal_basis: str
    further_bases: tuple[str, ...] = ()
    reaches_legal_rep: bool = False
    confirmed: bool = True
    note: str | None = None


class Action(_Entry):
    """Something a platform or agency asks permission for, such as buying an air ticket."""

    code: str = Field(pattern=CODE_PATTERN)
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)


class Source(_Entry):
    """How one agency's own feed maps onto the canonical feed: format, encoding, columns and values."""

    agency: str = Field(pattern=CODE_PATTERN)
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    format: FeedFormat
    encoding: str | None = None
    columns: Mapping[str, str] = Field(min_length=1)
    values: Mapping[str, Mapping[str, str]] = Field(default_factory=dict)
    # Canonical fields the feed never carries but whose value is fixed (a company register has only orgs).
    constants: Mapping[str, str] = Field(default_factory=dict)
    date_style: str | None = None
    note: str | None = None

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError(f"unknown text encoding {value!r}") from None
        return value


RatingKind = Literal["rule", "statistical"]
# How a feature is computed from an entity's records as of a day (see xinyong.rating.features).
FeatureAgg = Literal[
    "count", "amount", "years_since", "in_force", "fulfilled", "latest", "age_years", "register", "id_part"
]
_RECORD_AGGS = frozenset({"count", "amount", "years_since", "in_force", "fulfilled", "latest"})
_REGISTER_FIELDS = {"capital": False, "industry": True, "ownership": True, "district": True}


class RatingFeature(_Entry):
    """One indicator of a rating model, computed for an entity as of a day from what the registry knew."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    # Reason-code templates of a statistical model: {value}, {bin}, {points}, {best}, {lost}.
    reason_zh: str | None = None
    reason_en: str | None = None
    agg: FeatureAgg
    record_types: tuple[str, ...] = ()
    severity: tuple[Severity, ...] = ()
    result: tuple[str, ...] = ()
    grade: tuple[str, ...] = ()
    months: int | None = Field(default=None, ge=1)
    # `latest`: the record field reported (grade, result, severity); `register`: the register column.
    value_of: str | None = None
    direction: Literal["ascending", "descending"] | None = None

    @property
    def categorical(self) -> bool:
        """Whether the feature holds text categories rather than numbers."""
        if self.agg in ("latest", "id_part"):
            return True
        return self.agg == "register" and _REGISTER_FIELDS.get(self.value_of or "", False)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if (self.agg in _RECORD_AGGS) != bool(self.record_types):
            raise ValueError(f"agg {self.agg!r} {'needs' if self.agg in _RECORD_AGGS else 'takes no'} record_types")
        if self.agg == "latest" and self.value_of not in ("grade", "result", "severity"):
            raise ValueError("agg 'latest' needs value_of: grade, result or severity")
        if self.agg == "register" and self.value_of not in _REGISTER_FIELDS:
            raise ValueError(f"agg 'register' needs value_of: one of {sorted(_REGISTER_FIELDS)}")
        if self.agg not in ("latest", "register") and self.value_of is not None:
            raise ValueError(f"agg {self.agg!r} takes no value_of")
        if self.categorical and self.direction is not None:
            raise ValueError("a categorical feature has no direction")
        return self


class RatingGrade(_Entry):
    """A grade: the score it starts at (None for the lowest band), its labels and its inspection weight."""

    grade: str = Field(pattern=r"^[A-Z][A-Z0-9]{0,3}$")
    min: float | None = None
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    # Relative chance of being drawn for a random inspection ("double random"); 1 is an ordinary entity.
    inspection_weight: float = Field(gt=0)
    adverse: bool = False
    # Given only by an override (M for a new entity), never by a score band.
    assigned_only: bool = False


class OutcomeEvent(_Entry):
    """Records that count as the bad outcome a statistical model predicts."""

    record_types: tuple[str, ...] = Field(min_length=1)
    severity: tuple[Severity, ...] = ()


class RatingOutcome(_Entry):
    """The outcome a statistical model is trained on: any of these events within `months` of the rating."""

    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    months: int = Field(ge=1)
    any_of: tuple[OutcomeEvent, ...] = Field(min_length=1)


class RatingScaling(_Entry):
    """Points scaling of a statistical scorecard: `base_score` at good:bad odds `base_odds`, `pdo`."""

    base_score: float = 600.0
    base_odds: float = Field(19.0, gt=0)
    pdo: float = Field(50.0, gt=0)


class RatingModel(_Sourced):
    """A rating model of legal entities: a rule scorecard or a statistical one, with its grades."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    kind: RatingKind
    version: str = Field(min_length=1, max_length=32)
    legal_basis: str | None = None
    features: tuple[RatingFeature, ...] = Field(min_length=1)
    grades: tuple[RatingGrade, ...] = Field(min_length=2)
    # Rule scorecards: start, floor, ceiling, adjustments, overrides (the xinyong.scoring.rules format).
    rule: Mapping[str, Any] | None = None
    outcome: RatingOutcome | None = None
    scaling: RatingScaling | None = None
    snapshots: int = Field(3, ge=2, le=20)
    min_iv: float = Field(0.02, ge=0)
    # Smallest share of training rows a pre-bin may hold: rare events (a court case) need small bins.
    min_bin_share: float = Field(0.02, gt=0, lt=0.5)
    reasons: int = Field(4, ge=1, le=10)
    confirmed: bool = True
    note: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        codes = [f.code for f in self.features]
        if len(set(codes)) != len(codes):
            raise ValueError("feature codes repeat")
        if len({g.grade for g in self.grades}) != len(self.grades):
            raise ValueError("grades repeat")
        banded = [g for g in self.grades if not g.assigned_only]
        mins = [g.min for g in banded]
        if len(banded) < 2 or mins[-1] is not None or None in mins[:-1]:
            raise ValueError("every banded grade but the last needs a min; the last has none")
        if any(b >= a for a, b in itertools.pairwise(mins[:-1]) if a is not None and b is not None):
            raise ValueError("grade minimums must strictly decrease, best grade first")
        if self.kind == "rule" and self.rule is None:
            raise ValueError("a rule model needs a rule section")
        if self.kind == "statistical":
            if self.outcome is None or self.scaling is None:
                raise ValueError("a statistical model needs an outcome and a scaling")
            for f in self.features:
                if not (f.reason_zh and f.reason_en):
                    raise ValueError(f"feature {f.code!r} needs reason_zh and reason_en templates")
        return self

    def feature(self, code: str) -> RatingFeature:
        """One feature by code."""
        for f in self.features:
            if f.code == code:
                return f
        raise InvalidInput(f"model {self.code!r} has no feature {code!r}", field="feature")

    def grade(self, grade: str) -> RatingGrade | None:
        """One grade by name, None if the model has no such grade."""
        return next((g for g in self.grades if g.grade == grade), None)


class Catalog(_Entry):
    """The whole loaded catalog, keyed by code; the rules engine asks it which measures apply."""

    agencies: Mapping[str, Agency]
    legal_bases: Mapping[str, LegalBasis]
    record_types: Mapping[str, RecordType]
    lists: Mapping[str, ListType]
    measures: Mapping[str, Measure]
    actions: Mapping[str, Action]
    sources: Mapping[str, Source]
    rating_models: Mapping[str, RatingModel] = Field(default_factory=dict)

    @field_validator("*", mode="after")
    @classmethod
    def _read_only(cls, value: Mapping[str, _Entry]) -> Mapping[str, _Entry]:
        # The loaded catalog is shared by every caller (default_catalog), so nobody may edit it in place.
        return MappingProxyType(dict(value))

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (for a worker process, `ingest.checking`) as its entries: a read-only mapping has no pickle
        # of its own, and the entries are models already, so nothing is validated again.
        return (Catalog.model_validate, ({name: dict(getattr(self, name)) for name in Catalog.model_fields},))

    def measures_for_list(self, list_code: str) -> tuple[Measure, ...]:
        """Every measure a list carries, in catalog order."""
        return tuple(m for m in self.measures.values() if m.list == list_code)

    def measures_for_action(self, action: str) -> tuple[Measure, ...]:
        """Every measure that bears on one action, from whichever list, in catalog order."""
        return tuple(m for m in self.measures.values() if action in m.actions)

    def measures_for(self, list_code: str, action: str) -> tuple[Measure, ...]:
        """The measures of one list that bear on one action."""
        return tuple(m for m in self.measures.values() if m.list == list_code and action in m.actions)

    def list_for(self, record_type_code: str, grade: str | None = None, **fields: str | None) -> ListType | None:
        """The list a record of this type places its subject on, given its fields (tax.rating: grade A)."""
        record_type = self.record_types.get(record_type_code)
        if record_type is None:
            raise InvalidInput(f"unknown record type {record_type_code!r}", field="record_type")
        if record_type.places_on is None:
            return None
        if record_type.list_when:
            given = {"grade": grade, **fields}
            for name, allowed in record_type.list_when.items():
                if given.get(name) not in allowed:
                    return None
        return self.lists[record_type.places_on]

    def record_types_for(self, agency_code: str) -> tuple[RecordType, ...]:
        """The record types one agency may submit, decided by its kind."""
        agency = self.agencies.get(agency_code)
        if agency is None:
            raise InvalidInput(f"unknown agency {agency_code!r}", field="agency")
        return tuple(rt for rt in self.record_types.values() if rt.allows(agency.kind))
