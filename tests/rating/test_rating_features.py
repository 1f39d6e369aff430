"""Features as of a day: only what the registry knew by then, legal time respected, one SQL text for two engines."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pytest
from rating_samples import arrow_entities, arrow_records, org_id

from xinyong.catalog import default_catalog
from xinyong.catalog.model import RatingModel
from xinyong.clock import CST
from xinyong.errors import InvalidInput
from xinyong.rating import end_of_day, feature_query, from_tables, outcome_query
from xinyong.rating.assemble import REGISTER_SCHEMA

D = date(2025, 6, 30)


def model(*features: dict[str, Any]) -> RatingModel:
    labels = {"label_zh": "特征", "label_en": "feature"}
    return RatingModel.model_validate(
        {
            "code": "probe",
            "label_zh": "探针",
            "label_en": "probe",
            "kind": "rule",
            "version": "1",
            "features": [{**labels, **f} for f in features],
            "grades": [
                {"grade": "A", "min": 1, "label_zh": "A", "label_en": "A", "inspection_weight": 1},
                {"grade": "D", "label_zh": "D", "label_en": "D", "inspection_weight": 1},
            ],
            "rule": {"start": 1},
        }
    )


def run(decl: RatingModel, rows: list[dict[str, Any]], *, known_at: datetime | None = None, **kw: Any) -> dict:
    pks = sorted({r["subject_pk"] for r in rows})
    data = from_tables(arrow_records(rows), arrow_entities(pks), kw.get("register"))
    try:
        frame = data.features(decl, default_catalog(), day=kw.get("day", D), known_at=known_at)
    finally:
        data.close()
    return {int(r["subject_pk"]): r for r in frame.to_dict("records")}


COUNT = {"code": "penalties", "agg": "count", "record_types": ["admin.penalty"], "months": 12}


def test_count_window_and_decision_date() -> None:
    rows = [
        {"subject_pk": 1, "record_type": "admin.penalty", "decided_on": date(2025, 6, 30)},  # on D: counts
        {"subject_pk": 1, "record_type": "admin.penalty", "decided_on": date(2024, 7, 1)},  # inside 12 months
        {"subject_pk": 1, "record_type": "admin.penalty", "decided_on": date(2024, 6, 30)},  # 12 months ago: out
        {"subject_pk": 1, "record_type": "admin.penalty", "decided_on": date(2025, 7, 1)},  # after D: never
        {"subject_pk": 1, "record_type": "admin.license", "decided_on": date(2025, 1, 1)},  # other type
    ]
    assert run(model(COUNT), rows)[1]["penalties"] == 2


def test_system_time_hides_what_was_recorded_later() -> None:
    rows = [
        {"subject_pk": 1, "record_type": "admin.penalty", "decided_on": date(2025, 3, 1)},
        # Decided before D but only recorded after D: unknown on D in system time, known in legal time.
        {
            "subject_pk": 1,
            "record_type": "admin.penalty",
            "decided_on": date(2025, 3, 2),
            "recorded_at": datetime(2025, 7, 5),
        },
    ]
    cut = end_of_day(D)
    assert run(model(COUNT), rows, known_at=cut)[1]["penalties"] == 1
    assert run(model(COUNT), rows, known_at=None)[1]["penalties"] == 2


def test_superseded_versions_answer_for_their_own_time() -> None:
    # Version 1 (general) was corrected to serious after D: as of D the general version stands.
    base = {"subject_pk": 1, "record_type": "admin.penalty", "decided_on": date(2025, 2, 1)}
    rows = [
        {**base, "severity": "general", "recorded_at": datetime(2025, 2, 2), "superseded_at": datetime(2025, 8, 1)},
        {**base, "severity": "serious", "recorded_at": datetime(2025, 8, 1)},
    ]
    serious = model({**COUNT, "code": "serious", "severity": ["serious"]})
    assert run(serious, rows, known_at=end_of_day(D))[1]["serious"] == 0
    assert run(serious, rows, known_at=datetime(2025, 9, 1, tzinfo=CST))[1]["serious"] == 1


def test_in_force_uses_end_dates_and_catalog_default_periods() -> None:
    listing = {"subject_pk": 1, "record_type": "market.abnormal_operations"}
    rows = [
        {**listing, "decided_on": date(2025, 1, 1)},  # no end date, 36-month default: in force
        {**listing, "decided_on": date(2022, 6, 30)},  # default period ran out on 2025-06-29
        {**listing, "decided_on": date(2022, 7, 1)},  # last day of its default period is D
        {**listing, "decided_on": date(2024, 1, 1), "valid_to": date(2025, 6, 29), "status": "fulfilled"},
        {**listing, "decided_on": date(2024, 1, 1), "valid_to": date(2025, 12, 31), "status": "fulfilled"},
        {**listing, "decided_on": date(2025, 2, 1), "status": "revoked"},  # void: never counts
        {**listing, "decided_on": date(2025, 2, 1), "status": "fulfilled"},  # ended, date unknown
    ]
    decl = model({"code": "listed", "agg": "in_force", "record_types": ["market.abnormal_operations"]})
    assert run(decl, rows)[1]["listed"] == 3


def test_latest_value_recency_amount_and_fulfilment() -> None:
    rows = [
        {"subject_pk": 1, "record_type": "tax.rating", "decided_on": date(2024, 4, 10), "grade": "B"},
        {"subject_pk": 1, "record_type": "tax.rating", "decided_on": date(2025, 4, 10), "grade": "D"},
        {"subject_pk": 1, "record_type": "admin.penalty", "decided_on": date(2024, 6, 30), "amount": 1000.0},
        {"subject_pk": 1, "record_type": "admin.penalty", "decided_on": date(2025, 6, 30), "amount": 500.5},
        {
            "subject_pk": 1,
            "record_type": "court.consumption_restriction",
            "decided_on": date(2024, 1, 1),
            "status": "fulfilled",
            "valid_to": date(2025, 1, 1),
        },
        {"subject_pk": 2, "record_type": "admin.license", "decided_on": date(2025, 1, 1)},
    ]
    decl = model(
        {"code": "tax_grade", "agg": "latest", "record_types": ["tax.rating"], "value_of": "grade", "months": 24},
        {"code": "fines", "agg": "amount", "record_types": ["admin.penalty"], "months": 36},
        {"code": "since", "agg": "years_since", "record_types": ["admin.penalty"]},
        {"code": "paid", "agg": "fulfilled", "record_types": ["court.consumption_restriction"], "months": 36},
    )
    got = run(decl, rows)
    assert got[1]["tax_grade"] == "D"
    assert got[1]["fines"] == pytest.approx(1500.5)
    assert got[1]["since"] == 0.0
    assert got[1]["paid"] == 1
    assert got[2]["tax_grade"] is None  # no rating: missing, not a grade
    assert got[2]["since"] != got[2]["since"] or got[2]["since"] is None  # NaN: never penalised
    assert got[2]["fines"] == 0.0


def test_age_from_the_register_else_the_earliest_record() -> None:
    rows = [
        {"subject_pk": 1, "record_type": "admin.license", "decided_on": date(2023, 6, 30)},
        {"subject_pk": 2, "record_type": "admin.license", "decided_on": date(2024, 6, 30)},
    ]
    register = pa.Table.from_pydict(
        {
            "uscc": [org_id(1)],
            "registered_on": [date(2015, 6, 30)],
            "capital": [5e6],
            "industry": ["F"],
            "ownership": ["private"],
            "district": ["朝阳区"],
        },
        schema=REGISTER_SCHEMA,
    )
    decl = model({"code": "age", "agg": "age_years"}, {"code": "capital", "agg": "register", "value_of": "capital"})
    with_register = run(decl, rows, register=register)
    assert with_register[1]["age"] == pytest.approx(3653 / 365.25)
    assert with_register[1]["capital"] == 5e6
    assert with_register[2]["age"] == pytest.approx(1.0, abs=0.01)  # not in the register: earliest record
    without = run(decl, rows)
    assert without[1]["age"] == pytest.approx(2.0, abs=0.01)
    assert without[1]["capital"] != without[1]["capital"]  # NaN without a register


def test_entities_without_known_records_are_not_rated_on_that_day() -> None:
    rows = [
        {"subject_pk": 1, "record_type": "admin.license", "decided_on": date(2025, 1, 1)},
        {"subject_pk": 2, "record_type": "admin.license", "decided_on": date(2025, 8, 1)},
    ]
    assert sorted(run(model(COUNT), rows)) == [1]


def test_the_same_sql_text_serves_duckdb_and_spark_but_the_day_count() -> None:
    decl = default_catalog().rating_models["risk_scorecard"]
    duck = feature_query(decl, default_catalog(), day=D, known_at=end_of_day(D), dialect="duckdb")
    spark = feature_query(decl, default_catalog(), day=D, known_at=end_of_day(D), dialect="spark")
    assert "date_diff('day', a.f_years_since_penalty, DATE '2025-06-30')" in duck
    assert "datediff(DATE '2025-06-30', a.f_years_since_penalty)" in spark
    # With the day count written one way, the two texts are identical.
    same_duck = re.sub(r"date_diff\('day', ([^,]+), (DATE '[0-9-]+')\)", r"DAYS(\1, \2)", duck)
    same_spark = re.sub(r"datediff\((DATE '[0-9-]+'), ([^)]+)\)", r"DAYS(\2, \1)", spark)
    assert same_duck == same_spark
    assert "DAYS(" in same_duck
    for text in (duck, spark):
        assert "TIMESTAMP '2025-06-30 15:59:59.999999'" in text  # end of the CST day, in UTC
        assert '"' not in text
        assert "`" not in text
        assert "::" not in text
        assert "INTERVAL" not in text  # dates are computed in Python, not by the engine
    with pytest.raises(InvalidInput, match="dialect"):
        feature_query(decl, default_catalog(), day=D, known_at=None, dialect="oracle")  # type: ignore[arg-type]


def test_outcome_window_after_the_day() -> None:
    outcome = default_catalog().rating_models["risk_scorecard"].outcome
    assert outcome is not None
    rows = [
        {"subject_pk": 1, "record_type": "admin.penalty", "severity": "serious", "decided_on": date(2026, 6, 30)},
        {"subject_pk": 2, "record_type": "admin.penalty", "severity": "general", "decided_on": date(2025, 9, 1)},
        {"subject_pk": 3, "record_type": "court.defaulter", "decided_on": date(2025, 6, 30)},  # on D: before
        {"subject_pk": 4, "record_type": "court.consumption_restriction", "decided_on": date(2026, 7, 1)},  # after
    ]
    data = from_tables(arrow_records(rows), arrow_entities([1, 2, 3, 4]))
    try:
        assert list(data.outcomes(outcome, [1, 2, 3, 4], day=D)) == [1, 0, 0, 0]
    finally:
        data.close()
    assert "decided_on > DATE '2025-06-30' AND decided_on <= DATE '2026-06-30'" in outcome_query(outcome, day=D)


def test_a_naive_cut_is_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        feature_query(model(COUNT), default_catalog(), day=D, known_at=datetime(2025, 1, 1))
