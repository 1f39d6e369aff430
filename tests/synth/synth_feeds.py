"""Helpers of the synth tests: a generated province, and its feeds read back as canonical rows."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow.parquet as pq

from xinyong.synth import SynthParams, SynthSummary
from xinyong.synth.shapes import FeedShape

CanonicalRow = dict[str, str | None]


@dataclass(frozen=True)
class Province:
    """A generated province: where it was written and what the generator reported."""

    out: Path
    params: SynthParams
    summary: SynthSummary


def _raw_rows(path: Path, shape: FeedShape) -> list[dict[str, Any]]:
    if shape.format == "csv":
        assert shape.encoding is not None
        with path.open(encoding=shape.encoding, newline="") as f:
            return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(f)]
    if shape.format == "jsonl":
        with path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f]
    if shape.format == "parquet":
        rows_: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return rows_
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows: list[dict[str, Any]] = []
        for sheet in book.worksheets:
            values = sheet.iter_rows(values_only=True)
            header = [str(h) for h in next(values)]
            rows.extend(dict(zip(header, row, strict=False)) for row in values)
        return rows
    finally:
        book.close()


def header_of(path: Path, shape: FeedShape) -> list[str]:
    """The column headers as the file has them (the keys of the first object for JSON Lines)."""
    if shape.format == "csv":
        assert shape.encoding is not None
        with path.open(encoding=shape.encoding, newline="") as f:
            return next(csv.reader(f))
    if shape.format == "parquet":
        return list(pq.read_schema(path).names)
    if shape.format == "xlsx":
        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return [str(c) for c in next(book.worksheets[0].iter_rows(values_only=True))]
        finally:
            book.close()
    raise ValueError("JSON Lines has no header row")


def read_feed(path: Path, shape: FeedShape) -> list[CanonicalRow]:
    """Every row with the agency's columns and value words mapped back to canonical fields and values."""
    back = {field: {agency: canon for canon, agency in words.items()} for field, words in shape.values.items()}
    out: list[CanonicalRow] = []
    for raw in _raw_rows(path, shape):
        row: CanonicalRow = {name: None for _, name in shape.columns}
        for header, name in shape.columns:
            value = raw.get(header)
            if value is None or value == "":
                continue
            text = str(value)
            row[name] = back.get(name, {}).get(text, text)
        row.setdefault("subject_kind", "org")  # the company register sends organisations only
        if row["subject_kind"] is None:
            row["subject_kind"] = "org"
        out.append(row)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    """A truth CSV as dictionaries."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
