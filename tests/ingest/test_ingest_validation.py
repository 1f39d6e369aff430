"""Row checks without a database: one reason per rejected row, and one hash per content however written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from xinyong.catalog import Catalog
from xinyong.ingest.cells import clean
from xinyong.ingest.mapping import FieldMap, MappedRow
from xinyong.ingest.rows import RawRow, Rejection
from xinyong.ingest.validation import EXTRA_VALUE_LIMIT, RowValidator
from xinyong.text import clean_field

TODAY = date(2025, 6, 1)
BASE = {
    "record_id": "R1",
    "record_type": "admin.penalty",
    "subject_kind": "org",
    "subject_name": "北京某某科技有限公司",
    "decided_on": "2024-01-10",
}


@pytest.fixture
def validator(catalog: Catalog) -> RowValidator:
    return RowValidator(catalog, catalog.agencies["mee.110000"], TODAY)


def _check(
    validator: RowValidator, extra: dict[str, str] | None = None, **fields: str
) -> tuple[dict[str, Any], str] | Rejection:
    return validator.validate(MappedRow({**BASE, **fields}, extra or {}))


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"amount": "-5"}, "amount", "'-5' is negative"),
        ({"amount": "12,5x"}, "amount", "'12,5x' is not an amount in yuan"),
        ({"amount": "NaN"}, "amount", "'NaN' is not an amount in yuan"),
        ({"amount": "1e20"}, "amount", "'1e20' is over the largest amount stored (16 digits)"),
        ({"birth_date": "2030-01-01"}, "birth_date", "2030-01-01 lies in the future (today is 2025-06-01)"),
        ({"decided_on": "0024-01-10"}, "decided_on", "'0024-01-10' is not a date (year 24 is before 1900)"),
        ({"valid_to": "45301"}, "valid_to", "'45301' is not a date (a bare number"),
        ({"status": "done"}, "status", "'done' is not one of fulfilled, in_force, revoked"),
        ({"subject_name": "名" * 257}, "subject_name", "257 characters, over the limit of 256"),
        ({"subject_id": "9" * 65}, "subject_id", "65 characters, over the limit of 64"),
    ],
)
def test_one_reason_naming_the_field(validator: RowValidator, fields: dict[str, str], field: str, reason: str) -> None:
    result = _check(validator, None, **fields)
    assert isinstance(result, Rejection)
    assert result.field == field
    assert result.reason.startswith(reason), result.reason


def test_extra_values_have_a_limit(validator: RowValidator) -> None:
    result = _check(validator, {"备注": "x" * (EXTRA_VALUE_LIMIT + 1)})
    assert result == Rejection("备注", f"{EXTRA_VALUE_LIMIT + 1} characters, over the limit of {EXTRA_VALUE_LIMIT}")


def _accepted(result: tuple[dict[str, Any], str] | Rejection) -> tuple[dict[str, Any], str]:
    assert not isinstance(result, Rejection), result
    return result


def test_values_are_typed_and_defaults_filled(validator: RowValidator) -> None:
    values, _ = _accepted(
        _check(validator, amount="1,234.5", decided_on="2024年1月10日", subject_id="91110105MA01XXXXXX")
    )
    assert values["decided_on"] == date(2024, 1, 10)
    assert values["amount"] == Decimal("1234.50")
    assert (values["status"], values["subject_id_raw"], values["valid_to"]) == ("in_force", "91110105MA01XXXXXX", None)


def test_the_same_content_hashes_alike_however_written(validator: RowValidator) -> None:
    written = [("2024-01-10", "1000"), ("2024/1/10", "1000.00"), ("20240110", "1000.0"), ("2024年1月10日", "1,000")]
    hashes = {_accepted(_check(validator, decided_on=day, amount=amount))[1] for day, amount in written}
    assert len(hashes) == 1
    assert _accepted(_check(validator, amount="1000.01"))[1] not in hashes
    assert _accepted(_check(validator, {"备注": "x"}, amount="1000"))[1] not in hashes


def test_source_mapping_renames_translates_and_fills_constants(catalog: Catalog) -> None:
    mapping = FieldMap(catalog.sources["samr.110000"])
    header = ("记录号", "信息类别", "企业名称", "决定日期", "严重程度", "检查结果", "附注", "")
    raw = RawRow(
        "samr.xlsx", 2, header, ("SJ1", "抽查结果", " 北京（测试）有限公司 ", "2024/1/6", "严重", "合格", "无", "多余")
    )
    mapped = mapping.map(raw)
    assert mapped == MappedRow(
        {
            "record_id": "SJ1",
            "record_type": "inspection.result",
            "subject_name": "北京（测试）有限公司",
            "decided_on": "2024/1/6",
            "severity": "serious",
            "result": "compliant",
            "subject_kind": "org",  # the register holds organisations only
        },
        {"附注": "无", "column 8": "多余"},
    )


@pytest.mark.parametrize("text", ["  北京\u3000公司 ", "\ufeff张三\u200b", "a\r\nb", "Cafe\u0301", "\t=1+2"])
def test_clean_equals_clean_field_on_text_without_controls(text: str) -> None:
    assert clean(text) == clean_field(text)
