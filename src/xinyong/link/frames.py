"""The two sides of a linkage as frames of comparison columns: pending records, and existing subjects
described by what the records already tied to them say (their most frequent legal representative,
address, phone and birth date)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from xinyong.link.normalise import (
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


def record_frame(kind: str, rows: Sequence[PendingRow]) -> pd.DataFrame:
    """Pending records of one kind as comparison columns, `unique_id` being the record's pk."""
    norm, core, py = name_columns(kind, [r.name for r in rows])
    district, street = address_columns([r.address for r in rows])
    codes = mapped([r.id_raw for r in rows], code_key)
    columns: dict[str, list[object]] = {
        "unique_id": [r.pk for r in rows],
        "name_norm": list(norm),
        "name_core": list(core),
        "name_py": list(py),
        "id_code": list(codes),
        "district": list(district),
        "street": list(street),
        "phone": list(mapped([r.phone for r in rows], phone_key)),
    }
    if kind == "org":
        columns["rep_name"] = list(mapped([r.legal_rep_name for r in rows], normalize_name))
        columns["rep_id"] = list(mapped([r.legal_rep_id for r in rows], code_key))
    else:
        columns["birth_date"] = [
            date_key(r.birth_date) or _birth_from_code(code) for r, code in zip(rows, codes, strict=True)
        ]
    return _frame(kind, columns)


def subject_frame(kind: str, entries: Sequence[SubjectEntry], evidence: Sequence[EvidenceRow]) -> pd.DataFrame:
    """Subjects of one kind as comparison columns, `unique_id` being the subject's pk.

    A subject's legal representative, address, phone and birth date are the values its records give
    most often (ties to the smallest, so the frame is the same whatever order the rows came in).
    """
    said = pd.DataFrame(
        {
            "pk": [e.subject_pk for e in evidence],
            "address": [e.address or None for e in evidence],
            "phone": mapped([e.phone or None for e in evidence], phone_key),
            "rep_name": mapped([e.legal_rep_name or None for e in evidence], normalize_name),
            "rep_id": mapped([e.legal_rep_id or None for e in evidence], code_key),
            "birth_date": [date_key(e.birth_date) for e in evidence],
        },
        dtype="object",
    )
    said["pk"] = said["pk"].astype("int64")
    pks = [e.pk for e in entries]
    norm, core, py = known_name_columns(kind, [e.name for e in entries], [e.name_norm for e in entries])
    district, street = address_columns(_most_common(said, "address", pks))
    columns: dict[str, list[object]] = {
        "unique_id": list(pks),
        "name_norm": list(norm),
        "name_core": list(core),
        "name_py": list(py),
        "id_code": [e.id_value for e in entries],
        "district": list(district),
        "street": list(street),
        "phone": list(_most_common(said, "phone", pks)),
    }
    if kind == "org":
        columns["rep_name"] = list(_most_common(said, "rep_name", pks))
        columns["rep_id"] = list(_most_common(said, "rep_id", pks))
    else:
        said_birth = _most_common(said, "birth_date", pks)
        columns["birth_date"] = [
            _birth_from_code(e.id_value) or born for e, born in zip(entries, said_birth, strict=True)
        ]
    return _frame(kind, columns)


def _most_common(said: pd.DataFrame, column: str, pks: Sequence[int]) -> list[str | None]:
    """Per subject pk, the most frequent value of a column, the smallest among equals; None if none."""
    values = said[["pk", column]].dropna()
    values = values[values[column] != ""]
    if values.empty:
        return [None] * len(pks)
    counted = values.groupby(["pk", column], sort=False).size().reset_index(name="n")
    counted = counted.sort_values(["pk", "n", column], ascending=[True, False, True], kind="mergesort")
    best = counted.drop_duplicates("pk").set_index("pk")[column]
    found = best.reindex(pd.Index(list(pks), dtype="int64"))
    return [None if v is None or v != v else str(v) for v in found.tolist()]
