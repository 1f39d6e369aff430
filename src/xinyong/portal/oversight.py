"""The oversight dashboard's figures: how many people and companies each measure reaches and for how long,
how objections and repair applications fare against their deadlines, how many checks each platform made,
and how many of linkage's automatic matches are expected to be wrong — by month and by district.

Districts: an organisation counts in the division its USCC was registered in; a person, an objection and a
repair application in the district of the agency that made the decision. Months are China Standard Time.
The public version withholds counts of people below `SMALL` in any cell, so a table cannot single anyone out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from xinyong.catalog.model import Catalog
from xinyong.clock import Clock, cst_day, today
from xinyong.ids.divisions import PROVINCES
from xinyong.link.audit_estimate import wrongful_match_report
from xinyong.store import Store
from xinyong.store import oversight as repo
from xinyong.store.oversight import CheckCount, MeasureWindow, ObjectionFact, RepairFact

Version = Literal["public", "operator"]
#: Counts of people from 1 to SMALL - 1 are shown as "fewer than SMALL" on the public dashboard.
SMALL = 5
#: How many months the monthly table covers, this month included.
MONTHS = 12
UNKNOWN_DISTRICT = "—"


@dataclass(frozen=True, slots=True)
class MeasureRow:
    """One measure: whom it reaches today and how long, on average, its windows have lasted so far."""

    code: str
    label_zh: str
    label_en: str
    list_code: str
    effect: str
    people: int
    companies: int
    average_days: int | None


@dataclass(frozen=True, slots=True)
class MonthRow:
    """One month: listings started, objections and repair applications filed then and how they fared, checks."""

    month: str
    listed: int
    objections: int
    upheld: int
    objections_late: int
    repairs: int
    granted: int
    repairs_late: int
    checks: int


@dataclass(frozen=True, slots=True)
class DistrictRow:
    """One district: people and companies under a measure today, objections and repairs of its agencies."""

    district: str
    province: str
    people: int
    companies: int
    objections: int
    upheld: int
    late: int
    granted: int


@dataclass(frozen=True, slots=True)
class PlatformRow:
    """One caller that checks subjects: IDs checked, how many were on file, and checks per month."""

    name: str
    role: str
    checks: int
    on_file: int
    by_month: dict[str, int]


@dataclass(frozen=True, slots=True)
class DueProcessTotals:
    """Objections and repair applications over the registry's whole history."""

    objections: int
    upheld: int
    rejected: int
    undecided: int
    objections_late: int
    repairs: int
    granted: int
    refused: int
    pending: int
    repairs_late: int


