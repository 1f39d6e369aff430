"""Parquet feeds read by Spark (the batch engine `spark`): the same rows, numbers and cell values the
pyarrow reader gives, streamed to the same mapping, validation and store writer in bounded chunks.

Spark decodes the file (split across its executors), numbers each row by its position in the file
(`_metadata.row_index`, so numbering never depends on how the file was split) and sorts by it; the
driver then takes one sorted partition at a time (`toLocalIterator`) and rebuilds each chunk's cells as
Arrow arrays of the file's own Arrow schema, so every value reaches `cells.as_text` as exactly the
Python object the pyarrow reader makes of it (time zones, nanosecond times, decimals, nested values).
Validation and storage stay in this process, row by row, as on the default path: Spark takes the
decoding off this process, not the per-row checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.errors import InvalidInput
from xinyong.ingest.rows import RawRow
from xinyong.settings import load_settings
from xinyong.sparkengine import ENGINES, spark_session

#: Rows rebuilt at a time on the driver (the pyarrow reader's batch size).
CHUNK: Final = 5_000
#: The column that carries each row's position in the file.
_INDEX: Final = "__xinyong_row_index"
# Read as the pyarrow reader does: column names case-sensitive (a feed may send `Amount` and `amount`),
# nanosecond times as their integer count (Spark has no nanosecond type; the Arrow schema restores it).
_SESSION_CONF: Final = {
    "spark.sql.caseSensitive": "true",
    "spark.sql.legacy.parquet.nanosAsLong": "true",
}


def spark_master_for(engine: str | None) -> str | None:
    """The Spark master to read Parquet feeds on, or None for the default pyarrow reader: `engine` when
    given, else the deployment's XINYONG_ENGINE (with XINYONG_SPARK_MASTER)."""
    if engine == "duckdb":
        return None
    settings = load_settings()
    chosen = engine or settings.engine
    if chosen not in ENGINES:
        raise InvalidInput(f"unknown batch engine {chosen!r}; choose {' or '.join(ENGINES)}", field="engine")
    return settings.spark_master if chosen == "spark" else None


def spark_parquet_rows(
    path: Path, label: str, master: str, *, chunk: int = CHUNK, partition_bytes: int | None = None
) -> Iterator[RawRow]:
    """Every row of a Parquet feed as the pyarrow reader yields it, read by Spark on `master`.

    `partition_bytes` caps the bytes of the file one Spark task reads (tests split small files with it).
    """
    schema = _arrow_schema(path, label)
    header = tuple(schema.names)
    session = spark_session(master).newSession()
    for key, value in _SESSION_CONF.items():
        session.conf.set(key, value)
    if partition_bytes is not None:
        session.conf.set("spark.sql.files.maxPartitionBytes", str(partition_bytes))
        session.conf.set("spark.sql.files.openCostInBytes", str(partition_bytes))
    errors = _spark_errors()
    number = 0
    try:
        frame = session.read.parquet(_literal_path(path))
        if len(frame.columns) != len(header):
            raise InvalidInput(
                f"{label}: Spark reads {len(frame.columns)} columns where the file has {len(header)}", field="file"
            )
        rows = _numbered(frame).toLocalIterator()
        while part := list(islice(rows, chunk)):
            *values, indexes = zip(*part, strict=True)
            columns = [_as_arrow(v, f.type, label).to_pylist() for v, f in zip(values, schema, strict=True)]
            for index, cells in zip(indexes, zip(*columns, strict=True), strict=True):
                number = index + 1
                yield RawRow(label, number, header, cells)
    except errors as exc:
        where = "not readable by Spark" if number == 0 else f"unreadable after row {number}"
        raise InvalidInput(f"{label}: {where} ({_first_line(exc)})", field="file") from None


def _numbered(frame: Any) -> Any:
    """The file's columns in order (instants as UTC wall-clock times) and each row's index, sorted by it.

    Columns are renamed by position first: a feed's names may repeat up to case, or hold dots."""
    from pyspark.sql import functions as sql
    from pyspark.sql.types import TimestampType

    fields = frame.schema.fields
    names = [f"c{position}" for position in range(len(fields))]
    frame = frame.select("*", sql.col("_metadata.row_index")).toDF(*names, _INDEX)
    columns = []
    for name, spark_field in zip(names, fields, strict=True):
        column = sql.col(name)
        if isinstance(spark_field.dataType, TimestampType):
            # Python gets an instant as a local time; as TIMESTAMP_NTZ in the UTC session it is the UTC
            # time, which Arrow reads back under the file's own zone.
            column = column.cast("timestamp_ntz")
        columns.append(column)
    return frame.select(*columns, _INDEX).orderBy(_INDEX)


def _as_arrow(values: tuple[Any, ...], kind: pa.DataType, label: str) -> pa.Array:
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowException, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{label}: a {kind} column came back from Spark unlike the file ({exc})", field="file"
        ) from None


def _arrow_schema(path: Path, label: str) -> pa.Schema:
    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"{label}: not a readable Parquet file ({exc})", field="file") from None


def _literal_path(path: Path) -> str:
    # Spark expands glob characters in a path; a feed is one file, whatever its name holds.
    text = str(path.resolve())
    return "".join(f"\\{c}" if c in "*?[]{}\\" else c for c in text)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _spark_errors() -> tuple[type[BaseException], ...]:
    from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]  # pyspark's own dependency
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError)
