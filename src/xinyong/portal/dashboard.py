"""The oversight dashboard as a page: the figures (counted at most once a minute) and their charts, drawn
in the reader's language next to tables with the same numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from markupsafe import Markup

from xinyong.portal import oversight
from xinyong.portal.charts import Series, bar_chart, column_chart, empty
from xinyong.portal.i18n import translations
from xinyong.portal.oversight import Figures, MeasureRow, Version
from xinyong.portal.rendering import language
from xinyong.portal.state import portal_state, services_of
from xinyong.portal.words import coder


@dataclass(frozen=True, slots=True)
class MeasureGroup:
    """Measures of one list that reach exactly the same people and companies, shown as one row."""

    list_code: str
    effect: str
    people: int
    companies: int
    average_days: int | None
    measures: tuple[MeasureRow, ...]


def grouped(rows: list[MeasureRow]) -> list[MeasureGroup]:
    """Measures grouped by list, effect and reach, in catalog order: a list's eleven bans read as one row."""
    groups: dict[tuple[str, str, int, int, int | None], list[MeasureRow]] = {}
    for row in rows:
        groups.setdefault((row.list_code, row.effect, row.people, row.companies, row.average_days), []).append(row)
    return [MeasureGroup(*key, measures=tuple(members)) for key, members in groups.items()]


def figures(request: Request, version: Version) -> Figures:
    """The figures of one version of the dashboard, from the cache when they are less than a minute old."""
    services = services_of(request)
    cache = portal_state(request).figures_cache(version)
    found: Figures = cache.get(lambda: oversight.compute(services.store, services.catalog, services.clock, version))
    return found


def dashboard_context(request: Request, version: Version) -> dict[str, Any]:
    """What `oversight.html` shows: the figures, their charts, and the small-count rule."""
    data = figures(request, version)
    lang, _ = language(request)
    _t = translations(lang).gettext
    groups = grouped(data.measures)
    shown = [g for g in groups if g.people or g.companies] or groups
    catalog = services_of(request).catalog
    code = coder(_t)
    labels = []
    for g in shown:
        list_type = catalog.lists.get(g.list_code)
        name = (list_type.label_zh if lang == "zh" else list_type.label_en) if list_type else g.list_code
        labels.append(f"{name} · {code('effect', g.effect)} ({len(g.measures)})")
    months = [row.month for row in data.months]
    per_list = [
        Series(_t("People"), [g.people for g in shown]),
        Series(_t("Companies"), [g.companies for g in shown]),
    ]
    listed = [Series(_t("Listings started"), [row.listed for row in data.months])]
    objected = [
        Series(_t("Filed"), [row.objections for row in data.months]),
        Series(_t("Upheld"), [row.upheld for row in data.months]),
        Series(_t("Deadline missed"), [row.objections_late for row in data.months]),
    ]
    checked = [Series(_t("Checks"), [row.checks for row in data.months])]
    charts: dict[str, Markup] = {}
    if not empty(per_list):
        charts["measures"] = bar_chart(
            _t("People and companies under each measure today"),
            _t("One pair of bars per list and group of measures (how many in brackets); the table below names them."),
            labels,
            per_list,
        )
    if not empty(listed):
        charts["listings"] = column_chart(
            _t("Listings started per month"),
            _t("New listings per month over the last twelve months; the monthly table gives the numbers."),
            months,
            listed,
        )
    if not empty(objected):
        charts["objections"] = column_chart(
            _t("Objections per month and how they fared"),
            _t("Objections filed, upheld and decided late, by month of filing."),
            months,
            objected,
        )
    if not empty(checked):
        charts["checks"] = column_chart(
            _t("Checks by platforms per month"),
            _t("Identifiers checked against the measures, all callers together, by month."),
            months,
            checked,
        )
    return {
        "figures": data,
        "charts": charts,
        "measures": groups,
        "small": oversight.SMALL,
        "operator": version == "operator",
    }
