"""Splink on Spark: what differs from DuckDB is how a frame gets in, how results get out, one string
similarity, and cleaning up.

The Spark context is the process's shared one (`xinyong.sparkengine`); each backend works in a session
of its own on that context (`newSession`), so its temporary views, functions and cached intermediate
tables are its own and are dropped on `close`, while the JVM is started once per process. Frames are
handed over through Arrow with an explicit schema: Splink's own pandas route guesses column types (an
all-null column has none) and trips on pandas' deprecations. Splink's intermediate tables are kept with
`persist` rather than written as Parquet to a checkpoint folder, so no folder has to exist on every
node of a cluster and nothing is left behind on disk.

Jaro-Winkler is the one function the two engines compute differently. DuckDB's `jaro_winkler_similarity`
halves the number of transpositions rounding down and adds the prefix bonus with one rounding (a fused
multiply-add); the Apache Commons Text implementation in Splink's Spark jar halves exactly, so about one
string pair in forty scores differently and a few land on the other side of a level's threshold. On
Spark the names Splink's SQL calls (`jaro_winkler`, `jaro_sim`) are therefore Arrow UDFs computing
DuckDB's values bit for bit (`jaro_winkler`, below; jellyfish's Jaro is DuckDB's), so both engines put
every pair in the same comparison level. Executors need jellyfish (part of the `spark` extra).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Final

import pandas as pd
import pyarrow as pa

from xinyong.errors import ConfigError
from xinyong.link.backends import register_table
from xinyong.sparkengine import SPARK_INSTALL, spark_session

#: Session settings of the backend's own session: Arrow both ways (pyspark's pandas route without it goes
#: row by row and cannot tell a missing string from a float NaN).
_SESSION_CONF: Final = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
}
#: Jaro similarity above which the common prefix adds to it, the prefix counted up to this many
#: characters, and the weight of each prefix character (Winkler's, and DuckDB's).
BOOST_THRESHOLD: Final = 0.7
PREFIX_MAX: Final = 4
PREFIX_WEIGHT: Final = 0.1


class SparkBackend:
    """Splink on a Spark master (`local[*]` by default), with DuckDB's string similarities."""

    name = "spark"

    def __init__(self, master: str) -> None:
        if importlib.util.find_spec("jellyfish") is None:
            raise ConfigError(f"the spark backend needs jellyfish, which is not installed: {SPARK_INSTALL}")
        from py4j.protocol import Py4JError  # type: ignore[import-untyped]
        from pyspark.errors import PySparkException
        from splink import SparkAPI

        self.spark = spark_session(master).newSession()
        for key, value in _SESSION_CONF.items():
            self.spark.conf.set(key, value)
        #: Query failures surface as pyspark's exceptions, or as py4j's where pyspark does not convert them.
        self.errors: tuple[type[Exception], ...] = (PySparkException, Py4JError)
        self.api = SparkAPI(spark_session=self.spark, break_lineage_method="persist")  # type: ignore[no-untyped-call]
        _register_similarities(self.spark)

    def register(self, frame: pd.DataFrame | pa.Table, name: str) -> Any:
        if isinstance(frame, pa.Table):
            frame = frame.to_pandas()
        return register_table(self.api, self.spark.createDataFrame(frame, schema=_schema(frame)), name)

    def to_pandas(self, table: Any) -> pd.DataFrame:
        frame: pd.DataFrame = table.as_spark_dataframe().toPandas()
        return frame

    def close(self) -> None:
        # Dropping a temporary view also drops the cached table behind it (Splink's persisted steps).
        for table in self.spark.catalog.listTables():
            if table.isTemporary:
                self.spark.catalog.dropTempView(table.name)


def jaro_winkler(left: str | None, right: str | None) -> float | None:
    """Jaro-Winkler similarity exactly as DuckDB's `jaro_winkler_similarity` computes it; None if either is."""
    if left is None or right is None:
        return None
    score = _jaro(left, right)
    if score <= BOOST_THRESHOLD:
        return score
    prefix = 0
    for a, b in zip(left[:PREFIX_MAX], right[:PREFIX_MAX], strict=False):
        if a != b:
            break
        prefix += 1
    if prefix == 0:
        return score
    # jaro + prefix * 0.1 * (1 - jaro) rounded once, as a fused multiply-add does (Python 3.11 has no fma).
    return float(Fraction(score) + Fraction(prefix * PREFIX_WEIGHT) * Fraction(1.0 - score))


def jaro(left: str | None, right: str | None) -> float | None:
    """Jaro similarity exactly as DuckDB's `jaro_similarity` computes it; None if either side is."""
    if left is None or right is None:
        return None
    return _jaro(left, right)


def _jaro(left: str, right: str) -> float:
    # jellyfish's Jaro is DuckDB's to the bit (transpositions halved rounding down, empty strings 0).
    import jellyfish

    return float(jellyfish.jaro_similarity(left, right))


def _register_similarities(spark: Any) -> None:
    """Replace the jar's `jaro_winkler` and `jaro_sim` in this session with DuckDB's definitions."""
    import sys

    from pyspark import cloudpickle
    from pyspark.sql.pandas.functions import pandas_udf

    # The functions travel to the Python workers by value, so a worker needs jellyfish and pandas but
    # not xinyong (nor the time it takes to import Splink with it).
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # type: ignore[no-untyped-call]
    spark.udf.register("jaro_winkler", pandas_udf(_vectorised(jaro_winkler), "double"))  # type: ignore[call-overload]
    spark.udf.register("jaro_sim", pandas_udf(_vectorised(jaro), "double"))  # type: ignore[call-overload]


def _vectorised(
    similarity: Callable[[str | None, str | None], float | None],
) -> Callable[[pd.Series[Any], pd.Series[Any]], pd.Series[float]]:
    """A similarity of two strings as a function of two columns, for an Arrow UDF."""

    def columns(left: pd.Series[Any], right: pd.Series[Any]) -> pd.Series[float]:
        return pd.Series([similarity(a, b) for a, b in zip(left, right, strict=True)], dtype="float64")

    # pyspark reads the kind of UDF from the type hints at run time, where `pd.Series[Any]` does not exist.
    columns.__annotations__ = {"left": pd.Series, "right": pd.Series, "return": pd.Series}
    return columns


def _schema(frame: pd.DataFrame) -> Any:
    """The Spark schema of a comparison frame: integers stay 64-bit, floats double, the rest strings."""
    from pyspark.sql.types import DataType, DoubleType, LongType, StringType, StructField, StructType

    def spark_type(dtype: Any) -> DataType:
        if pd.api.types.is_integer_dtype(dtype):
            return LongType()
        if pd.api.types.is_float_dtype(dtype):
            return DoubleType()
        return StringType()

    return StructType([StructField(str(name), spark_type(dtype), True) for name, dtype in frame.dtypes.items()])
