"""Load what ratings need from the store into DuckDB: record versions, organisations, the company register.

Rows are streamed from the store a chunk at a time into Arrow tables (`store_chunks`, which the Spark
engine reads too) and appended to DuckDB tables, so the registry never sits in Python objects all at
once. Times become UTC without a zone (what the feature SQL compares against); amounts become doubles.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from xinyong.catalog.model import Catalog, RatingModel, RatingOutcome
from xinyong.errors import InvalidInput
from xinyong.rating.features import REGISTER_COLUMNS, feature_query, outcome_query
from xinyong.store import Store
from xinyong.store import ratings as repo

#: Links through which a record counts for a rating; `review` (awaiting a person) and `pending` do not.
RATED_LINKS = ("id", "model", "confirmed", "new")

RECORDS_SCHEMA = pa.schema(
    [
        ("pk", pa.int64()),
        ("subject_pk", pa.int64()),
        ("record_type", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),
        ("amount", pa.float64()),
        ("grade", pa.string()),
        ("result", pa.string()),
        ("decided_on", pa.date32()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("recorded_at", pa.timestamp("us")),
        ("superseded_at", pa.timestamp("us")),
    ]
)
ENTITIES_SCHEMA = pa.schema(
    [("subject_pk", pa.int64()), ("subject_key", pa.string()), ("uscc", pa.string()), ("name", pa.string())]
)
REGISTER_SCHEMA = pa.schema(
    [
        ("uscc", pa.string()),
        ("registered_on", pa.date32()),
        ("capital", pa.float64()),
        ("industry", pa.string()),
        ("ownership", pa.string()),
        ("district", pa.string()),
    ]
)


@dataclass
class RatingData:
    """An in-memory DuckDB holding `records`, `entities` and (when supplied) `register`."""

    con: duckdb.DuckDBPyConnection
    has_register: bool

    def features(self, model: RatingModel, catalog: Catalog, *, day: date, known_at: datetime | None) -> pd.DataFrame:
        """The feature frame of every organisation known by the cut, one row each, by subject pk."""
        sql = feature_query(model, catalog, day=day, known_at=known_at, register=self.has_register)
        return self.con.execute(sql).df()

    def materialise(
        self, table: str, model: RatingModel, catalog: Catalog, *, day: date, known_at: datetime | None
    ) -> int:
        """Compute the features into a DuckDB table (for scoring in SQL) and return its row count."""
        sql = feature_query(model, catalog, day=day, known_at=known_at, register=self.has_register)
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")
        row = self.con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def query(self, sql: str) -> pd.DataFrame:
        """The result of a query over the loaded tables, as a pandas frame."""
        return self.con.execute(sql).df()

    def outcomes(self, outcome: RatingOutcome, subject_pks: Iterable[int], *, day: date) -> npt.NDArray[np.int64]:
        """1 where the subject met the outcome within the window after `day`, else 0, in the given order."""
        frame = self.con.execute(outcome_query(outcome, day=day)).df()
        bad = dict(zip(frame["subject_pk"].tolist(), frame["bad"].tolist(), strict=True))
        return np.asarray([int(bad.get(pk, 0)) for pk in subject_pks], dtype=np.int64)

    def groups(self, frame: pd.DataFrame) -> pd.DataFrame:
        """District, industry and ownership of each row of a feature frame, for the fairness report.

        The district falls back to the USCC's registration division; industry and ownership are known
        only from a register ("unknown" without one).
        """
        division = frame["uscc"].astype(object).map(lambda u: u[2:8] if isinstance(u, str) else "unknown")
        out = pd.DataFrame({"district": division, "industry": "unknown", "ownership": "unknown"}, index=frame.index)
        if self.has_register:
            reg = self.con.execute("SELECT uscc, district, industry, ownership FROM register").df()
            reg = reg.drop_duplicates("uscc").set_index("uscc")
            for column in ("district", "industry", "ownership"):
                mapped = frame["uscc"].map(reg[column])
                out[column] = mapped.where(mapped.notna(), out[column]).astype(str)
        return out

    def close(self) -> None:
        self.con.close()


def assemble(
    store: Store,
    *,
    register: Path | None = None,
    current_only: bool = False,
    chunk: int = 50_000,
    links: tuple[str, ...] = RATED_LINKS,
) -> RatingData:
    """Copy organisations and their record versions from the store into a fresh DuckDB."""
    data = _empty(register_table=read_register(register) if register is not None else None)
    for table, part in store_chunks(store, current_only=current_only, chunk=chunk, links=links):
        _append(data.con, table, part)
    return data


def store_chunks(
    store: Store, *, current_only: bool = False, chunk: int = 50_000, links: tuple[str, ...] = RATED_LINKS
) -> Iterator[tuple[str, pa.Table]]:
    """`("entities", chunk)` for every organisation, then `("records", chunk)` for their record versions, as
    Arrow tables of ENTITIES_SCHEMA and RECORDS_SCHEMA."""
    with store.connect() as conn:
        for part in repo.org_chunks(conn, chunk=chunk):
            yield "entities", pa.Table.from_pydict(part, schema=ENTITIES_SCHEMA)
        for part in repo.record_chunks(conn, links=links, current_only=current_only, chunk=chunk):
            for column in ("recorded_at", "superseded_at"):
                part[column] = [_naive_utc(v) for v in part[column]]
            yield "records", pa.Table.from_pydict(part, schema=RECORDS_SCHEMA)


def from_tables(records: pa.Table, entities: pa.Table, register: pa.Table | None = None) -> RatingData:
    """A RatingData over Arrow tables already in hand (tests and benchmarks)."""
    data = _empty(register_table=register)
    _append(data.con, "entities", entities.select(ENTITIES_SCHEMA.names).cast(ENTITIES_SCHEMA))
    _append(data.con, "records", records.select(RECORDS_SCHEMA.names).cast(RECORDS_SCHEMA))
    return data


def read_register(path: Path) -> pa.Table:
    """A company register CSV: `uscc` (or `id`), `registered_on`, and optionally `capital`, `industry`,
    `ownership`, `district`; rows of a `kind` column other than `org` are skipped (the synthetic
    province's truth/subjects.csv reads as is)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise InvalidInput(f"cannot read the register {path}: {exc.strerror or exc}", field="register") from None
    columns: dict[str, list[Any]] = {name: [] for name in REGISTER_COLUMNS}
    for number, row in enumerate(rows, start=2):
        if row.get("kind", "org") != "org":
            continue
        uscc = (row.get("uscc") or row.get("id") or "").strip().upper()
        if not uscc:
            raise InvalidInput(f"{path} line {number}: no uscc (or id)", field="register")
        columns["uscc"].append(uscc)
        columns["registered_on"].append(_register_date(row.get("registered_on"), path, number))
        columns["capital"].append(_register_number(row.get("capital"), path, number))
        for name in ("industry", "ownership", "district"):
            columns[name].append((row.get(name) or "").strip() or None)
    return pa.Table.from_pydict(columns, schema=REGISTER_SCHEMA)


def _register_date(raw: str | None, path: Path, number: int) -> date | None:
    if not raw or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            f"{path} line {number}: registered_on {raw!r} is not an ISO date", field="register"
        ) from None


def _register_number(raw: str | None, path: Path, number: int) -> float | None:
    if not raw or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{path} line {number}: capital {raw!r} is not a number", field="register") from None


def _empty(*, register_table: pa.Table | None) -> RatingData:
    con = duckdb.connect()
    for name, schema in (("records", RECORDS_SCHEMA), ("entities", ENTITIES_SCHEMA)):
        _append(con, name, schema.empty_table())
    if register_table is not None:
        _append(con, "register", register_table.select(REGISTER_SCHEMA.names).cast(REGISTER_SCHEMA))
    return RatingData(con=con, has_register=register_table is not None)


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Create the table from the first Arrow chunk's schema, then append every later chunk."""
    con.register("incoming", rows)
    try:
        exists = con.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchone()
        if exists and exists[0]:
            con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
        else:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