@dataclass(frozen=True, slots=True)
class LinkageFigures:
    """Linkage's automatic matches and how many of them are expected to be wrong."""

    model_links: int
    expected_false: float
    review: dict[str, int]
    rejection_rate: float | None
    bands: list[dict[str, float]]


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything the dashboard shows, as of one day."""

    version: Version
    as_of: date
    generated_at: datetime
    measures: list[MeasureRow]
    months: list[MonthRow]
    districts: list[DistrictRow]
    platforms: list[PlatformRow]
    totals: DueProcessTotals
    linkage: LinkageFigures
    agencies: list[tuple[str, DueProcessTotals]]

    @property
    def suppress_small(self) -> bool:
        """Whether small counts of people are withheld (the public version)."""
        return self.version == "public"


def compute(store: Store, catalog: Catalog, clock: Clock, version: Version) -> Figures:
    """Count everything the dashboard shows, as of today (CST)."""
    day = today(clock)
    with store.connect() as conn:
        windows = list(repo.measure_windows(conn))
        objections = list(repo.objection_facts(conn))
        repairs = list(repo.repair_facts(conn))
        checks = repo.check_counts(conn)
    months = _month_labels(day)
    report = wrongful_match_report(store)
    linkage = LinkageFigures(
        model_links=report.model_links,
        expected_false=report.expected_false_links,
        review=dict(report.review),
        rejection_rate=report.rejection_rate,
        bands=[{k: float(v) for k, v in band.items()} for band in report.bands],
    )
    by_agency: dict[str, tuple[list[ObjectionFact], list[RepairFact]]] = defaultdict(lambda: ([], []))
    for o in objections:
        by_agency[o.agency][0].append(o)
    for r in repairs:
        by_agency[r.agency][1].append(r)
    return Figures(
        version=version,
        as_of=day,
        generated_at=clock.now(),
        measures=_measures(catalog, windows, day),
        months=_months(months, windows, objections, repairs, checks, day),
        districts=_districts(catalog, windows, objections, repairs, day),
        platforms=_platforms(checks, months),
        totals=_totals(objections, repairs, day),
        linkage=linkage,
        agencies=sorted((agency, _totals(os, rs, day)) for agency, (os, rs) in by_agency.items()),
    )


def objection_late(o: ObjectionFact, day: date) -> bool:
    """Whether the agency missed its deadline: escalated, decided after it, or still undecided past it."""
    if o.escalated_at is not None:
        return True
    if o.decided_at is not None:
        return cst_day(o.decided_at) > o.deadline
    return o.deadline < day


def repair_late(r: RepairFact, day: date) -> bool:
    """Whether an application with a decision deadline was decided after it, or is still pending past it."""
    if r.deadline is None:
        return False
    if r.decided_at is not None:
        return cst_day(r.decided_at) > r.deadline
    return r.status == "pending" and r.deadline < day


def _in_force(w: MeasureWindow, day: date) -> bool:
    return w.valid_from <= day and (w.valid_to is None or day <= w.valid_to)


def _measures(catalog: Catalog, windows: list[MeasureWindow], day: date) -> list[MeasureRow]:
    by_list: dict[str, list[MeasureWindow]] = defaultdict(list)
    for w in windows:
        by_list[w.list_code].append(w)
    rows = []
    for measure in catalog.measures.values():
        reach = [w for w in by_list.get(measure.list, ()) if w.via_role is None or measure.reaches_legal_rep]
        now = [w for w in reach if _in_force(w, day)]
        started = [w for w in reach if w.valid_from <= day]
        lengths = [((min(w.valid_to, day) if w.valid_to else day) - w.valid_from).days + 1 for w in started]
        rows.append(
            MeasureRow(
                code=measure.code,
                label_zh=measure.label_zh,
                label_en=measure.label_en,
                list_code=measure.list,
                effect=measure.effect,
                people=len({w.target_pk for w in now if w.target_kind == "person"}),
                companies=len({w.target_pk for w in now if w.target_kind == "org"}),
                average_days=round(sum(lengths) / len(lengths)) if lengths else None,
            )
        )
    return rows


def _month_labels(day: date) -> list[str]:
    labels = []
    year, month = day.year, day.month
    for _ in range(MONTHS):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return labels[::-1]


def _month_of(value: date | datetime) -> str:
    day = cst_day(value) if isinstance(value, datetime) else value
    return f"{day.year:04d}-{day.month:02d}"


def _months(
    labels: list[str],
    windows: Iterable[MeasureWindow],
    objections: Iterable[ObjectionFact],
    repairs: Iterable[RepairFact],
    checks: Iterable[CheckCount],
    day: date,
) -> list[MonthRow]:
    counts: dict[str, Counter[str]] = {label: Counter() for label in labels}
    for w in windows:
        if w.via_role is None and (c := counts.get(_month_of(w.valid_from))) is not None:
            c["listed"] += 1
    for o in objections:
        if (c := counts.get(_month_of(o.filed_at))) is not None:
            c["objections"] += 1
            c["upheld"] += o.status == "upheld"
            c["objections_late"] += objection_late(o, day)
    for r in repairs:
        if (c := counts.get(_month_of(r.filed_at))) is not None:
            c["repairs"] += 1
            c["granted"] += r.status == "granted"
            c["repairs_late"] += repair_late(r, day)
    for check in checks:
        if (c := counts.get(check.month)) is not None:
            c["checks"] += _checked(check)
    fields = ("listed", "objections", "upheld", "objections_late", "repairs", "granted", "repairs_late", "checks")
    return [MonthRow(label, *(counts[label][f] for f in fields)) for label in labels]


def _checked(count: CheckCount) -> int:
    # A request of several IDs leaves its count in `ids`, and one entry per ID on file that `on_file` repeats;
    # a single check of a subject on file leaves only its own entry.
    if count.action == "check.request":
        return count.ids - count.on_file
    return count.entries


def _district_of(catalog: Catalog, kind: str, target_id: str | None, agency: str) -> str:
    if kind == "org" and target_id and len(target_id) >= 8 and target_id[2:8].isdigit():
        return target_id[2:8]
    found = catalog.agencies.get(agency)
    return found.district if found is not None and found.district else UNKNOWN_DISTRICT


def _districts(
    catalog: Catalog,
    windows: Iterable[MeasureWindow],
    objections: Iterable[ObjectionFact],
    repairs: Iterable[RepairFact],
    day: date,
) -> list[DistrictRow]:
    people: dict[str, set[int]] = defaultdict(set)
    companies: dict[str, set[int]] = defaultdict(set)
    for w in windows:
        if _in_force(w, day):
            district = _district_of(catalog, w.target_kind, w.target_id, w.agency)
            (companies if w.target_kind == "org" else people)[district].add(w.target_pk)
    due: dict[str, Counter[str]] = defaultdict(Counter)
    for o in objections:
        c = due[_district_of(catalog, "person", None, o.agency)]
        c["objections"] += 1
        c["upheld"] += o.status == "upheld"
        c["late"] += objection_late(o, day)
    for r in repairs:
        c = due[_district_of(catalog, "person", None, r.agency)]
        c["granted"] += r.status == "granted"
        c["late"] += repair_late(r, day)
    names = sorted(set(people) | set(companies) | set(due))
    return [
        DistrictRow(
            district=code,
            province=PROVINCES.get(code[:2], ""),
            people=len(people[code]),
            companies=len(companies[code]),
            objections=due[code]["objections"],
            upheld=due[code]["upheld"],
            late=due[code]["late"],
            granted=due[code]["granted"],
        )
        for code in names
    ]


def _platforms(checks: Iterable[CheckCount], labels: list[str]) -> list[PlatformRow]:
    totals: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    months: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for count in checks:
        who = (count.actor, count.role)
        totals[who]["checks"] += _checked(count)
        if count.action == "check":
            totals[who]["on_file"] += count.entries
        months[who][count.month] += _checked(count)
    return sorted(
        (
            PlatformRow(
                name=name,
                role=role,
                checks=c["checks"],
                on_file=c["on_file"],
                by_month={label: months[(name, role)][label] for label in labels},
            )
            for (name, role), c in totals.items()
        ),
        key=lambda row: (-row.checks, row.name),
    )


def _totals(objections: Iterable[ObjectionFact], repairs: Iterable[RepairFact], day: date) -> DueProcessTotals:
    o = list(objections)
    r = list(repairs)
    return DueProcessTotals(
        objections=len(o),
        upheld=sum(x.status == "upheld" for x in o),
        rejected=sum(x.status == "rejected" for x in o),
        undecided=sum(x.status in ("open", "escalated") for x in o),
        objections_late=sum(objection_late(x, day) for x in o),
        repairs=len(r),
        granted=sum(x.status == "granted" for x in r),
        refused=sum(x.status in ("refused", "refused_after_review") for x in r),
        pending=sum(x.status == "pending" for x in r),
        repairs_late=sum(repair_late(x, day) for x in r),
    )
