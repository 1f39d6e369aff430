"""Where rating features are computed and scored: DuckDB in this process, or Spark SQL on any Spark master.

Both engines hold the same tables loaded from the store and run the same SQL text (features from
`feature_query`, scores from the scorecard's SQL export), differing only in the dialect's day count;
everything after the SQL (reasons, rule models, the write-back) is the same Python whichever engine ran.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Final, Literal, Protocol

import pandas as pd

from xinyong.catalog.model import Catalog, RatingModel
from xinyong.errors import InvalidInput
from xinyong.rating.assemble import assemble
from xinyong.rating.spark_data import spark_assemble
from xinyong.store import Store

Engine = Literal["duckdb", "spark"]
ENGINES: Final[tuple[Engine, ...]] = ("duckdb", "spark")


class RatingTables(Protocol):
    """The store's organisations and record versions loaded into an engine that runs the rating SQL."""

    def materialise(
        self, table: str, model: RatingModel, catalog: Catalog, *, day: date, known_at: datetime | None
    ) -> int: ...

    def query(self, sql: str) -> pd.DataFrame: ...

    def close(self) -> None: ...


def open_tables(
    store: Store,
    engine: str,
    *,
    register: Path | None = None,
    current_only: bool = False,
    spark_master: str = "local[*]",
) -> RatingTables:
    """The rating tables on `engine` ("duckdb" or "spark"); an unknown engine is a one-line user error."""
    if engine == "duckdb":
        return assemble(store, register=register, current_only=current_only)
    if engine == "spark":
        return spark_assemble(store, master=spark_master, register=register, current_only=current_only)
    raise InvalidInput(f"unknown rating engine {engine!r}; choose one of {', '.join(ENGINES)}", field="engine")
