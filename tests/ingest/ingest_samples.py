"""Feed rows and files for the ingest tests (a plain module: conftest files are not for importing)."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.catalog.fields import CANONICAL_FIELDS
from xinyong.ids import resident_id, uscc
from xinyong.ingest import BatchSummary

Row = dict[str, Any]
#: The `ingest` fixture: files in, the batch's summary out.
Ingest = Callable[..., BatchSummary]

_RNG = random.Random(20240110)
#: Valid codes, drawn once: organisations and people a feed may name.
ORG_IDS = [uscc.generate(_RNG, division="110105") for _ in range(50)]
PERSON_IDS = [
    resident_id.generate(_RNG, "110105", date(1960 + n % 40, 1 + n % 12, 1 + n % 28), bool(n % 2)) for n in range(50)
]


def org_row(n: int, **changes: Any) -> Row:
    """A valid canonical admin.penalty row about organisation n % 50 and its legal representative."""
    row: Row = {
        "record_id": f"R{n:06d}",
        "record_type": "admin.penalty",
        "subject_kind": "org",
        "subject_name": f"北京测试{n % 50}科技有限公司",
        "subject_id": ORG_IDS[n % 50],
        "decided_on": "2024-01-10",
        "decision_no": f"京环罚〔2024〕{n}号",
        "severity": "general",
        "status": "in_force",
        "amount": "1200.50",
        "legal_rep_name": f"张{n % 50}",
        "legal_rep_id": PERSON_IDS[n % 50],
        "summary": "超标排放",
    }
    row.update(changes)
    return row


def person_row(n: int, **changes: Any) -> Row:
    """A valid canonical admin.penalty row about person n % 50."""
    row: Row = {
        "record_id": f"P{n:06d}",
        "record_type": "admin.penalty",
        "subject_kind": "person",
        "subject_name": f"李{n % 50}",
        "subject_id": PERSON_IDS[n % 50],
        "decided_on": "2024/3/5",
        "severity": "minor",
        "amount": "200",
    }
    row.update(changes)
    return row


def _cells(row: Row, columns: Sequence[str]) -> list[Any]:
    return [row.get(column) for column in columns]


def columns_of(rows: Sequence[Row]) -> list[str]:
    """Canonical columns first, then any others the rows carry, in first-seen order."""
    seen = dict.fromkeys(c for c in CANONICAL_FIELDS)
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def write_csv(path: Path, rows: Sequence[Row], *, encoding: str = "utf-8") -> Path:
    """A CSV feed in the given encoding (`utf-8-sig` writes a byte-order mark)."""
    columns = columns_of(rows)
    with path.open("w", encoding=encoding, newline="") as f:
        out = csv.writer(f)
        out.writerow(columns)
        for row in rows:
            out.writerow(["" if v is None else v for v in _cells(row, columns)])
    return path


def write_jsonl(path: Path, rows: Sequence[Row]) -> Path:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False) + "\n")
    return path


def write_parquet(path: Path, rows: Sequence[Row], types: dict[str, pa.DataType] | None = None) -> Path:
    columns = columns_of(rows)
    types = types or {}
    arrays = [pa.array([row.get(c) for row in rows], type=types.get(c, pa.string())) for c in columns]
    pq.write_table(pa.Table.from_arrays(arrays, names=columns), path)
    return path


def write_xlsx(path: Path, rows: Sequence[Row], *, sheets: int = 1) -> Path:
    """An XLSX feed; with `sheets` > 1 the rows are dealt over several sheets, each with the header."""
    columns = columns_of(rows)
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    targets = [first, *(book.create_sheet(f"Sheet{k + 2}") for k in range(sheets - 1))]
    for sheet in targets:
        sheet.append(columns)
    for n, row in enumerate(rows):
        targets[n * sheets // len(rows)].append(_cells(row, columns))
    book.save(path)
    return path
