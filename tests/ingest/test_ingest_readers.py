"""Readers: every format and encoding streams the same rows, with the row numbers a person would look up."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from ingest_samples import org_row, person_row, write_csv, write_jsonl, write_parquet, write_xlsx

from xinyong.catalog import Catalog
from xinyong.errors import InvalidInput
from xinyong.ingest import decoding
from xinyong.ingest.mapping import FieldMap, MappedRow
from xinyong.ingest.readers import Feed, header_of, open_feed, read_rows

ROWS = [org_row(1), person_row(2), org_row(3, summary="含“引号”, 逗号\n和换行")]


def _read(path: Path, **options: str | None) -> tuple[Feed, list[MappedRow]]:
    feed = open_feed(path, fmt=options.get("fmt"), encoding=options.get("encoding"), source=None)
    mapping = FieldMap(None)
    mapped = [mapping.map(raw) for raw in read_rows([feed])]
    assert all(isinstance(m, MappedRow) for m in mapped)
    return feed, [m for m in mapped if isinstance(m, MappedRow)]


@pytest.mark.parametrize(
    ("encoding", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")]
)
def test_csv_encodings_are_detected_and_read_alike(tmp_path: Path, encoding: str, detected: str) -> None:
    feed, mapped = _read(write_csv(tmp_path / "feed.csv", ROWS, encoding=encoding))
    assert feed.encoding == detected
    assert [m.fields["subject_name"] for m in mapped] == ["北京测试1科技有限公司", "李2", "北京测试3科技有限公司"]
    assert mapped[2].fields["summary"] == "含“引号”, 逗号\n和换行"
    assert mapped[0].fields["record_id"] == "R000001"  # no byte-order mark left on the first header


def test_encoding_option_overrides_detection(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "feed.csv", ROWS, encoding="gb18030")
    feed, mapped = _read(path, encoding="GB18030")
    assert feed.encoding == "gb18030"
    assert mapped[1].fields["subject_name"] == "李2"
    with pytest.raises(InvalidInput, match="unknown text encoding 'klingon'"):
        open_feed(path, fmt=None, encoding="klingon", source=None)


def test_detection_keeps_utf8_with_a_few_bad_lines() -> None:
    good = "北京测试科技有限公司,2024-01-10\n".encode()
    stream = io.BytesIO(b"a,b\n" + good * 20 + "张三".encode("gb18030") + b"\n")
    assert decoding.detect_encoding(stream) == "utf-8"
    assert stream.tell() == 0
    assert decoding.detect_encoding(io.BytesIO(("张三,李四\n" * 5).encode("gb18030"))) == "gb18030"
    assert decoding.detect_encoding(io.BytesIO(b"plain,ascii\n")) == "utf-8"


def test_csv_row_numbers_are_file_lines(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "feed.csv", ROWS)
    text = path.read_text(encoding="utf-8")
    header, first, rest = text.split("\n", 2)
    path.write_text(f"{header}\n\n{first}\n{rest}", encoding="utf-8")  # a blank line after the header
    feed = open_feed(path, fmt=None, encoding=None, source=None)
    assert [raw.number for raw in read_rows([feed])] == [3, 4, 5]  # the third record spans lines 5-6


def test_jsonl_keeps_numbers_and_unknown_keys(tmp_path: Path) -> None:
    rows = [org_row(1, amount=1200.5, 备注="补充"), person_row(2, amount=200)]
    _, mapped = _read(write_jsonl(tmp_path / "feed.jsonl", rows))
    assert [m.fields["amount"] for m in mapped] == ["1200.5", "200"]
    assert mapped[0].extra == {"备注": "补充"}


def test_parquet_typed_columns_become_text(tmp_path: Path) -> None:
    rows = [
        org_row(1, decided_on=date(2024, 1, 10), amount=Decimal("1200.50"), phone=13800138000),
        person_row(2, decided_on=date(2024, 3, 5), amount=None, phone=None),
    ]
    types = {"decided_on": pa.date32(), "amount": pa.decimal128(12, 2), "phone": pa.int64()}
    feed, mapped = _read(write_parquet(tmp_path / "feed.parquet", rows, types))
    assert feed.format == "parquet"
    assert [m.fields["decided_on"] for m in mapped] == ["2024-01-10", "2024-03-05"]
    assert mapped[0].fields["amount"] == "1200.50"
    assert mapped[0].fields["phone"] == "13800138000"
    assert "amount" not in mapped[1].fields


def test_xlsx_reads_every_sheet_with_numbers_and_dates(tmp_path: Path) -> None:
    rows = [org_row(n, amount=1200.0 + n, decided_on=datetime(2024, 1, n + 1)) for n in range(6)]
    path = write_xlsx(tmp_path / "feed.xlsx", rows, sheets=2)
    feed = open_feed(path, fmt=None, encoding=None, source=None)
    raws = list(read_rows([feed]))
    assert [(raw.file, raw.number) for raw in raws] == [
        ("feed.xlsx", 2),
        ("feed.xlsx", 3),
        ("feed.xlsx", 4),
        ("feed.xlsx#Sheet2", 2),
        ("feed.xlsx#Sheet2", 3),
        ("feed.xlsx#Sheet2", 4),
    ]
    mapped = [FieldMap(None).map(raw) for raw in raws]
    assert [m.fields["amount"] for m in mapped if isinstance(m, MappedRow)] == [str(1200 + n) for n in range(6)]
    first = mapped[0]
    assert isinstance(first, MappedRow)
    assert first.fields["decided_on"] == "2024-01-01"


def test_format_comes_from_option_suffix_or_source(tmp_path: Path, catalog: Catalog) -> None:
    path = write_jsonl(tmp_path / "feed.data", [org_row(1)])
    assert open_feed(path, fmt="jsonl", encoding=None, source=None).format == "jsonl"
    assert open_feed(path, fmt=None, encoding=None, source=catalog.sources["tax.110000"]).format == "jsonl"
    with pytest.raises(InvalidInput, match="cannot tell the format"):
        open_feed(path, fmt=None, encoding=None, source=None)
    with pytest.raises(InvalidInput, match="unknown format 'xml'"):
        open_feed(path, fmt="xml", encoding=None, source=None)
    with pytest.raises(InvalidInput, match="no such file"):
        open_feed(tmp_path / "missing.csv", fmt=None, encoding=None, source=None)


def test_unreadable_files_are_one_line_errors(tmp_path: Path) -> None:
    fake = tmp_path / "fake.parquet"
    fake.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput, match=r"fake\.parquet: not a readable Parquet file"):
        header_of(open_feed(fake, fmt=None, encoding=None, source=None))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidInput, match=r"broken\.xlsx: not an XLSX workbook"):
        open_feed(broken, fmt=None, encoding=None, source=None)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InvalidInput, match=r"empty\.csv: the file is empty"):
        header_of(open_feed(empty, fmt=None, encoding=None, source=None))


def test_overlong_line_is_one_faulty_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decoding, "MAX_LINE_BYTES", 64)
    monkeypatch.setattr(decoding, "BLOCK_BYTES", 16)
    path = tmp_path / "feed.csv"
    path.write_text("record_id,summary\nR1,short\nR2," + "长" * 200 + "\nR3,short\n", encoding="utf-8")
    feed = open_feed(path, fmt=None, encoding=None, source=None)
    raws = list(read_rows([feed]))
    assert [(raw.number, raw.fault) for raw in raws] == [
        (2, None),
        (3, "line longer than 64 bytes"),
        (4, None),
    ]
    assert raws[2].cells == ["R3", "short"]


def test_a_broken_workbook_is_one_line_error(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [org_row(1)])
    with zipfile.ZipFile(good) as original:
        parts = {info.filename: original.read(info) for info in original.infolist()}
    parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row"
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    feed = open_feed(broken, fmt=None, encoding=None, source=None)
    broken_message = r"broken\.xlsx: (not a readable XLSX workbook|unreadable after row \d+) \("
    with pytest.raises(InvalidInput, match=broken_message) as caught:
        list(read_rows([feed]))
    assert caught.value.field == "file"


def test_small_blocks_read_the_same_rows_and_faults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_csv(
        tmp_path / "feed.csv", [org_row(n, summary="多行\n摘要" if n % 4 == 0 else "摘要") for n in range(30)]
    )
    path.write_bytes(path.read_bytes().replace(b"R000007", b"R0\xff0007"))
    whole = [
        (raw.number, raw.fault, list(raw.cells))
        for raw in read_rows([open_feed(path, fmt=None, encoding=None, source=None)])
    ]
    monkeypatch.setattr(decoding, "BLOCK_BYTES", 7)
    small = [
        (raw.number, raw.fault, list(raw.cells))
        for raw in read_rows([open_feed(path, fmt=None, encoding=None, source=None)])
    ]
    assert small == whole
    assert len(whole) == 30
    faulty = [(number, fault) for number, fault, _ in whole if fault]
    assert faulty == [(11, "bad UTF-8 bytes at byte 3")]  # rows 0, 4 span two lines each before it
