"""Rule scorecards: start from a ceiling, deduct (or add) points per indicator, band into grades, and
let overrides act outside the additive score, the way the tax credit rating works.

Evaluation order: score = start + every adjustment, clamped to [floor, ceiling] (by default 0 and
`start`; an explicit null lifts the bound); the grade is the first band whose `min` the score
reaches; then the first matching `assign` override (in declared order) replaces the grade (direct D
for a tax crime, M for a new entity), otherwise every matching `cap` bars grades better than its own
(e.g. "not A"). Conditions may name the pseudo-feature `score` (the clamped additive score), which is
how "no revenue and at least 70 points" is written.

Declared as a plain mapping (the catalog's YAML):

    code: tax_style
    version: "2014-40"
    start: 100
    grades: [{grade: A, min: 90}, {grade: B, min: 70}, {grade: C, min: 40}, {grade: D}]
    adjustments:
      - {code: late_filing, feature: late_filings, points: -5, per_unit: true, max: 20,
         label_zh: "逾期申报 {value} 次", label_en: "{value} late filings"}
    overrides:
      - {code: tax_crime, when: {feature: tax_crimes, op: gt, value: 0}, assign: D,
         label_zh: ..., label_en: ...}
      - {code: new_entity, when: {feature: months_registered, op: lt, value: 12}, assign: M, ...}

An adjustment without `when` applies when its feature's value is non-zero (or true); with
`per_unit` its points are multiplied by the value, and `max` caps the absolute total. A feature whose
value is None is unknown: its conditions are false and its adjustments do not apply. A feature absent
from the mapping is an error.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from xinyong.errors import InvalidInput
from xinyong.scoring.reasons import Reason, fill

SCORE = "score"
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
}


@dataclass(frozen=True)
class Condition:
    """`feature op value`, or all/any of nested conditions."""

    feature: str | None = None
    op: str = "gt"
    value: Any = 0
    all_of: tuple[Condition, ...] = ()
    any_of: tuple[Condition, ...] = ()

    def holds(self, features: Mapping[str, Any], where: str) -> bool:
        if self.all_of:
            return all(c.holds(features, where) for c in self.all_of)
        if self.any_of:
            return any(c.holds(features, where) for c in self.any_of)
        if self.feature is None:
            raise InvalidInput(f"{where}: a condition names no feature", field="when")
        actual = _value(features, self.feature)
        if actual is None:
            return False
        try:
            return bool(_OPS[self.op](actual, self.value))
        except TypeError as exc:
            raise InvalidInput(
                f"{where}: cannot compare {actual!r} {self.op} {self.value!r}", field=self.feature
            ) from exc


@dataclass(frozen=True)
class Adjustment:
    """Points added (positive) or deducted (negative) when an indicator is present."""

    code: str
    feature: str
    points: float
    label_zh: str
    label_en: str
    when: Condition | None = None
    per_unit: bool = False
    max: float | None = None


@dataclass(frozen=True)
class Override:
    """A rule outside the additive score: `assign` sets the grade, `cap` bars better grades."""

    code: str
    when: Condition
    grade: str
    mode: Literal["assign", "cap"]
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class GradeBand:
    """Scores at or above `min` get `grade`; the last band has no minimum."""

    grade: str
    min: float | None


@dataclass(frozen=True)
class RuleRating:
    """A rule scorecard's verdict: score, band grade, final grade and the reasons, overrides first."""

    model: str
    version: str
    score: float
    band_grade: str
    grade: str
    reasons: tuple[Reason, ...]


def assign_grade(score: float, bands: Sequence[GradeBand]) -> str:
    """The first band (best first) whose minimum the score reaches."""
    for band in bands:
        if band.min is None or score >= band.min:
            return band.grade
    raise InvalidInput(f"score {score} falls below every grade band", field="grades")


