"""The streaming XLSX writer: openpyxl reads it back, a full sheet continues on the next, the bytes are stable."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from xinyong.synth import xlsx


def _read(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}
    finally:
        book.close()


def test_cells_read_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    writer = xlsx.XlsxWriter(path, ["名称", "金额", "备注"], numeric=frozenset({1}))
    writer.write(["北京A&B<科技>有限公司", "1234.50", None])
    writer.write([" 张　伟 ", None, "引号\"与'撇号"])
    writer.close()
    assert _read(path) == {
        "Sheet1": [
            ("名称", "金额", "备注"),
            ("北京A&B<科技>有限公司", 1234.5, None),
            (" 张　伟 ", None, "引号\"与'撇号"),
        ]
    }
    book = openpyxl.load_workbook(path)  # the full reader too, with no warning about styles
    assert book.active is not None
    assert book.active.max_row == 3


def test_a_full_sheet_continues_on_the_next(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROWS", 4)
    path = tmp_path / "b.xlsx"
    writer = xlsx.XlsxWriter(path, ["n"], numeric=frozenset())
    for i in range(7):
        writer.write([str(i)])
    writer.close()
    assert _read(path) == {
        "Sheet1": [("n",), ("0",), ("1",), ("2",)],
        "Sheet2": [("n",), ("3",), ("4",), ("5",)],
        "Sheet3": [("n",), ("6",)],
    }


def test_same_rows_same_bytes(tmp_path: Path) -> None:
    for name in ("c.xlsx", "d.xlsx"):
        writer = xlsx.XlsxWriter(tmp_path / name, ["a"], numeric=frozenset())
        writer.write(["x"])
        writer.close()
    assert (tmp_path / "c.xlsx").read_bytes() == (tmp_path / "d.xlsx").read_bytes()
