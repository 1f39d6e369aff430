"""Credit reports: `xinyong report ID --out FILE.pdf` writes a PDF whose text, read back with pypdf, holds
the subject's Chinese name, its decision numbers and the audit checkpoint it cites; the read is logged
first, so the checkpoint contains it. Skipped only when no Chinese font from Debian is installed."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from xinyong.catalog import default_catalog
from xinyong.cli.app import app
from xinyong.clock import CST
from xinyong.errors import ConfigError
from xinyong.reports.fonts import KNOWN_FONTS, CjkFont, find_cjk_font
from xinyong.store import NewSubject, RecordData, Store, audit_rows, records, subjects

pytestmark = pytest.mark.integration
runner = CliRunner()
CAT = default_catalog()
HAS_FONT = any(font.path.is_file() for font in KNOWN_FONTS)
needs_font = pytest.mark.skipif(not HAS_FONT, reason="no Chinese font: apt-get install fonts-wqy-microhei")

ORG_ID = "91350500676532779B"
ORG_NAME = "厦门鹭江星辰贸易有限公司"
PERSON_ID = "11010519491231002X"
PERSON_NAME = "欧阳明"
DECISION_NOS = ("(2025)京0105执123号", "京市监罚〔2025〕88号")
RECORDED = datetime(2025, 1, 5, 10, tzinfo=CST)


@pytest.fixture(autouse=True)
def _environment(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray xinyong.toml
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_NOW", "2025-06-01")
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))


def _subject(store: Store, kind: str, id_value: str, name: str) -> int:
    with store.unit_of_work() as conn:
        row = subjects.create(
            conn,
            NewSubject(
                kind=kind,
                name=name,
                name_norm=name,
                id_kind="uscc" if kind == "org" else "resident_id",
                id_value=id_value,
            ),
            at=RECORDED,
        )
    return row.pk


def _record(store: Store, subject_pk: int, kind: str, agency: str, record_id: str, record_type: str, **kw: Any) -> None:
    values: dict[str, Any] = {
        "agency": agency,
        "record_id": record_id,
        "record_type": record_type,
        "subject_kind": kind,
        "subject_name": ORG_NAME,
        "subject_pk": subject_pk,
        "link": "id",
        "decided_on": date(2025, 1, 10),
        "row_hash": f"h-{record_id}",
    }
    values.update(kw)
    with store.unit_of_work() as conn:
        records.insert_version(conn, RecordData(**values), recorded_at=RECORDED)


@pytest.fixture
def company(store: Store) -> int:
    """A company on the defaulter list with a general penalty."""
    pk = _subject(store, "org", ORG_ID, ORG_NAME)
    _record(
        store,
        pk,
        "org",
        "court.110105",
        "D1",
        "court.defaulter",
        decision_no=DECISION_NOS[0],
        valid_to=date(2026, 12, 31),
        amount=Decimal("854685.21"),
    )
    _record(
        store,
        pk,
        "org",
        "samr.110000",
        "P1",
        "admin.penalty",
        decision_no=DECISION_NOS[1],
        decided_on=date(2025, 4, 10),
        severity="general",
    )
    return pk


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@needs_font
def test_report_holds_the_chinese_name_decision_numbers_and_checkpoint(
    store: Store, company: int, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    result = runner.invoke(app, ["report", ORG_ID, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    assert ORG_NAME in text
    for number in DECISION_NOS:
        assert number in text
    assert CAT.lists["defaulter"].label_zh in text
    assert "2026-12-31" in text
    checkpoint = summary["checkpoint"]
    assert checkpoint["root_hex"] in text
    # The read was logged before the checkpoint was signed, so the checkpoint holds it.
    with store.connect() as conn:
        size = audit_rows.size(conn)
        [entry] = [row for row in audit_rows.iter_rows(conn) if row.action == "read"]
    assert entry.detail["report"] is True
    assert entry.purpose == "credit report"
    assert summary["read_entry"] == entry.seq
    assert entry.seq <= checkpoint["size"] <= size
    assert f"{checkpoint['size']}" in text


@needs_font
def test_public_report_in_english_masks_a_person_and_logs_no_read(store: Store, tmp_path: Path) -> None:
    pk = _subject(store, "person", PERSON_ID, PERSON_NAME)
    _record(
        store,
        pk,
        "person",
        "court.110105",
        "D2",
        "court.defaulter",
        subject_name=PERSON_NAME,
        decision_no="(2025)京0105执456号",
        valid_to=date(2026, 6, 30),
    )
    _record(
        store,
        pk,
        "person",
        "court.110105",
        "C2",
        "court.consumption_restriction",
        subject_name=PERSON_NAME,
        decision_no="(2025)京0105执789号",
    )
    out = tmp_path / "public.pdf"
    result = runner.invoke(app, ["report", PERSON_ID, "--out", str(out), "--view", "public", "--lang", "en"])
    assert result.exit_code == 0, result.output
    text = _text(out.read_bytes())
    assert "Credit report" in text
    assert PERSON_NAME in text
    assert "110105********002X" in text
    assert PERSON_ID not in text
    assert "(2025)京0105执456号" in text
    assert "(2025)京0105执789号" not in text  # shared, not published
    with store.connect() as conn:
        assert not [row for row in audit_rows.iter_rows(conn) if row.action == "read"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "report.txt"], "out: "),
        (["--out", "missing/report.pdf"], "out: folder missing does not exist"),
        (["--out", "r.pdf", "--view", "secret"], "view: 'secret' is not a view"),
        (["--out", "r.pdf", "--lang", "fr"], "lang: 'fr' is not a report language"),
    ],
)
def test_bad_options_are_one_line_errors(company: int, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["report", ORG_ID, *args])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {message}")
    assert "Traceback" not in result.output


def test_unknown_subject_is_a_one_line_error(company: int) -> None:
    result = runner.invoke(app, ["report", "S00009999", "--out", "r.pdf"])
    assert result.exit_code == 1
    assert "no subject" in result.stderr


def test_a_missing_font_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="apt-get install fonts-wqy-microhei"):
        find_cjk_font([CjkFont(tmp_path / "none.ttc", "fonts-none")])
    if HAS_FONT:
        assert find_cjk_font().path.is_file()
