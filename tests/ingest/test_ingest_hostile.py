"""Hostile input: formula cells stored as text and defused on the way out, zip bombs refused before they
unpack, control characters and oversize fields rejected row by row."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from ingest_samples import Ingest, org_row, write_xlsx

from xinyong.cli.records_cmd import version_lines
from xinyong.errors import InvalidInput
from xinyong.ingest import xlsx
from xinyong.store import Store, batches, records

FORMULA = "=cmd|' /C calc'!A0"


def test_formula_cells_are_stored_as_text_and_defused_on_export(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    rows = [
        org_row(1, summary=FORMULA, decision_no="@SUM(1+1)"),
        org_row(2, record_id="=HYPERLINK(1)"),
        org_row(3, summary=FORMULA, decided_on="never"),  # rejected: its formula goes to quarantine
        org_row(4, amount="-0"),  # a signed number is no formula, and no negative amount either
    ]
    summary = ingest(write_xlsx(tmp_path / "mee.xlsx", rows))
    assert (summary.accepted, summary.rejected) == (3, 1)
    with store.connect() as conn:
        stored = records.current(conn, "mee.110000", "R000001")
    assert stored is not None
    assert (stored.summary, stored.decision_no) == (FORMULA, "@SUM(1+1)")  # exactly as sent
    exported = {line["record_id"] for line in version_lines(store)}
    assert exported == {"R000001", "'=HYPERLINK(1)", "R000004"}
    assert summary.quarantine is not None
    with summary.quarantine.open(encoding="utf-8-sig", newline="") as f:
        (line,) = list(csv.DictReader(f))
    assert line["summary"] == "'" + FORMULA
    assert (line["field"], line["decided_on"]) == ("decided_on", "never")


def _bomb(path: Path, sheet_bytes: int) -> Path:
    """A workbook whose sheet is megabytes of one repeated byte: it compresses a thousand times."""
    write_xlsx(path, [org_row(1)])
    with zipfile.ZipFile(path) as original:
        parts = {info.filename: original.read(info) for info in original.infolist()}
    parts["xl/worksheets/sheet1.xml"] += b" " * sheet_bytes
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bomb:
        for name, data in parts.items():
            bomb.writestr(name, data)
    return path


def test_an_xlsx_zip_bomb_is_refused_before_anything_is_stored(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", 16 << 20)
    assert path.stat().st_size < 100_000
    with pytest.raises(InvalidInput, match=r"bomb\.xlsx: zip part xl/worksheets/sheet1\.xml expands [\d,]+ times"):
        ingest(path)
    with store.connect() as conn:
        assert records.count(conn) == 0
        assert batches.recent(conn) == []


def test_xlsx_limits_on_total_size_and_shared_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "feed.xlsx", [org_row(n) for n in range(20)])
    xlsx.check_zip(path, "feed.xlsx")  # an ordinary workbook passes
    monkeypatch.setattr(xlsx, "MAX_UNCOMPRESSED", 1000)
    with pytest.raises(InvalidInput, match=r"feed\.xlsx: expands to [\d,]+ bytes, over the limit of 1,000"):
        xlsx.check_zip(path, "feed.xlsx")


def test_bad_utf8_in_json_lines_rejects_the_row_and_names_the_field(
    tmp_path: Path, ingest: Ingest, store: Store
) -> None:
    good = (
        '{"record_id":"R1","record_type":"admin.penalty","subject_kind":"org",'
        '"subject_name":"甲公司","decided_on":"2024-01-10"}'
    )
    bad = good.replace("R1", "R2").replace("甲公司", "BAD").encode().replace(b"BAD", b"\xc3\x28")
    path = tmp_path / "mee.jsonl"
    path.write_bytes(good.encode() + b"\n" + bad + b"\n[1, 2]\n{broken\n")
    summary = ingest(path)
    assert (summary.accepted, summary.rejected) == (1, 3)
    assert summary.quarantine is not None
    with summary.quarantine.open(encoding="utf-8-sig", newline="") as f:
        lines = [(q["row"], q["field"], q["reason"]) for q in csv.DictReader(f)]
    assert lines[:2] == [("2", "subject_name", "bad UTF-8 bytes at byte 86"), ("3", "row", "not a JSON object")]
    assert lines[2][:2] == ("4", "row")
    assert lines[2][2].startswith("not valid JSON (")  # the parser's own words follow
