"""Rating on Spark gives what rating on DuckDB gives: the same features, and the same ratings written back
(grade, score, reasons, model version), on one small synthetic province.

Equality is exact, floating point included. Both engines run the same SQL text on the same doubles:
counts are integers, years are one integer day count divided by 365.25, amounts are summed as exact
decimals (cents) before the one conversion to double, and a score is the intercept plus one constant
per feature bin, added left to right in the same expression; each of these is one correctly rounded
IEEE operation on equal operands, so the bits agree and any difference is a real divergence.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rating_samples import RecordMaker, org_id, risky_registry
from typer.testing import CliRunner

from xinyong.catalog import default_catalog
from xinyong.cli.app import app
from xinyong.clock import FixedClock, clock_from
from xinyong.ingest import ingest_paths
from xinyong.rating import end_of_day, open_tables, rate_all, resolve, train
from xinyong.store import Store, subjects
from xinyong.store import ratings as repo

pytestmark = [pytest.mark.spark, pytest.mark.integration]

#: The day the province is rated (after every feed was ingested).
RATED_ON = "2026-07-01"
CATALOG = default_catalog()


@dataclass(frozen=True)
class Province:
    """A registry built from the synthetic province's feeds plus organisations with a latent risk, with a
    trained statistical scorecard; `cut` is a system time by which only the first three feeds were known."""

    store: Store
    register: Path
    cut: datetime
    home: Path


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Province]:
    synth = pytest.importorskip("xinyong.synth")
    root = tmp_path_factory.mktemp("spark-province")
    synth.generate(root / "feeds", synth.SynthParams(orgs=600, persons=600, years=5))
    truth = json.loads((root / "feeds" / "truth" / "feeds.json").read_text(encoding="utf-8"))
    start = clock_from(truth["ingest_now"]["from"]).now()
    store = Store(f"sqlite:///{root / 'xinyong.db'}")
    store.init()
    # Each feed an hour after the last, so a system-time cut between them sees part of the registry.
    for k, feed in enumerate(truth["feeds"]):
        clock = FixedClock(start + timedelta(hours=k))
        ingest_paths(store, CATALOG, clock, [root / "feeds" / feed["path"]], feed["agency"], home=root / "home")
    risky_registry(store, orgs=400)  # organisations whose records carry a risk the scorecard can learn
    _fines_in_cents(store)
    register = root / "feeds" / "truth" / "subjects.csv"
    train(store, CATALOG, clock_from(RATED_ON), history="legal", register=register)
    try:
        yield Province(store, register, start + timedelta(hours=2, minutes=30), root / "home")
    finally:
        store.dispose()


def _fines_in_cents(store: Store) -> None:
    """Fines with cents on a hundred of the risky organisations: sums a double would round by order."""
    rng = random.Random(5)
    make = RecordMaker()
    with store.unit_of_work() as conn:
        for n in range(10_000, 10_100):
            org = subjects.get_by_id_value(conn, org_id(n))
            assert org is not None
            for _ in range(rng.randint(2, 6)):
                day = date(2024, 1, 1) + timedelta(days=rng.randint(0, 800))
                cents = Decimal(rng.randint(1, 10_000_000)) / 100
                make(conn, org, "admin.penalty", day, severity="general", amount=cents)


def _frames(province: Province, engine: str, spark_master: str) -> dict[str, pd.DataFrame]:
    # The statistical model's features use every kind of aggregation the catalog has (the rule model's
    # are a subset, and its ratings are compared below).
    with province.store.connect() as conn:
        decl = resolve(conn, CATALOG, "risk_scorecard").decl
    cuts: list[tuple[date, datetime | None]] = [
        (date(2026, 7, 1), None),  # today's versions
        (date(2026, 7, 1), province.cut),  # what the registry had recorded by the cut
        (date(2025, 3, 31), end_of_day(date(2025, 3, 31))),  # an earlier day, as known then
    ]
    data = open_tables(province.store, engine, register=province.register, spark_master=spark_master)
    out = {}
    try:
        for day, known_at in cuts:
            data.materialise("features", decl, CATALOG, day=day, known_at=known_at)
            out[f"{day}@{known_at}"] = data.query("SELECT * FROM features ORDER BY subject_pk")
    finally:
        data.close()
    return out


def test_features_are_identical(province: Province, spark_master: str) -> None:
    duck = _frames(province, "duckdb", spark_master)
    spark = _frames(province, "spark", spark_master)
    assert list(spark) == list(duck)
    for key, frame in duck.items():
        pd.testing.assert_frame_equal(spark[key], frame, check_exact=True, obj=key)
    today = duck["2026-07-01@None"]
    assert len(today) > 900
    # The province exercises what could differ: fines with cents, register columns, recency in years.
    assert (today["fines_3y"] % 1 != 0).sum() > 50
    assert today["capital"].notna().any()
    assert today["years_since_penalty"].notna().any()
    assert today["tax_grade"].notna().any()
    assert 0 < len(duck[f"2026-07-01@{province.cut}"]) < len(today)


def _stored(store: Store, run: str) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [{k: v for k, v in asdict(r).items() if k not in ("pk", "run")} for r in repo.run_ratings(conn, run)]


def test_ratings_written_back_are_identical(
    province: Province, spark_master: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = clock_from(RATED_ON)
    store, register = province.store, province.register
    duck = rate_all(store, CATALOG, clock, code="risk_scorecard", register=register, out=tmp_path / "duck.jsonl")
    spark = rate_all(
        store,
        CATALOG,
        clock,
        code="risk_scorecard",
        register=register,
        out=tmp_path / "spark.jsonl",
        engine="spark",
        spark_master=spark_master,
    )
    assert (spark.model, spark.version, spark.rated, spark.distribution) == (
        duck.model,
        duck.version,
        duck.rated,
        duck.distribution,
    )
    assert _stored(store, spark.run) == _stored(store, duck.run)
    assert (tmp_path / "spark.jsonl").read_bytes() == (tmp_path / "duck.jsonl").read_bytes()
    scored = _stored(store, duck.run)
    assert len({r["score"] for r in scored}) > 20  # a real scorecard, not a constant
    assert sum(1 for g in duck.distribution if g.count) >= 3
    assert any(r["reasons"] for r in scored)

    # The rule model through the command line, the engine chosen by XINYONG_ENGINE alone.
    rule = rate_all(store, CATALOG, clock, code="tax_style", register=register)
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_HOME", str(province.home))
    monkeypatch.setenv("XINYONG_NOW", RATED_ON)
    monkeypatch.setenv("XINYONG_ENGINE", "spark")
    monkeypatch.setenv("XINYONG_SPARK_MASTER", spark_master)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["rate", "--model", "tax_style", "--register", str(register), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["grades"] == rule.as_dict()["grades"]
    assert _stored(store, doc["run"]) == _stored(store, rule.run)
    assert {r["grade"] for r in _stored(store, rule.run)} >= {"A", "B", "D"}


def test_an_unknown_engine_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["rate", "--engine", "hadoop"])
    assert result.exit_code == 2
    assert "must be one of duckdb, spark" in result.output
