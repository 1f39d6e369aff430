"""What ratings need from the store, as Spark SQL temporary views: the same tables and the same SQL as DuckDB.

The store's organisations and record versions are streamed in the same Arrow chunks the DuckDB path
appends (`store_chunks`) and handed to Spark as one Arrow table each. That keeps the two engines' inputs
identical and is right at a province's size; at national scale the views would come straight from
PostgreSQL by partitioned JDBC reads (`spark.read.jdbc` split on `pk`), never through this process.
Views live in a session of their own (`newSession`: the shared context, its own views and SQL settings),
so a rating run never sees or clobbers another job's views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from xinyong.catalog.model import Catalog, RatingModel
from xinyong.rating.assemble import (
    ENTITIES_SCHEMA,
    RATED_LINKS,
    RECORDS_SCHEMA,
    REGISTER_SCHEMA,
    read_register,
    store_chunks,
)
from xinyong.rating.features import feature_query
from xinyong.sparkengine import spark_session
from xinyong.store import Store


@dataclass
class SparkRatingData:
    """A Spark session holding the views `records`, `entities` and (when supplied) `register`."""

    session: Any
    has_register: bool
    views: list[str] = field(default_factory=list)
    _cached: list[Any] = field(default_factory=list, repr=False)

    def materialise(
        self, table: str, model: RatingModel, catalog: Catalog, *, day: date, known_at: datetime | None
    ) -> int:
        """Compute the features once into a cached view (scored and read back by later queries); its row count."""
        sql = feature_query(model, catalog, day=day, known_at=known_at, dialect="spark", register=self.has_register)
        frame = self.session.sql(sql).cache()
        self._cached.append(frame)
        frame.createOrReplaceTempView(table)
        self.views.append(table)
        return int(frame.count())

    def query(self, sql: str) -> pd.DataFrame:
        """The result of a query over the views, as a pandas frame (through Arrow)."""
        frame: pd.DataFrame = self.session.sql(sql).toArrow().to_pandas()
        return frame

    def close(self) -> None:
        """Release cached results and drop the views; the shared Spark context stays up for the next job."""
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()
        for view in self.views:
            self.session.catalog.dropTempView(view)
        self.views.clear()


def spark_assemble(
    store: Store,
    *,
    master: str,
    register: Path | None = None,
    current_only: bool = False,
    chunk: int = 50_000,
    links: tuple[str, ...] = RATED_LINKS,
) -> SparkRatingData:
    """Copy organisations and their record versions from the store into Spark views on `master`."""
    parts: dict[str, list[pa.Table]] = {"entities": [], "records": []}
    for table, part in store_chunks(store, current_only=current_only, chunk=chunk, links=links):
        parts[table].append(part)
    session = spark_session(master).newSession()
    tables = {
        "entities": pa.concat_tables(parts["entities"]) if parts["entities"] else ENTITIES_SCHEMA.empty_table(),
        "records": pa.concat_tables(parts["records"]) if parts["records"] else RECORDS_SCHEMA.empty_table(),
    }
    if register is not None:
        tables["register"] = read_register(register).select(REGISTER_SCHEMA.names).cast(REGISTER_SCHEMA)
    for name, table in tables.items():
        session.createDataFrame(table).createOrReplaceTempView(name)
    return SparkRatingData(session=session, has_register=register is not None, views=list(tables))
