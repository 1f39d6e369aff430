"""Streaming writers for the four feed formats, all opened through `open_writer(shape, path)`."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.synth.shapes import Cell, FeedShape
from xinyong.synth.xlsx import XlsxWriter


class FeedWriter(Protocol):
    def write(self, cells: list[Cell]) -> None:
        """Append one row."""
        ...

    def close(self) -> None:
        """Finish the file."""
        ...


class CsvWriter:
    """CSV in the agency's encoding (GB18030, or UTF-8 with a byte-order mark)."""

    def __init__(self, path: Path, headers: list[str], encoding: str) -> None:
        self._file = path.open("w", encoding=encoding, newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(headers)

    def write(self, cells: list[Cell]) -> None:
        self._csv.writerow(["" if c is None else c for c in cells])

    def close(self) -> None:
        self._file.close()


class JsonlWriter:
    """One JSON object a line; blank fields left out, sums as numbers, as an API export writes them."""

    def __init__(self, path: Path, headers: list[str], numeric: frozenset[int]) -> None:
        self._file = path.open("w", encoding="utf-8", newline="\n")
        self._headers = headers
        self._numeric = numeric

    def write(self, cells: list[Cell]) -> None:
        obj: dict[str, Any] = {}
        for j, (key, value) in enumerate(zip(self._headers, cells, strict=True)):
            if value is not None:
                obj[key] = float(value) if j in self._numeric and _is_number(value) else value
        self._file.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")

    def close(self) -> None:
        self._file.close()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class ParquetWriter:
    """Parquet with every column a string (dates as 2024-01-10), written in row groups of 50,000."""

    GROUP = 50_000

    def __init__(self, path: Path, headers: list[str]) -> None:
        self._schema = pa.schema([(h, pa.string()) for h in headers])
        self._writer = pq.ParquetWriter(path, self._schema, compression="snappy")
        self._columns: list[list[Cell]] = [[] for _ in headers]
        self._rows = 0

    def write(self, cells: list[Cell]) -> None:
        for column, value in zip(self._columns, cells, strict=True):
            column.append(value)
        self._rows += 1
        if self._rows >= self.GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            arrays = [pa.array(col, type=pa.string()) for col in self._columns]
            self._writer.write_table(pa.Table.from_arrays(arrays, schema=self._schema))
            self._columns = [[] for _ in self._columns]
            self._rows = 0

    def close(self) -> None:
        self._flush()
        self._writer.close()


def open_writer(shape: FeedShape, path: Path) -> FeedWriter:
    """The writer for the shape's format."""
    headers = shape.headers
    numeric = frozenset(j for j, (_, name) in enumerate(shape.columns) if name in shape.numeric)
    if shape.format == "csv":
        return CsvWriter(path, headers, shape.encoding or "utf-8")
    if shape.format == "jsonl":
        return JsonlWriter(path, headers, numeric)
    if shape.format == "parquet":
        return ParquetWriter(path, headers)
    return XlsxWriter(path, headers, numeric)
