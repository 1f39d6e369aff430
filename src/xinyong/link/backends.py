"""Where Splink runs its SQL: DuckDB in this process (the default) or Spark for data beyond one machine.

Both run the same model specification; only registering a frame and reading results back differ, and
that is all this interface holds. Spark is an optional extra (`pip install 'xinyong[spark]'`); asking
for it without pyspark installed is a one-line configuration error, never a traceback.
"""

from __future__ import annotations

import itertools
from typing import Any, Final, Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from xinyong.errors import ConfigError
from xinyong.sparkengine import SPARK_INSTALL, spark_available

__all__ = ["BACKEND_NAMES", "SPARK_INSTALL", "Backend", "DuckDBBackend", "open_backend", "spark_available"]

BACKEND_NAMES: Final = ("duckdb", "spark")


class Backend(Protocol):
    """A Splink database API and the two things linkage asks of it."""

    name: str
    #: What the engine raises when a query fails, for steps that may fail on unlucky data.
    errors: tuple[type[Exception], ...]

    def register(self, frame: pd.DataFrame | pa.Table, name: str) -> Any:
        """The frame (pandas or Arrow) as a Splink input table whose rows say they come from `name`."""
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

    def register(self, frame: pd.DataFrame | pa.Table, name: str) -> Any:
        return register_table(self.api, frame, name)

    def to_pandas(self, table: Any) -> pd.DataFrame:
        frame: pd.DataFrame = table.as_pandas_dataframe()
        return frame

    def close(self) -> None:
        self._connection.close()


def register_table(api: Any, table: Any, name: str) -> Any:
    """Register a frame of the engine's own kind with Splink; its rows say they come from `name`."""
    # Splink refuses a second table of the same name; the display name is what pairs carry as their
    # source, so every frame gets its own table under the shared display name.
    return api.register(table, table_name=f"xinyong_{name}_{next(_TABLES)}", dataset_display_name=name)


_TABLES: Final = itertools.count(1)


def open_backend(name: str, *, spark_master: str = "local[*]", threads: int | None = None) -> Backend:
    """The backend called `name`; ConfigError when it is unknown or its engine is not installed."""
    if name == "duckdb":
        return DuckDBBackend(threads)
    if name == "spark":
        if not spark_available():
            raise ConfigError(f"the spark backend needs pyspark, which is not installed: {SPARK_INSTALL}")
        from xinyong.link.spark_backend import SparkBackend

        return SparkBackend(spark_master)
    raise ConfigError(f"unknown linkage backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
