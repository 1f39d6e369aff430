"""Backends: DuckDB by default, Spark when pyspark is installed, one configuration error otherwise; the
same settings give the same links on both."""

from __future__ import annotations

import pytest
from link_samples import CLOCK, Registry

from xinyong.catalog import default_catalog
from xinyong.errors import ConfigError
from xinyong.link import link_pending
from xinyong.link.backends import BACKEND_NAMES, DuckDBBackend, open_backend, spark_available
from xinyong.link.model import priors, settings_for
from xinyong.link.settings import ORG, PERSON
from xinyong.settings import Settings


def test_duckdb_is_the_default_backend() -> None:
    backend = open_backend("duckdb")
    try:
        assert isinstance(backend, DuckDBBackend)
        assert backend.name == "duckdb"
    finally:
        backend.close()


def test_unknown_backend_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="unknown linkage backend 'athena'; choose one of duckdb, spark"):
        open_backend("athena")
    assert BACKEND_NAMES == ("duckdb", "spark")


@pytest.mark.skipif(spark_available(), reason="pyspark is installed here")
def test_spark_without_pyspark_says_how_to_install_it() -> None:
    with pytest.raises(ConfigError) as caught:
        open_backend("spark")
    assert caught.value.one_line() == (
        "the spark backend needs pyspark, which is not installed: pip install 'xinyong[spark]'"
    )


@pytest.mark.parametrize("spec", [ORG, PERSON], ids=["org", "person"])
def test_settings_resolve_on_both_sql_dialects(spec: object) -> None:
    # The comparison levels and blocking rules must be expressible in both engines' SQL; Splink
    # translates them when the settings are resolved for a dialect, which needs no engine running.
    for dialect in ("duckdb", "spark"):
        settings = settings_for(spec, priors(spec, 100)).get_settings(dialect)  # type: ignore[arg-type]
        assert len(settings.comparisons) == len(spec.comparisons)  # type: ignore[attr-defined]


@pytest.mark.spark
@pytest.mark.integration
@pytest.mark.skipif(not spark_available(), reason="pyspark is not installed (pip install 'xinyong[spark]')")
def test_spark_gives_the_links_duckdb_gives(registry: Registry) -> None:
    registry.org("北京星辰科技有限公司", address="北京市朝阳区建国路88号", phone="010-65001234")
    sure = registry.pending("北京星辰科技有限责任公司", address="北京市朝阳区建国路88号", phone="01065001234")
    doubtful = registry.pending("北京星辰科枝有限公司", address="北京市朝阳区光华路1号")
    summary = link_pending(registry.store, default_catalog(), CLOCK, Settings(), "spark")
    assert summary.backend == "spark"
    assert (registry.record(sure).link, registry.record(doubtful).link) == ("model", "review")
