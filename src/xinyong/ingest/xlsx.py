"""XLSX feeds: the zip checked for bombs before openpyxl sees it, then every sheet streamed row by row."""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from xinyong.errors import InvalidInput
from xinyong.ingest.rows import RawRow

#: A part may expand at most this many times (real sheets expand 5 to 20 times; a bomb, thousands)...
MAX_RATIO: Final = 100
#: ...once it is bigger than this; tiny parts compress oddly and are harmless.
RATIO_FLOOR: Final = 1 << 20
#: The whole workbook, uncompressed (a million-row register is about 1.5 GB of sheet XML).
MAX_UNCOMPRESSED: Final = 8 << 30
#: openpyxl holds the shared-string table in memory, so it gets a limit of its own.
MAX_SHARED_STRINGS: Final = 256 << 20
MAX_PARTS: Final = 10_000
#: What openpyxl lets through from its zip and XML layers when a workbook is broken (a missing part is a
#: KeyError, bad XML a ParseError, XML it refuses to expand a ValueError).
_BROKEN: Final = (InvalidFileException, zipfile.BadZipFile, ParseError, KeyError, ValueError, TypeError, OSError)


def check_zip(path: Path, label: str) -> None:
    """Refuse a workbook whose zip would expand beyond the limits (a zip bomb), before anything unpacks it.

    The sizes are those the zip declares; `zipfile` stops reading a part at its declared size and fails its
    checksum, so a part that lies about its size cannot expand further than it says.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise InvalidInput(f"{label}: not an XLSX workbook ({exc})", field="file") from None
    except OSError as exc:
        raise InvalidInput(f"{label}: cannot be read ({exc.strerror or exc})", field="file") from None
    if len(parts) > MAX_PARTS:
        raise InvalidInput(f"{label}: {len(parts)} zip parts, over the limit of {MAX_PARTS}", field="file")
    total = 0
    for part in parts:
        total += part.file_size
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise InvalidInput(
                f"{label}: zip part {part.filename} expands {ratio:,.0f} times to {part.file_size:,} bytes, "
                f"over the limit of {MAX_RATIO} times (a zip bomb?)",
                field="file",
            )
        if part.filename.lower() == "xl/sharedstrings.xml" and part.file_size > MAX_SHARED_STRINGS:
            raise InvalidInput(
                f"{label}: shared strings of {part.file_size:,} bytes, over the limit of {MAX_SHARED_STRINGS:,}",
                field="file",
            )
    if total > MAX_UNCOMPRESSED:
        raise InvalidInput(f"{label}: expands to {total:,} bytes, over the limit of {MAX_UNCOMPRESSED:,}", field="file")


def xlsx_header(path: Path, label: str) -> tuple[str, ...]:
    """The first sheet's header row."""
    for row in xlsx_rows(path, label):
        return row.header
    raise InvalidInput(f"{label}: the workbook has no rows", field="file")


def xlsx_rows(path: Path, label: str) -> Iterator[RawRow]:
    """Every data row of every sheet, in order; each sheet's first non-empty row is its header. Cells that
    hold formulas come as their formula text, which is stored as text and never evaluated."""
    # The file is opened here, not by openpyxl, so that it is closed even when openpyxl gives up half-way.
    with warnings.catch_warnings(), path.open("rb") as handle:
        # openpyxl warns about styles and extensions it skips; they say nothing about the data.
        warnings.simplefilter("ignore", UserWarning)
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=False)
        except _BROKEN as exc:
            raise InvalidInput(f"{label}: not a readable XLSX workbook ({_short(exc)})", field="file") from None
        try:
            for index, sheet in enumerate(book.worksheets):
                sheet_label = label if index == 0 else f"{label}#{sheet.title}"
                header: tuple[str, ...] | None = None
                number = 0
                try:
                    for cells in sheet.iter_rows(values_only=True):
                        number += 1
                        if all(cell is None or cell == "" for cell in cells):
                            continue
                        if header is None:
                            header = tuple("" if cell is None else str(cell) for cell in cells)
                            continue
                        yield RawRow(sheet_label, number, header, cells)
                except _BROKEN as exc:
                    raise InvalidInput(
                        f"{sheet_label}: unreadable after row {number} ({_short(exc)})", field="file"
                    ) from None
        finally:
            book.close()


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
