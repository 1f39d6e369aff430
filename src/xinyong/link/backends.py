"""Where Splink runs its SQL: DuckDB in this process (the default) or Spark for data beyond one machine.

Both run the same model specification; only registering a frame and reading results back differ, and
that is all this interface holds. Spark is an optional extra (`pip install 'xinyong[spark]'`); asking
for it without pyspark installed is a one-line configuration error, never a traceback.
"""

from __future__ import annotations

import importlib.util
import itertools
import tempfile
from typing import Any, Final, Protocol

import duckdb
import pandas as pd

from xinyong.errors import ConfigError

BACKEND_NAMES: Final = ("duckdb", "spark")
SPARK_INSTALL: Final = "pip install 'xinyong[spark]'"


class Backend(Protocol):
    """A Splink database API and the two things linkage asks of it."""

    name: str
    #: What the engine raises when a query fails, for steps that may fail on unlucky data.
    errors: tuple[type[Exception], ...]

    def register(self, frame: pd.DataFrame, name: str) -> Any:
        """The frame as a Splink input table whose rows say they come from `name`."""
        ...

    def to_pandas(self, table: Any) -> pd.DataFrame:
        """A Splink result table read back into this process."""
        ...

    def close(self) -> None:
        """Release the engine's memory and temporary tables."""
        ...


class DuckDBBackend:
    """Splink on an in-memory DuckDB database of this process."""

    name = "duckdb"
    errors: tuple[type[Exception], ...] = (duckdb.Error,)

    def __init__(self, threads: int | None = None) -> None:
        from splink import DuckDBAPI

        config: dict[str, str | bool | int | float | list[str]] = {"threads": threads} if threads else {}
        self._connection = duckdb.connect(":memory:", config=config)
        self.api = DuckDBAPI(connection=self._connection)

    def register(self, frame: pd.DataFrame, name: str) -> Any:
        return _register(self.api, frame, name)

    def to_pandas(self, table: Any) -> pd.DataFrame:
        frame: pd.DataFrame = table.as_pandas_dataframe()
        return frame

    def close(self) -> None:
        self._connection.close()


class SparkBackend:
    """Splink on a Spark session (`spark_master`, `local[*]` by default) with Splink's similarity UDFs."""

    name = "spark"

    def __init__(self, master: str) -> None:
        from pyspark.sql import SparkSession
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        self._checkpoints = tempfile.TemporaryDirectory(prefix="xinyong-spark-")
        try:
            self.spark = (
                SparkSession.builder.master(master)
                .appName("xinyong-link")
                .config("spark.jars", similarity_jar_location())
                .config("spark.sql.session.timeZone", "UTC")
                .getOrCreate()
            )
        except _spark_start_errors() as exc:
            self._checkpoints.cleanup()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"spark backend could not start ({master}): {first}") from None
        self.spark.sparkContext.setCheckpointDir(self._checkpoints.name)
        from pyspark.errors import PySparkException

        self.errors: tuple[type[Exception], ...] = (PySparkException,)
        self.api = SparkAPI(spark_session=self.spark)  # type: ignore[no-untyped-call]

    def register(self, frame: pd.DataFrame, name: str) -> Any:
        return _register(self.api, frame, name)

    def to_pandas(self, table: Any) -> pd.DataFrame:
        frame: pd.DataFrame = table.as_pandas_dataframe()
        return frame

    def close(self) -> None:
        self._checkpoints.cleanup()


def _register(api: Any, frame: pd.DataFrame, name: str) -> Any:
    # Splink refuses a second table of the same name; the display name is what pairs carry as their
    # source, so every frame gets its own table under the shared display name.
    table = f"xinyong_{name}_{next(_TABLES)}"
    return api.register(frame, table_name=table, dataset_display_name=name)


_TABLES: Final = itertools.count(1)


def _spark_start_errors() -> tuple[type[BaseException], ...]:
    # A missing or broken Java shows up as PySparkRuntimeError (a RuntimeError) on pyspark 3.4+,
    # and as a plain RuntimeError or an OSError from the gateway launcher on older releases.
    from pyspark.errors import PySparkException

    return (PySparkException, RuntimeError, OSError)


def spark_available() -> bool:
    """Whether pyspark is installed in this environment."""
    return importlib.util.find_spec("pyspark") is not None


def open_backend(name: str, *, spark_master: str = "local[*]", threads: int | None = None) -> Backend:
    """The backend called `name`; ConfigError when it is unknown or its engine is not installed."""
    if name == "duckdb":
        return DuckDBBackend(threads)
    if name == "spark":
        if not spark_available():
            raise ConfigError(f"the spark backend needs pyspark, which is not installed: {SPARK_INSTALL}")
        return SparkBackend(spark_master)
    raise ConfigError(f"unknown linkage backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
