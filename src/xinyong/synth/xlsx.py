"""A streaming XLSX writer: one worksheet per 1,048,575 data rows, inline strings, fixed zip timestamps.

openpyxl's own writer stamps the current time into the package and holds more in memory than a
million-row register needs; this one streams the sheet XML through a temporary file into the zip, so the
same rows always give the same bytes. Each sheet starts with its `<dimension>`, as Excel writes it: a
reader in read-only mode (openpyxl) looks for it before the rows, and without it parses the whole sheet
once more just to learn that it is missing.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Final
from xml.sax.saxutils import escape

MAX_ROWS: Final = 1_048_576  # rows per worksheet, header included
_STAMP: Final = (1980, 1, 1, 0, 0, 0)
_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES: Final = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts><fills count="2">'
    '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _column_letters(n: int) -> list[str]:
    out = []
    for i in range(1, n + 1):
        letters = ""
        while i:
            i, rem = divmod(i - 1, 26)
            letters = chr(65 + rem) + letters
        out.append(letters)
    return out


class XlsxWriter:
    """Rows in, a workbook out; cells in `numeric` columns are written as numbers, blanks are left out."""

    def __init__(self, path: Path, headers: list[str], numeric: frozenset[int]) -> None:
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self._headers = headers
        self._numeric = numeric
        self._letters = _column_letters(len(headers))
        self._sheets = 0
        self._row = 0
        self._buffer: list[str] = []
        self._stream: IO[bytes] | None = None
        self._open_sheet()

    def _entry(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=_STAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        return info

    def _open_sheet(self) -> None:
        self._sheets += 1
        # The rows, until the sheet's dimension is known; closed (and so deleted) in _close_sheet.
        self._stream = tempfile.TemporaryFile()  # noqa: SIM115
        self._row = 0
        self.write(list(self._headers), header=True)

    def _close_sheet(self) -> None:
        assert self._stream is not None
        self._flush()
        rows = self._stream
        rows.seek(0)
        dimension = f"A1:{self._letters[-1]}{self._row}" if self._letters else "A1"
        with self._zip.open(self._entry(f"xl/worksheets/sheet{self._sheets}.xml"), "w") as part:
            head = f'{_HEAD}<worksheet xmlns="{_MAIN}"><dimension ref="{dimension}"/><sheetData>'
            part.write(head.encode())
            shutil.copyfileobj(rows, part, 1 << 20)
            part.write(b"</sheetData></worksheet>")
        rows.close()
        self._stream = None

    def _flush(self) -> None:
        if self._buffer and self._stream is not None:
            self._stream.write("".join(self._buffer).encode())
            self._buffer.clear()

    def write(self, cells: list[str | None], header: bool = False) -> None:
        """Append one row; a full sheet is closed and the next one opened with the same headers."""
        if self._row >= MAX_ROWS:
            self._close_sheet()
            self._open_sheet()
        self._row += 1
        r = self._row
        parts = [f'<row r="{r}">']
        last = len(cells) - 1
        for j, value in enumerate(cells):
            if value is None:
                if j == last:  # an empty last cell keeps every row full width for readers without a dimension
                    parts.append(f'<c r="{self._letters[j]}{r}"/>')
                continue
            ref = f"{self._letters[j]}{r}"
            if j in self._numeric and not header:
                parts.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                space = ' xml:space="preserve"' if value != value.strip() else ""
                parts.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>')
        parts.append("</row>")
        self._buffer.append("".join(parts))
        if len(self._buffer) >= 2_000:
            self._flush()

    def close(self) -> None:
        """Finish the last sheet and write the workbook parts that list the sheets."""
        self._close_sheet()
        sheets = range(1, self._sheets + 1)
        sheet_list = "".join(f'<sheet name="Sheet{k}" sheetId="{k}" r:id="rId{k}"/>' for k in sheets)
        rels = "".join(
            f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>' for k in sheets
        )
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{k}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for k in sheets
        )
        parts = {
            "xl/workbook.xml": (
                f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheet_list}</sheets></workbook>'
            ),
            "xl/_rels/workbook.xml.rels": (
                f'{_HEAD}<Relationships xmlns="{_PKG_REL}">{rels}'
                f'<Relationship Id="rIdStyles" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
            ),
            "xl/styles.xml": _STYLES,
            "_rels/.rels": (
                f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "[Content_Types].xml": (
                f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                '<Override PartName="/xl/styles.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                f"{overrides}</Types>"
            ),
        }
        for name, text in parts.items():
            self._zip.writestr(self._entry(name), text)
        self._zip.close()
