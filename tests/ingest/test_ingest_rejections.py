"""A malformed feed with one of each kind of bad row: each rejected with its field and reason, quarantined
with its original values, and the good rows stored all the same."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from ingest_samples import Ingest, org_row, person_row, write_csv

from xinyong.errors import InvalidInput
from xinyong.store import Store, records

# (row as changed, field, start of the reason)
BAD = [
    (org_row(101, subject_name=""), "subject_name", "required field is missing"),
    (org_row(102, decided_on="2024-02-30"), "decided_on", "'2024-02-30' is not a date (day 30"),
    (org_row(103, decided_on="2025-06-02"), "decided_on", "2025-06-02 lies in the future (today is 2025-06-01)"),
    (org_row(104, record_type="env.credit_evaluation"), "record_type", "'env.credit_evaluation' is not a record"),
    (org_row(105, record_type="court.defaulter"), "record_type", "'court.defaulter' may not be sent by a mee"),
    (org_row(106, summary="长" * 4001), "summary", "4001 characters, over the limit of 4000"),
    (org_row(107, subject_name="北京\x07科技有限公司"), "subject_name", "control characters"),
    (org_row(108, address="BAD-BYTES-HERE"), "address", "bad UTF-8 bytes"),
    (org_row(109, severity="huge"), "severity", "'huge' is not one of general, minor, serious"),
    (org_row(110, record_type="inspection.result"), "result", "required for record type inspection.result"),
    (org_row(111, amount="12.345"), "amount", "'12.345' has fractions of a fen"),
    (org_row(112, legal_basis="made.up"), "legal_basis", "'made.up' is not a legal basis in the catalog"),
    (org_row(113, valid_from="2024-03-01", valid_to="2024-02-01"), "valid_to", "2024-02-01 is before valid_from"),
    (person_row(114, subject_kind="company"), "subject_kind", "'company' is not one of org, person"),
]
GOOD = [org_row(1), person_row(2), org_row(3, record_type="inspection.result", result="compliant")]


def _quarantined(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # a byte-order mark, for Excel
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_each_bad_row_is_rejected_with_its_field_and_reason(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    rows = [GOOD[0], *(row for row, _, _ in BAD[:7]), GOOD[1], *(row for row, _, _ in BAD[7:]), GOOD[2]]
    path = write_csv(tmp_path / "mee.csv", rows)
    path.write_bytes(path.read_bytes().replace(b"BAD-BYTES-HERE", b"bad \xff\xfe bytes"))

    summary = ingest(path)

    assert (summary.rows, summary.accepted, summary.rejected, summary.unchanged) == (17, 3, 14, 0)
    assert summary.quarantine is not None
    quarantined = _quarantined(summary.quarantine)
    assert [q["row"] for q in quarantined] == [str(rows.index(row) + 2) for row, _, _ in BAD]
    for line, (row, field, reason) in zip(quarantined, BAD, strict=True):
        assert (line["record_id"], line["field"]) == (row["record_id"], field)
        assert line["reason"].startswith(reason), line["reason"]
        assert line["file"] == "mee.csv"
    # The original values travel with the reason, bad bytes shown as the replacement character.
    assert quarantined[7]["address"] == "bad \ufffd\ufffd bytes"
    assert quarantined[6]["subject_name"] == "北京\x07科技有限公司"
    with store.connect() as conn:
        stored = sorted(v.record_id for v in records.iter_versions(conn))
    assert stored == sorted(row["record_id"] for row in GOOD)


def test_tax_rating_needs_a_grade(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    rows = [
        org_row(1, record_type="tax.rating", grade="A", severity=None, amount=None),
        org_row(2, record_type="tax.rating", severity=None, amount=None),
        org_row(3, record_type="tax.rating", grade="E", severity=None, amount=None),
    ]
    summary = ingest(write_csv(tmp_path / "tax.csv", rows), agency="tax.110000")
    assert (summary.accepted, summary.rejected) == (1, 2)
    assert summary.quarantine is not None
    assert [(q["row"], q["field"], q["reason"]) for q in _quarantined(summary.quarantine)] == [
        ("3", "grade", "required for record type tax.rating"),
        ("4", "grade", "'E' is not one of A, B, C, D, M"),
    ]


def test_a_clean_batch_has_no_quarantine_file(tmp_path: Path, ingest: Ingest, home: Path) -> None:
    summary = ingest(write_csv(tmp_path / "mee.csv", GOOD))
    assert summary.quarantine is None
    assert not (home / "quarantine").exists()


def test_a_header_without_a_required_column_refuses_the_file_before_storing(
    tmp_path: Path, ingest: Ingest, store: Store
) -> None:
    path = tmp_path / "mee.csv"
    path.write_text("record_id,record_type,subject_kind,decided_on\nR1,admin.penalty,org,2024-01-10\n")
    with pytest.raises(InvalidInput, match="no column for required field subject_name") as caught:
        ingest(path)
    assert caught.value.field == "subject_name"
    with store.connect() as conn:
        assert records.count(conn) == 0
