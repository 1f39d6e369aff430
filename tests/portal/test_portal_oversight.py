"""The oversight figures counted from the sample registry: who is under each measure and for how long,
the checks per platform, due-process totals, and linkage's expected wrong matches."""

from __future__ import annotations

import pytest
from portal_samples import ORG_ID, PERSON_ID, PLATFORM, Sample

from xinyong.bootstrap import Services
from xinyong.clock import FixedClock
from xinyong.due_process import Actor, objections
from xinyong.portal.oversight import compute

pytestmark = pytest.mark.integration


def test_figures_count_people_and_companies_under_each_measure(services: Services, sample: Sample) -> None:
    figures = compute(services.store, services.catalog, services.clock, "public")
    by_code = {m.code: m for m in figures.measures}
    defaulter = [m for m in figures.measures if m.list_code == "defaulter"]
    assert defaulter
    # The company and the person are both on the defaulter list since 2025-01-10: 143 days by 2025-06-01.
    assert {(m.people, m.companies, m.average_days) for m in defaulter} == {(1, 1, 143)}
    restricted = [m for m in figures.measures if m.list_code == "consumption_restricted"]
    assert {(m.people, m.companies) for m in restricted} == {(1, 0)}
    assert all(m.people == m.companies == 0 for m in by_code.values() if m.list_code == "abnormal_operations")
    assert figures.as_of.isoformat() == "2025-06-01"


def test_figures_count_checks_per_platform_and_month(services: Services, sample: Sample) -> None:
    figures = compute(services.store, services.catalog, services.clock, "operator")
    [platform] = figures.platforms
    assert (platform.name, platform.role, platform.checks, platform.on_file) == (PLATFORM, "platform", 6, 2)
    assert platform.by_month["2025-05"] == 6
    may = next(row for row in figures.months if row.month == "2025-05")
    assert may.checks == 6
    assert next(row for row in figures.months if row.month == "2025-01").listed == 3


def test_figures_follow_objections_through_their_deadlines(services: Services, sample: Sample) -> None:
    by = Actor("tester", "subject")
    first = objections.file(
        services.store,
        services.catalog,
        services.clock,
        subject=PERSON_ID,
        record="court.110105:D-PERSON",
        grounds="paid",
        by=by,
    )
    objections.file(
        services.store,
        services.catalog,
        services.clock,
        subject=ORG_ID,
        record="samr.110000:P-2025",
        grounds="wrong amount",
        by=by,
    )
    objections.decide(
        services.store, services.catalog, services.clock, first.key, decision="withdraw", reason="paid", by=by
    )
    figures = compute(services.store, services.catalog, services.clock, "operator")
    totals = figures.totals
    assert (totals.objections, totals.upheld, totals.undecided, totals.objections_late) == (2, 1, 1, 0)
    june = next(row for row in figures.months if row.month == "2025-06")
    assert (june.objections, june.upheld) == (2, 1)
    agencies = dict(figures.agencies)
    assert agencies["court.110105"].upheld == 1
    assert agencies["samr.110000"].undecided == 1
    # Later, with the second objection's deadline long past, it counts as missed.
    later = compute(services.store, services.catalog, FixedClock(services.clock.now().replace(year=2026)), "operator")
    assert later.totals.objections_late == 1


def test_figures_report_linkage_from_the_model_links(services: Services, sample: Sample) -> None:
    figures = compute(services.store, services.catalog, services.clock, "public")
    assert figures.linkage.model_links == 0
    assert figures.linkage.review["open"] == 1
    districts = {d.district: d for d in figures.districts}
    assert districts["110105"].companies == 1  # the company's code was registered in Chaoyang
    assert districts["110105"].people == 1  # the person is counted where the deciding court sits
