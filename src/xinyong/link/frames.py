"""The two sides of a linkage as frames of comparison columns: pending records, and existing subjects
described by what the records already tied to them say (their most frequent legal representative,
address, phone and birth date).

The subject side is every subject of a kind, tens of millions in a province: it is built a chunk of
subjects at a time and kept as one Arrow table (`to_arrow`, `concat_side`), a few dozen bytes a value, where the
same rows as Python objects in a pandas frame take ten times that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from xinyong.link.normalise import (
    Memo,
    address_columns,
    code_key,
    columns_for,
    date_key,
    known_name_columns,
    mapped,
    name_columns,
    phone_key,
)
from xinyong.store.linkage import EvidenceRow, PendingRow, SubjectEntry
from xinyong.text import normalize_name


def _birth_from_code(code: str | None) -> str | None:
    # A mistyped resident ID usually still carries its holder's birth date (positions 7-14).
    if not code or len(code) != 18 or not code[:17].isdigit():
        return None
    try:
        return date(int(code[6:10]), int(code[10:12]), int(code[12:14])).strftime("%Y%m%d")
    except ValueError:
        return None


def _frame(kind: str, columns: dict[str, list[object]]) -> pd.DataFrame:
    frame = pd.DataFrame({name: columns[name] for name in columns_for(kind)})
    frame["unique_id"] = frame["unique_id"].astype("int64")
    for name in columns_for(kind)[1:]:
        frame[name] = frame[name].astype("object")
    return frame


def record_frame(kind: str, rows: Sequence[PendingRow], memo: Memo | None = None) -> pd.DataFrame:
    """Pending records of one kind as comparison columns, `unique_id` being the record's pk.

    Given the run's memo, every key computed here is there for the subject side.
    """
    norm, core, py = name_columns(kind, [r.name for r in rows], memo)
    district, street = address_columns([r.address for r in rows], memo)
    codes = mapped([r.id_raw for r in rows], code_key, memo)
    columns: dict[str, list[object]] = {
        "unique_id": [r.pk for r in rows],
        "name_norm": list(norm),
        "name_core": list(core),
        "name_py": list(py),
        "id_code": list(codes),
        "district": list(district),
        "street": list(street),
        "phone": list(mapped([r.phone for r in rows], phone_key, memo)),
    }
    if kind == "org":
        columns["rep_name"] = list(mapped([r.legal_rep_name for r in rows], normalize_name, memo))
        columns["rep_id"] = list(mapped([r.legal_rep_id for r in rows], code_key, memo))
    else:
        born = mapped([r.birth_date for r in rows], date_key, memo)
        from_code = mapped(codes, _birth_from_code, memo)
        columns["birth_date"] = [b or c for b, c in zip(born, from_code, strict=True)]
    return _frame(kind, columns)


def subject_table(
    kind: str, entries: Sequence[SubjectEntry], evidence: Sequence[EvidenceRow], memo: Memo | None = None
) -> pa.Table:
    """Subjects of one kind as comparison columns (`arrow_schema`), `unique_id` being the subject's pk.

    A subject's legal representative, address, phone and birth date are the values its records give
    most often (ties to the smallest, so the table is the same whatever order the rows came in).
    """
    said: dict[str, list[Any]] = {
        "address": [e.address or None for e in evidence],
        "phone": mapped([e.phone or None for e in evidence], phone_key, memo),
    }
    if kind == "org":
        said["rep_name"] = mapped([e.legal_rep_name or None for e in evidence], normalize_name, memo)
        said["rep_id"] = mapped([e.legal_rep_id or None for e in evidence], code_key, memo)
    else:
        said["birth_date"] = mapped([e.birth_date for e in evidence], date_key, memo)
    pks = [e.pk for e in entries]
    best = _most_common([e.subject_pk for e in evidence], said, pks)
    norm, core, py = known_name_columns(kind, [e.name for e in entries], [e.name_norm for e in entries], memo)
    district, street = address_columns(best["address"].to_pylist(), memo)
    columns: dict[str, pa.Array] = {
        "unique_id": pa.array(pks, type=pa.int64()),
        "name_norm": _strings(norm),
        "name_core": _strings(core),
        "name_py": _strings(py),
        "id_code": _strings([e.id_value for e in entries]),
        "district": _strings(district),
        "street": _strings(street),
        "phone": best["phone"],
    }
    if kind == "org":
        columns["rep_name"] = best["rep_name"]
        columns["rep_id"] = best["rep_id"]
    else:
        from_code = mapped([e.id_value for e in entries], _birth_from_code, memo)
        said_birth = best["birth_date"].to_pylist()
        columns["birth_date"] = _strings([c or born for c, born in zip(from_code, said_birth, strict=True)])
    schema = arrow_schema(kind)
    return pa.table([columns[name] for name in schema.names], schema=schema)


def _strings(values: Sequence[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())


def _most_common(owners: Sequence[int], said: dict[str, list[str | None]], pks: Sequence[int]) -> dict[str, pa.Array]:
    """For each column of what records said (one value a record, `owners` the subject pk of each): per
    subject of `pks`, in their order, the value given most often, the smallest among equals; null if none."""
    # Counted in DuckDB, whose string order (by code point) is Python's: grouping and sorting a
    # million strings in Python costs seconds per column.
    wanted = pa.table({"pk": pa.array(pks, type=pa.int64()), "place": pa.array(range(len(pks)), type=pa.int64())})
    table = pa.table({"pk": pa.array(owners, type=pa.int64()), **{name: _strings(v) for name, v in said.items()}})
    found: dict[str, pa.Array] = {}
    with duckdb.connect() as con:
        con.register("said", table)
        con.register("wanted", wanted)
        for column in said:
            best = con.sql(
                f"""
                SELECT best.value FROM wanted LEFT JOIN (
                    SELECT pk, value FROM (
                        SELECT pk, "{column}" AS value, count(*) AS n FROM said
                        WHERE "{column}" IS NOT NULL AND "{column}" <> '' GROUP BY ALL
                    )
                    QUALIFY row_number() OVER (PARTITION BY pk ORDER BY n DESC, value) = 1
                ) AS best USING (pk)
                ORDER BY wanted.place
                """
            ).to_arrow_table()
            found[column] = best.column(0).combine_chunks().cast(pa.string())
    return found


def arrow_schema(kind: str) -> pa.Schema:
    """The comparison columns of a kind as Arrow types: the pk a 64-bit integer, every other a string."""
    first, *rest = columns_for(kind)
    return pa.schema([(first, pa.int64()), *((name, pa.string()) for name in rest)])


def concat_side(kind: str, parts: Sequence[pa.Table]) -> pa.Table:
    """Chunks of one side, in order, as one table (an empty one of the kind's columns if none)."""
    return pa.concat_tables(parts) if parts else arrow_schema(kind).empty_table()


def codes_held(side: pa.Table, codes: Sequence[str]) -> set[str]:
    """Which of `codes` a subject of the side holds (its `id_code`)."""
    if not codes or side.num_rows == 0:
        return set()
    wanted = pa.table({"code": pa.array(sorted(set(codes)), type=pa.string())})
    with duckdb.connect() as con:
        con.register("side", side.select(["id_code"]))
        con.register("wanted", wanted)
        held = con.execute("SELECT DISTINCT code FROM wanted JOIN side ON side.id_code = wanted.code").fetchall()
    return {str(code) for (code,) in held}
