"""Disparate-impact screening of ratings across policy groups (district, industry, ownership type).

The four-fifths rule is applied to the *favourable* outcome (not an adverse grade): each group's
favourable rate is divided by the highest group's, and a ratio below 0.8 is flagged. Applied to the
adverse rate the ratio would point the wrong way. A flag is a prompt for review, not a finding.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from xinyong.errors import InvalidInput
from xinyong.scoring.metrics import GradeCount, grade_distribution

FOUR_FIFTHS = 0.8


@dataclass(frozen=True)
class GroupImpact:
    """One group's adverse and favourable rates and its ratio to the most favoured group.

    `ratio` is None when no group has any favourable outcome (nothing to compare against).
    """

    group: str
    count: int
    adverse: int
    adverse_rate: float
    favourable_rate: float
    ratio: float | None
    flagged: bool


@dataclass(frozen=True)
class ImpactReport:
    """Per-group impact, the most favoured (reference) group and the threshold used."""

    groups: tuple[GroupImpact, ...]
    reference: str
    threshold: float

    @property
    def flagged(self) -> tuple[str, ...]:
        return tuple(g.group for g in self.groups if g.flagged)


def adverse_impact(groups: Sequence[str], adverse: Sequence[bool], threshold: float = FOUR_FIFTHS) -> ImpactReport:
    """Adverse rate per group and each group's favourable-rate ratio to the best group's.

    Groups are listed alphabetically; the reference is the group with the highest favourable rate
    (the alphabetically first among equals).
    """
    if len(groups) != len(adverse):
        raise InvalidInput(f"{len(groups)} group labels for {len(adverse)} outcomes", field="adverse")
    if not groups:
        raise InvalidInput("no rated entities", field="groups")
    if not 0 < threshold <= 1:
        raise InvalidInput("must lie in (0, 1]", field="threshold")
    totals: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    for group, flag in zip(groups, adverse, strict=True):
        totals[str(group)] += 1
        bad[str(group)] += bool(flag)
    names = sorted(totals)
    favourable = {g: 1 - bad[g] / totals[g] for g in names}
    reference = max(names, key=lambda g: (favourable[g], -names.index(g)))
    best = favourable[reference]
    impacts = []
    for g in names:
        ratio = favourable[g] / best if best > 0 else None
        impacts.append(
            GroupImpact(
                group=g,
                count=totals[g],
                adverse=bad[g],
                adverse_rate=bad[g] / totals[g],
                favourable_rate=favourable[g],
                ratio=ratio,
                flagged=ratio is not None and ratio < threshold,
            )
        )
    return ImpactReport(tuple(impacts), reference, threshold)


def adverse_flags(grades: Iterable[str], adverse_grades: Collection[str]) -> list[bool]:
    """Which ratings are adverse, e.g. grades C and D."""
    if not adverse_grades:
        raise InvalidInput("name at least one adverse grade", field="adverse_grades")
    return [g in adverse_grades for g in grades]


def grade_distribution_by_group(
    groups: Sequence[str], grades: Sequence[str], order: Sequence[str] | None = None
) -> dict[str, list[GradeCount]]:
    """The grade distribution of each group, groups alphabetically, grades in `order`."""
    if len(groups) != len(grades):
        raise InvalidInput(f"{len(groups)} group labels for {len(grades)} grades", field="grades")
    by_group: defaultdict[str, list[str]] = defaultdict(list)
    for group, grade in zip(groups, grades, strict=True):
        by_group[str(group)].append(grade)
    # Every group lists every grade seen anywhere, so the tables line up side by side.
    full_order = list(order or []) + sorted({g for g in grades if g not in (order or [])})
    return {g: grade_distribution(by_group[g], full_order) for g in sorted(by_group)}
