"""Rating features: declared in the catalog, compiled to one SQL query per as-of day.

A feature as of day D sees only what the registry knew at the system-time cut (versions recorded by
then and not yet superseded; with `known_at=None`, the current versions, for a registry whose history
was loaded after the fact) and only decisions dated on or before D. All date arithmetic happens here in
Python and reaches the SQL as DATE and TIMESTAMP literals, so the text is the same for DuckDB and Spark
SQL; the one dialect difference, counting days between two dates, is isolated in `days_between`.
Revoked decisions never count.

The query reads three tables: `records` (the columns of `xinyong.store.ratings.RECORD_COLUMNS`, times
as UTC without zone), `entities` (subject_pk, subject_key, uscc, name: organisations only) and,
optionally, `register` (uscc, registered_on, capital, industry, ownership, district).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from xinyong.catalog.model import Catalog, RatingFeature, RatingModel, RatingOutcome
from xinyong.clock import CST
from xinyong.dates import add_months
from xinyong.errors import InvalidInput

Dialect = Literal["duckdb", "spark"]
DIALECTS: tuple[Dialect, ...] = ("duckdb", "spark")
DAYS_PER_YEAR = 365.25
#: Columns every feature frame starts with, before the features themselves.
KEY_COLUMNS = ("subject_pk", "subject_key", "uscc")
#: The store's amount type (CNY with cents), in which amounts are summed.
AMOUNT_DECIMAL = "DECIMAL(18, 2)"
#: Columns of the company register, when one is supplied.
REGISTER_COLUMNS = ("uscc", "registered_on", "capital", "industry", "ownership", "district")

_LITERAL = re.compile(r"[A-Za-z0-9_.\-]+")


def end_of_day(day: date) -> datetime:
    """The last instant of a China Standard Time day, in UTC: the system-time cut for a snapshot."""
    return datetime.combine(day + timedelta(days=1), time(0), CST).astimezone(UTC) - timedelta(microseconds=1)


def days_between(start: str, end: str, dialect: Dialect) -> str:
    """Whole days from `start` to `end` (both DATE expressions); the only dialect-specific function here."""
    if dialect == "duckdb":
        return f"date_diff('day', {start}, {end})"
    if dialect == "spark":
        return f"datediff({end}, {start})"
    raise InvalidInput(f"dialect must be one of {DIALECTS}, got {dialect!r}", field="dialect")


def feature_query(
    model: RatingModel,
    catalog: Catalog,
    *,
    day: date,
    known_at: datetime | None,
    dialect: Dialect = "duckdb",
    register: bool = False,
) -> str:
    """One row per organisation the registry knew a record of by the cut, with every feature of `model`."""
    days_between("a", "b", dialect)  # validates the dialect before anything is built
    d = _date(day)
    aggregates = ["MIN(decided_on) AS first_seen"]
    finals: list[str] = []
    ctes: list[str] = []
    joins: list[str] = []
    for feature in model.features:
        aggregate, final, cte = _compile(feature, catalog, day, dialect, register)
        if aggregate:
            aggregates.append(f"{aggregate} AS f_{feature.code}")
        if cte:
            ctes.append(cte)
            joins.append(f"LEFT JOIN latest_{feature.code} ON latest_{feature.code}.subject_pk = e.subject_pk")
        finals.append(f"{final} AS {feature.code}")
    if register:
        joins.append("LEFT JOIN register r ON r.uscc = e.uscc")
    known = (
        "known AS (\n  SELECT pk, subject_pk, record_type, severity, status, amount, grade, result,"
        " decided_on, valid_from, valid_to\n  FROM records\n"
        f"  WHERE decided_on <= {d} AND status <> 'revoked' AND {_system_time(known_at)}\n)"
    )
    agg = "agg AS (\n  SELECT subject_pk,\n    " + ",\n    ".join(aggregates)
    agg += "\n  FROM known\n  GROUP BY subject_pk\n)"
    head = ", ".join(f"e.{c}" for c in KEY_COLUMNS)
    return (
        "WITH "
        + ",\n".join([known, agg, *ctes])
        + f"\nSELECT {head},\n  "
        + ",\n  ".join(finals)
        + "\nFROM entities e\nJOIN agg a ON a.subject_pk = e.subject_pk\n"
        + "".join(f"{j}\n" for j in joins)
        + "ORDER BY e.subject_pk"
    )


def outcome_query(outcome: RatingOutcome, *, day: date) -> str:
    """Per subject with any record decided in (day, day + months]: 1 when one of them is the outcome.

    Outcomes are read from the current versions: the label is measured after the fact, so corrections
    made since belong to it. Subjects absent from the result had no record in the window (outcome 0).
    """
    end = add_months(day, outcome.months)
    conditions = []
    for event in outcome.any_of:
        parts = [f"record_type IN ({_list(event.record_types)})"]
        if event.severity:
            parts.append(f"severity IN ({_list(event.severity)})")
        conditions.append("(" + " AND ".join(parts) + ")")
    return (
        f"SELECT subject_pk, MAX(CASE WHEN {' OR '.join(conditions)} THEN 1 ELSE 0 END) AS bad\n"
        f"FROM records\nWHERE superseded_at IS NULL AND status <> 'revoked'"
        f" AND decided_on > {_date(day)} AND decided_on <= {_date(end)}\nGROUP BY subject_pk"
    )


def _compile(
    feature: RatingFeature, catalog: Catalog, day: date, dialect: Dialect, register: bool
) -> tuple[str | None, str, str | None]:
    """(aggregate over `known` or None, final expression, extra CTE or None) of one feature."""
    d = _date(day)
    code = feature.code
    where = _filter(feature, day)
    agg = feature.agg
    if agg == "count":
        return f"CAST(SUM(CASE WHEN {where} THEN 1 ELSE 0 END) AS BIGINT)", f"a.f_{code}", None
    if agg == "amount":
        # Summed as exact decimals (the store keeps cents), so the double does not depend on the order in
        # which an engine's threads or partitions add it up: DuckDB and Spark give the same bits.
        total = f"SUM(CASE WHEN {where} THEN CAST(amount AS {AMOUNT_DECIMAL}) END)"
        return f"CAST(COALESCE({total}, 0) AS DOUBLE)", f"a.f_{code}", None
    if agg == "years_since":
        years = f"CAST({days_between(f'a.f_{code}', d, dialect)} AS DOUBLE) / {DAYS_PER_YEAR}e0"
        return f"MAX(CASE WHEN {where} THEN decided_on END)", years, None
    if agg == "in_force":
        in_force = f"{where} AND {_in_force(feature.record_types, catalog, day)}"
        return f"CAST(SUM(CASE WHEN {in_force} THEN 1 ELSE 0 END) AS BIGINT)", f"a.f_{code}", None
    if agg == "fulfilled":
        ended = f"{where} AND status = 'fulfilled' AND valid_to IS NOT NULL AND valid_to <= {d}"
        return f"CAST(SUM(CASE WHEN {ended} THEN 1 ELSE 0 END) AS BIGINT)", f"a.f_{code}", None
    if agg == "latest":
        cte = (
            f"latest_{code} AS (\n  SELECT subject_pk, value FROM (\n"
            f"    SELECT subject_pk, {feature.value_of} AS value, ROW_NUMBER() OVER"
            " (PARTITION BY subject_pk ORDER BY decided_on DESC, pk DESC) AS rn\n"
            f"    FROM known WHERE {where}\n  ) ranked WHERE rn = 1\n)"
        )
        return None, f"latest_{code}.value", cte
    if agg == "age_years":
        start = "COALESCE(r.registered_on, a.first_seen)" if register else "a.first_seen"
        years = f"CAST({days_between(start, d, dialect)} AS DOUBLE) / {DAYS_PER_YEAR}e0"
        return None, f"GREATEST({years}, 0.0e0)", None
    if agg == "register":
        if register:
            return None, f"r.{feature.value_of}", None
        kind = "STRING" if feature.categorical else "DOUBLE"  # STRING: Spark's name, a DuckDB alias
        return None, f"CAST(NULL AS {kind})", None
    if agg == "id_part":
        return None, "SUBSTR(e.uscc, 1, 2)", None
    raise InvalidInput(f"unknown aggregation {agg!r}", field=code)  # pragma: no cover - the catalog checks


def _filter(feature: RatingFeature, day: date) -> str:
    parts = [f"record_type IN ({_list(feature.record_types)})"]
    for column in ("severity", "result", "grade"):
        values: Sequence[str] = getattr(feature, column)
        if values:
            parts.append(f"{column} IN ({_list(values)})")
    if feature.months is not None:
        parts.append(f"decided_on > {_date(add_months(day, -feature.months))}")
    return "(" + " AND ".join(parts) + ")"


def _in_force(record_types: Sequence[str], catalog: Catalog, day: date) -> str:
    """Legal effect covers the day: by its own end date, else until the catalog's default period for the
    type runs out (counted from valid_from or the decision), else until a later version ends it."""
    d = _date(day)
    defaults = []
    for code in record_types:
        months = catalog.record_types[code].default_valid_months
        if months is not None:
            start_after = _date(add_months(day, -months))
            defaults.append(f"(record_type = {_text(code)} AND COALESCE(valid_from, decided_on) <= {start_after})")
    expired = f" AND NOT ({' OR '.join(defaults)})" if defaults else ""
    return (
        f"(valid_from IS NULL OR valid_from <= {d}) AND ((valid_to IS NOT NULL AND valid_to >= {d})"
        f" OR (valid_to IS NULL AND status = 'in_force'{expired}))"
    )


def _system_time(known_at: datetime | None) -> str:
    if known_at is None:
        return "superseded_at IS NULL"
    if known_at.tzinfo is None:
        raise InvalidInput("the system-time cut must carry a time zone", field="known_at")
    cut = known_at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return f"recorded_at <= TIMESTAMP '{cut}' AND (superseded_at IS NULL OR superseded_at > TIMESTAMP '{cut}')"


def _date(day: date) -> str:
    return f"DATE '{day.isoformat()}'"


def _text(value: str) -> str:
    # Catalog codes only; anything else would be a bug, and a quote would break portability.
    if not _LITERAL.fullmatch(value):
        raise InvalidInput(f"{value!r} is not a plain code fit for a SQL literal", field="feature")
    return f"'{value}'"


def _list(values: Sequence[str]) -> str:
    return ", ".join(_text(v) for v in values)
