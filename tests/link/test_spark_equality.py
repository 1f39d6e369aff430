"""DuckDB and Spark write back the same links: one small province, linked once with `xinyong link` and once
with `xinyong link --backend spark`, and every table of the store compared row by row afterwards.

The province is a synthetic one (`synth` feeds ingested agency by agency: companies and people, with
suffix swaps, traditional characters, mistyped codes and the rest of synth's noise) plus a few hundred
people known by resident ID with a pending record each (`link_samples.populate`), so that the person
model is estimated from the data (lambda, u from every pair, EM) while the company model decides
from its priors; both bands' paths, review and new-subject grouping all run.

Equal, exactly: every column of every row of every table (records' link, subject, run and the
subjects created for them, review items with their candidates, explanations with each comparison's
level, run rows with their counts, seeds and estimation steps), except:
- the engine's name (`link_runs.backend`, the audit entry's `backend`) and what hashes it (the audit
  chain), and the Splink settings stored with a run, which are in the engine's SQL dialect;
- floating-point numbers (probabilities, match weights, Bayes factors, m, u, lambda), which must agree
  to `REL` relative: both engines evaluate the same formulas in IEEE double on the same comparison
  levels (Spark's Jaro-Winkler is DuckDB's to the bit, `link.spark_backend`), but Spark adds up the
  EM and u sums over its partitions in another order, and the JVM and DuckDB may round `log2` and
  `pow` differently in the last place; such differences are around 1e-15 relative, and 1e-9 is still
  far below anything a threshold could tell apart.
Both stores are SQLite files: what is compared is the engine, and one province build serves both.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from link_samples import populate
from sqlalchemy import select
from typer.testing import CliRunner

from xinyong.catalog import default_catalog
from xinyong.cli.app import app
from xinyong.clock import clock_from
from xinyong.ingest import ingest_paths
from xinyong.store import Store
from xinyong.store.schema import metadata
from xinyong.synth import SynthParams, generate

pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.slow]

#: Relative tolerance of floating-point values between the engines (see the module's docstring).
REL: Final = 1e-9
#: People known by resident ID with a pending record each: enough for the person model to be estimated.
ESTIMATED_PEOPLE: Final = 240
runner = CliRunner()


@dataclass(frozen=True)
class Linked:
    """One engine's run: what `xinyong link --json` printed and every table of the store afterwards."""

    summary: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store with the synthetic province ingested and pending records not yet linked; and its date."""
    folder = tmp_path_factory.mktemp("province")
    generate(folder / "synth", SynthParams(orgs=900, persons=1_350, years=2))
    truth = json.loads((folder / "synth" / "truth" / "feeds.json").read_text(encoding="utf-8"))
    now = str(truth["ingest_now"]["from"])
    store = Store(f"sqlite:///{folder / 'province.db'}")
    try:
        store.init()
        for feed in truth["feeds"]:
            path = folder / "synth" / feed["path"]
            ingest_paths(store, default_catalog(), clock_from(now), [path], feed["agency"], home=folder / "home")
        populate(store, ESTIMATED_PEOPLE, seed=5)
    finally:
        store.dispose()
    return folder / "province.db", now


@pytest.fixture(scope="module")
def linked(
    province: tuple[Path, str], spark_master: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Linked]:
    """The province linked from the command line on each engine, each in its own copy of the store."""
    template, now = province
    out: dict[str, Linked] = {}
    for engine in ("duckdb", "spark"):
        folder = tmp_path_factory.mktemp(engine)
        shutil.copyfile(template, folder / "xinyong.db")
        url = f"sqlite:///{folder / 'xinyong.db'}"
        with pytest.MonkeyPatch.context() as env:
            env.chdir(folder)
            env.setenv("XINYONG_DATABASE_URL", url)
            env.setenv("XINYONG_NOW", now)
            env.setenv("XINYONG_HOME", str(folder / "home"))
            env.setenv("XINYONG_SPARK_MASTER", spark_master)
            env.delenv("XINYONG_ENGINE", raising=False)
            result = runner.invoke(app, ["link", "--backend", engine, "--json"])
        assert result.exit_code == 0, result.output
        out[engine] = Linked(json.loads(result.stdout), _tables(url))
    return out


def _tables(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, in primary-key order."""
    store = Store(url)
    try:
        with store.connect() as conn:
            return {
                table.name: [dict(row._mapping) for row in conn.execute(select(table).order_by(*table.primary_key))]
                for table in metadata.sorted_tables
            }
    finally:
        store.dispose()


