"""Feed files in, raw rows out: CSV (UTF-8, UTF-8 with BOM or GB18030), JSON Lines, Parquet and XLSX, each
streamed so memory stays bounded whatever the size of the file."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Final

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.catalog import Source
from xinyong.errors import InvalidInput
from xinyong.ingest.decoding import check_encoding, decode_blocks, decode_lines, detect_encoding
from xinyong.ingest.rows import RawRow
from xinyong.ingest.spark_reader import spark_master_for, spark_parquet_rows
from xinyong.ingest.xlsx import check_zip, xlsx_header, xlsx_rows

FORMATS: Final = ("csv", "jsonl", "parquet", "xlsx")
_SUFFIXES: Final = {
    ".csv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
#: The longest CSV field read; longer ones (an unclosed quote swallowing the file) reject their row.
MAX_CSV_FIELD: Final = 1 << 20
#: Rows per Parquet record batch.
PARQUET_BATCH: Final = 5_000


@dataclass(frozen=True, slots=True)
class Feed:
    """One file of a batch, checked before any of it is stored: its format, its text encoding (text formats
    only, as given or detected) and the SHA-256 of its bytes."""

    path: Path
    format: str
    encoding: str | None
    sha256: str

    @property
    def label(self) -> str:
        """The name rows and rejections cite."""
        return self.path.name


def open_feed(path: Path, *, fmt: str | None, encoding: str | None, source: Source | None) -> Feed:
    """Check a file can be read as a feed: it exists, its format is known and, for XLSX, it is no zip bomb."""
    label = path.name or str(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", field="path")
    chosen = _format(path, fmt, source)
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
            text_encoding = None
            if chosen in ("csv", "jsonl"):
                stream.seek(0)
                text_encoding = check_encoding(encoding) if encoding else detect_encoding(stream)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.strerror or exc})", field="path") from None
    if chosen == "xlsx":
        check_zip(path, label)
    return Feed(path, chosen, text_encoding, digest.hexdigest())


def _format(path: Path, fmt: str | None, source: Source | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise InvalidInput(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}", field="format")
        return fmt
    by_suffix = _SUFFIXES.get(path.suffix.lower())
    if by_suffix is not None:
        return by_suffix
    if path.suffix.lower() == ".xls":
        raise InvalidInput(f"{path}: Excel 97 (.xls) workbooks are not read; save it as .xlsx", field="format")
    if source is not None:
        return source.format
    raise InvalidInput(f"{path}: cannot tell the format from the name; give --format", field="format")


def header_of(feed: Feed) -> tuple[str, ...] | None:
    """The file's header row (None for JSON Lines, whose rows name their own fields)."""
    if feed.format == "jsonl":
        return None
    if feed.format == "xlsx":
        return xlsx_header(feed.path, feed.label)
    if feed.format == "parquet":
        return tuple(_parquet(feed).schema_arrow.names)
    for row in _csv_rows(feed, header_only=True):
        return row.header
    raise InvalidInput(f"{feed.label}: the file is empty", field="file")


def read_rows(feeds: Sequence[Feed], *, engine: str | None = None) -> Iterator[RawRow]:
    """Every data row of every file, in order. Parquet is read by Spark when the batch engine (`engine`, by
    default XINYONG_ENGINE) is spark: the same rows either way (`spark_reader`)."""
    spark = spark_master_for(engine) if any(feed.format == "parquet" for feed in feeds) else None
    for feed in feeds:
        if feed.format == "csv":
            yield from _csv_rows(feed)
        elif feed.format == "jsonl":
            yield from _jsonl_rows(feed)
        elif feed.format == "parquet":
            yield from _parquet_rows(feed) if spark is None else spark_parquet_rows(feed.path, feed.label, spark)
        else:
            yield from xlsx_rows(feed.path, feed.label)


def _csv_rows(feed: Feed, *, header_only: bool = False) -> Iterator[RawRow]:
    if csv.field_size_limit() < MAX_CSV_FIELD:
        csv.field_size_limit(MAX_CSV_FIELD)
    with feed.path.open("rb") as stream:
        faults: dict[int, str] = {}

        def blocks() -> Iterator[list[str]]:
            for block in decode_blocks(stream, feed.encoding or "utf-8"):
                faults.update(block.faults)
                yield block.lines

        reader = csv.reader(chain.from_iterable(blocks()))
        header: tuple[str, ...] | None = None
        label = feed.label
        last = 0
        while True:
            try:
                cells: Sequence[object] = next(reader)
                fault = None
            except StopIteration:
                return
            except csv.Error as exc:
                cells, fault = (), f"malformed CSV ({exc})"
            first, last = last + 1, reader.line_num
            if faults:
                for number in range(first, last + 1):
                    fault = faults.pop(number, None) or fault
            if header is None:
                if not cells and fault is None:
                    continue
                if fault is not None:
                    raise InvalidInput(f"{label}: the header line cannot be read ({fault})", field="file")
                header = tuple(str(cell) for cell in cells)
                if header_only:
                    yield RawRow(label, first, header, ())
                    return
                continue
            if fault is None and not any(cells):
                continue  # a blank line, or one of empty cells only
            yield RawRow(label, first, header, cells, fault, fault is None)


def _jsonl_rows(feed: Feed) -> Iterator[RawRow]:
    with feed.path.open("rb") as stream:
        for line in decode_lines(stream, feed.encoding or "utf-8"):
            text = line.text.strip()
            if not text and line.fault is None:
                continue
            try:
                value = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                yield RawRow(feed.label, line.number, (), (), line.fault or f"not valid JSON ({exc.msg})")
                continue
            if not isinstance(value, dict):
                yield RawRow(feed.label, line.number, (), (), line.fault or "not a JSON object")
                continue
            yield RawRow(feed.label, line.number, tuple(value), tuple(value.values()), line.fault)


def _parquet(feed: Feed) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(feed.path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"{feed.label}: not a readable Parquet file ({exc})", field="file") from None


def _parquet_rows(feed: Feed) -> Iterator[RawRow]:
    parquet = _parquet(feed)
    header = tuple(parquet.schema_arrow.names)
    number = 0
    batches = parquet.iter_batches(batch_size=PARQUET_BATCH)
    while True:
        try:
            batch = next(batches, None)
            if batch is None:
                return
            columns = [column.to_pylist() for column in batch.columns]
        except (pa.ArrowException, OSError) as exc:
            raise InvalidInput(f"{feed.label}: unreadable after row {number} ({exc})", field="file") from None
        for cells in zip(*columns, strict=True):
            number += 1
            yield RawRow(feed.label, number, header, cells)