@dataclass(frozen=True)
class RuleScorecard:
    """A declarative deduction scorecard; build it with `RuleScorecard.from_dict`."""

    code: str
    version: str
    start: float
    floor: float | None
    ceiling: float | None
    grades: tuple[GradeBand, ...]
    adjustments: tuple[Adjustment, ...]
    overrides: tuple[Override, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleScorecard:
        """Read and validate a declared rule scorecard; errors name the offending field."""
        if not isinstance(data, Mapping):
            raise InvalidInput("a rule scorecard must be a mapping", field="model")
        start = _num(data.get("start"), "start")
        grades = _grades(data.get("grades"))
        ranked = {b.grade for b in grades}
        adjustments = tuple(_adjustment(a, f"adjustments[{i}]") for i, a in enumerate(_list(data, "adjustments")))
        overrides = tuple(_override(o, f"overrides[{i}]", ranked) for i, o in enumerate(_list(data, "overrides")))
        codes = [a.code for a in adjustments] + [o.code for o in overrides]
        if len(codes) != len(set(codes)):
            raise InvalidInput("adjustment and override codes must be unique", field="adjustments")
        return cls(
            code=_str(data.get("code"), "code"),
            version=_str(data.get("version"), "version"),
            start=start,
            floor=_optional_num(data, "floor", 0.0),
            ceiling=_optional_num(data, "ceiling", start),
            grades=grades,
            adjustments=adjustments,
            overrides=overrides,
        )

    def rate(self, features: Mapping[str, Any]) -> RuleRating:
        """Rate one entity from its indicator values."""
        applied: list[Reason] = []
        total = self.start
        for adj in self.adjustments:
            points = self._points(adj, features)
            if points:
                total += points
                filled = {"value": features[adj.feature], "points": points, "feature": adj.feature}
                applied.append(
                    Reason(
                        code=adj.code,
                        kind="deduction" if points < 0 else "addition",
                        points=points,
                        label_zh=fill(adj.label_zh, filled, adj.code),
                        label_en=fill(adj.label_en, filled, adj.code),
                    )
                )
        if self.floor is not None:
            total = max(total, self.floor)
        if self.ceiling is not None:
            total = min(total, self.ceiling)
        band = assign_grade(total, self.grades)
        scored = {**features, SCORE: total}
        grade, fired = band, self._overrides(scored, band)
        if fired and fired[0].mode == "assign":
            grade = fired[0].grade
        elif fired:
            grade = max((band, *(o.grade for o in fired)), key=self._rank)
        fields: dict[str, object] = {"score": total}
        reasons = [
            Reason(
                code=o.code,
                kind="override" if o.mode == "assign" else "cap",
                points=0.0,
                label_zh=fill(o.label_zh, fields, o.code),
                label_en=fill(o.label_en, fields, o.code),
            )
            for o in fired
        ]
        reasons.extend(sorted(applied, key=lambda r: (r.points, r.code)))
        return RuleRating(self.code, self.version, total, band, grade, tuple(reasons))

    def _points(self, adj: Adjustment, features: Mapping[str, Any]) -> float:
        value = _value(features, adj.feature)
        if value is None:
            return 0.0
        where = f"adjustment {adj.code}"
        applies = adj.when.holds(features, where) if adj.when else bool(value)
        if not applies:
            return 0.0
        if not adj.per_unit:
            points = adj.points
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{where} counts per unit but the value is {value!r}", field=adj.feature)
        else:
            points = adj.points * float(value)
        if adj.max is not None and abs(points) > adj.max:
            points = math.copysign(adj.max, points)
        return points

    def _overrides(self, features: Mapping[str, Any], band: str) -> list[Override]:
        """The overrides that fire: the first matching assign alone, else every matching cap."""
        caps = []
        for o in self.overrides:
            if o.when.holds(features, f"override {o.code}"):
                if o.mode == "assign":
                    return [o]
                if self._rank(o.grade) > self._rank(band):
                    caps.append(o)
        return caps

    def _rank(self, grade: str) -> int:
        return [b.grade for b in self.grades].index(grade)


def _value(features: Mapping[str, Any], feature: str) -> Any:
    if feature not in features:
        raise InvalidInput("indicator missing for the entity", field=feature)
    return features[feature]


def _grades(raw: Any) -> tuple[GradeBand, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("must be a non-empty list of {grade, min}", field="grades")
    bands = []
    for i, item in enumerate(raw):
        where = f"grades[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidInput("must be a mapping", field=where)
        low = item.get("min")
        bands.append(
            GradeBand(_str(item.get("grade"), f"{where}.grade"), None if low is None else _num(low, f"{where}.min"))
        )
    mins = [b.min for b in bands]
    if mins[-1] is not None or None in mins[:-1]:
        raise InvalidInput("every band but the last needs a min; the last has none", field="grades")
    if any(b >= a for a, b in itertools.pairwise(mins[:-1]) if a is not None and b is not None):
        raise InvalidInput("band minimums must strictly decrease, best grade first", field="grades")
    if len({b.grade for b in bands}) != len(bands):
        raise InvalidInput("grades must be unique", field="grades")
    return tuple(bands)


def _adjustment(raw: Any, where: str) -> Adjustment:
    if not isinstance(raw, Mapping):
        raise InvalidInput("must be a mapping", field=where)
    cap = raw.get("max")
    adj = Adjustment(
        code=_str(raw.get("code"), f"{where}.code"),
        feature=_str(raw.get("feature"), f"{where}.feature"),
        points=_num(raw.get("points"), f"{where}.points"),
        label_zh=_str(raw.get("label_zh"), f"{where}.label_zh"),
        label_en=_str(raw.get("label_en"), f"{where}.label_en"),
        when=_condition(raw["when"], f"{where}.when") if raw.get("when") is not None else None,
        per_unit=_bool(raw.get("per_unit", False), f"{where}.per_unit"),
        max=None if cap is None else _num(cap, f"{where}.max"),
    )
    if adj.max is not None and adj.max < 0:
        raise InvalidInput("must not be negative", field=f"{where}.max")
    _check_labels(adj.label_zh, adj.label_en, ("value", "points", "feature"), where)
    return adj


def _override(raw: Any, where: str, ranked: set[str]) -> Override:
    if not isinstance(raw, Mapping):
        raise InvalidInput("must be a mapping", field=where)
    if ("assign" in raw) == ("cap" in raw):
        raise InvalidInput("needs exactly one of assign (a grade) or cap (the best grade allowed)", field=where)
    mode: Literal["assign", "cap"] = "assign" if "assign" in raw else "cap"
    grade = _str(raw.get(mode), f"{where}.{mode}")
    if mode == "cap" and grade not in ranked:
        raise InvalidInput(f"cap grade {grade!r} is not one of the grade bands", field=f"{where}.cap")
    if raw.get("when") is None:
        raise InvalidInput("an override needs a condition", field=f"{where}.when")
    override = Override(
        code=_str(raw.get("code"), f"{where}.code"),
        when=_condition(raw["when"], f"{where}.when"),
        grade=grade,
        mode=mode,
        label_zh=_str(raw.get("label_zh"), f"{where}.label_zh"),
        label_en=_str(raw.get("label_en"), f"{where}.label_en"),
    )
    _check_labels(override.label_zh, override.label_en, ("score",), where)
    return override


def _condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise InvalidInput("must be a mapping", field=where)
    for key in ("all", "any"):
        if key in raw:
            items = raw[key]
            if not isinstance(items, list) or not items:
                raise InvalidInput("must be a non-empty list of conditions", field=f"{where}.{key}")
            nested = tuple(_condition(c, f"{where}.{key}[{i}]") for i, c in enumerate(items))
            return Condition(all_of=nested) if key == "all" else Condition(any_of=nested)
    op = raw.get("op", "gt")
    if op not in _OPS:
        raise InvalidInput(f"op must be one of {sorted(_OPS)}, got {op!r}", field=f"{where}.op")
    value = raw.get("value", 0)
    if op in ("in", "not_in") and not isinstance(value, list):
        raise InvalidInput("in / not_in need a list value", field=f"{where}.value")
    return Condition(
        feature=_str(raw.get("feature"), f"{where}.feature"),
        op=op,
        value=tuple(value) if isinstance(value, list) else value,
    )


def _check_labels(zh: str, en: str, names: Sequence[str], where: str) -> None:
    sample = dict.fromkeys(names, 0)
    for key, template in (("label_zh", zh), ("label_en", en)):
        fill(template, sample, f"{where}.{key}")


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InvalidInput("must be a list", field=key)
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("must be non-empty text", field=where)
    return value


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"must be a finite number, got {value!r}", field=where)
    return float(value)


def _optional_num(data: Mapping[str, Any], key: str, default: float) -> float | None:
    """A bound that defaults when absent and is switched off by an explicit null."""
    if key not in data:
        return default
    return None if data[key] is None else _num(data[key], key)


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"must be true or false, got {value!r}", field=where)
    return value