def test_the_province_exercises_every_path(linked: dict[str, Linked]) -> None:
    # The comparison would prove little if a band, or the estimation, never ran.
    summary = linked["duckdb"].summary
    assert min(summary["linked_by_model"], summary["sent_to_review"], summary["new_subject"]) > 0
    assert summary["subjects_created"] > 0
    runs = {row["kind"]: row for row in linked["duckdb"].tables["link_runs"]}
    steps = [step["step"] for step in runs["person"]["model"]["steps"] if "skipped" not in step]
    assert {"lambda", "u", "em"} <= set(steps)
    assert runs["org"]["model"]["steps"][0]["step"] == "priors"
    reviews = {row["source"] for row in linked["duckdb"].tables["review_items"]}
    assert reviews == {"model", "near_miss_code"}


def test_spark_prints_the_summary_duckdb_prints(linked: dict[str, Linked]) -> None:
    duck, spark = (dict(linked[engine].summary) for engine in ("duckdb", "spark"))
    assert (duck.pop("backend"), spark.pop("backend")) == ("duckdb", "spark")
    del duck["seconds"], spark["seconds"]
    _assert_same(duck, spark, "summary")


def test_every_record_has_the_same_link_and_subject(linked: dict[str, Linked]) -> None:
    # Stated on its own so that a difference in assignments reads as one (the next test covers all).
    def links(engine: str) -> list[tuple[Any, ...]]:
        keys = {row["pk"]: row["key"] for row in linked[engine].tables["subjects"]}
        return [
            (row["agency"], row["record_id"], row["version"], row["link"], keys.get(row["subject_pk"]), row["link_run"])
            for row in linked[engine].tables["records"]
        ]

    duck, spark = links("duckdb"), links("spark")
    assert len(duck) == len(spark) > ESTIMATED_PEOPLE
    current = [row["link"] for row in linked["spark"].tables["records"] if row["superseded_at"] is None]
    assert "pending" not in current  # every current version was resolved
    assert duck == spark


def test_everything_written_back_is_the_same(linked: dict[str, Linked]) -> None:
    duck, spark = linked["duckdb"].tables, linked["spark"].tables
    assert duck.keys() == spark.keys()
    for name in duck:
        assert len(duck[name]) == len(spark[name]), name
        for left, right in zip(duck[name], spark[name], strict=True):
            _assert_same(*_engine_neutral(name, left, right), f"{name}[{left.get('pk', left.get('seq'))}]")


def test_the_engine_setting_selects_spark(spark_master: str, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    store.init()
    store.dispose()
    with pytest.MonkeyPatch.context() as env:
        env.chdir(tmp_path)
        env.setenv("XINYONG_DATABASE_URL", store.url)
        env.setenv("XINYONG_NOW", "2026-06-30")
        env.setenv("XINYONG_HOME", str(tmp_path / "home"))
        env.setenv("XINYONG_ENGINE", "spark")
        env.setenv("XINYONG_SPARK_MASTER", spark_master)
        result = runner.invoke(app, ["link", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["backend"] == "spark"


def _engine_neutral(
    table: str, left: Mapping[str, Any], right: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The two rows without what names the engine (checked here) and what is in its SQL dialect."""
    a, b = dict(left), dict(right)
    if table == "link_runs":
        assert (a.pop("backend"), b.pop("backend")) == ("duckdb", "spark")
        a["settings"], b["settings"] = dict(a["settings"]), dict(b["settings"])
        dialects = a["settings"].pop("splink")["sql_dialect"], b["settings"].pop("splink")["sql_dialect"]
        assert dialects == ("duckdb", "spark")
    if table == "audit_log" and a["action"] == "link":
        a["detail"], b["detail"] = dict(a["detail"]), dict(b["detail"])
        assert (a["detail"].pop("backend"), b["detail"].pop("backend")) == ("duckdb", "spark")
        for row in (a, b):
            del row["leaf_hash"], row["chain_hash"]
    return a, b


def _assert_same(left: Any, right: Any, where: str) -> None:
    """Equal, floats to `REL` relative (and 1e-12 absolute, for values that are all but zero)."""
    for path, a, b in _leaves(left, right, where):
        if isinstance(a, float) and isinstance(b, float):
            assert math.isclose(a, b, rel_tol=REL, abs_tol=1e-12), f"{path}: {a!r} != {b!r}"
        else:
            assert a == b, f"{path}: {a!r} != {b!r}"


def _leaves(left: Any, right: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        assert left.keys() == right.keys(), f"{path}: keys {sorted(left)} != {sorted(right)}"
        for key in left:
            yield from _leaves(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list | tuple) and isinstance(right, list | tuple):
        assert len(left) == len(right), f"{path}: {len(left)} items != {len(right)}"
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            yield from _leaves(a, b, f"{path}[{i}]")
    else:
        yield path, left, right
