"""Rows are mapped and checked a block at a time, column by column: each row of a block gets exactly what it
gets on its own (a block of one), its rejection or its values and hash, whatever its neighbours hold."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from ingest_samples import columns_of, org_row, person_row

from xinyong.catalog import Catalog
from xinyong.ingest.cells import clean
from xinyong.ingest.mapping import FieldMap
from xinyong.ingest.rows import RawRow, Rejection
from xinyong.ingest.validation import VALUE_FIELDS, Checked, RowValidator

TODAY = date(2025, 6, 1)
# Cells that trip one check or another, or that a check must let through unchanged.
NASTY: tuple[Any, ...] = (
    "",
    " ",
    "\u3000",
    "x" * 300,
    "名" * 257,
    "a\x01b",
    "bad\ufffd",
    "2030-01-01",
    "2024/1/10",
    "2024年1月10日",
    "0024-01-10",
    "2024-02-30",
    "45301",
    "-5",
    "1,234.5",
    "12.345",
    "1e20",
    "NaN",
    "007.00",
    "alien",
    "done",
    "Z",
    "nope.type",
    "court.defaulter",
    "bogus.basis",
    "a\r\nb",
    "Cafe\u0301",
    "\ufeffR1\u200b",
    "=cmd|' /C calc'!A0",
    "9" * 65,
    "（测试）",
    None,
    12,
    3.5,
    Decimal("10.10"),
    datetime(2024, 1, 10),
)
# Values each samr.110000 column takes when it is not being nasty, in the agency's own words.
SAMR = {
    "记录号": [f"SJ{n}" for n in range(8)],
    "信息类别": ["行政处罚", "行政许可", "抽查结果", "经营异常"],
    "企业名称": ["北京（测试）有限公司", " 北京某某科技有限公司 "],
    "统一社会信用代码": ["91110105MA01XXXXXX", ""],
    "决定日期": ["2024/1/6", "2024-03-01"],
    "严重程度": ["轻微", "一般", "严重", ""],
    "检查结果": ["合格", "不合格", ""],
    "罚没金额": ["1000", "1,200.50", ""],
    "附注": ["无", ""],
    "": ["多余", ""],
}


def _fuzzed(rng: random.Random, header: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[RawRow]:
    # Each row gets a few nasty cells; some are cut short or run long, some carry a reader's fault, some hold
    # cells that are not text (as XLSX and Parquet give them).
    out = []
    for number, cells in enumerate(rows, start=2):
        changed = list(cells)
        for _ in range(rng.randrange(4)):
            changed[rng.randrange(len(changed))] = rng.choice(NASTY)
        roll = rng.random()
        if roll < 0.05:
            changed = changed[: rng.randrange(len(changed) + 1)]
        elif roll < 0.1:
            changed += [rng.choice(NASTY) for _ in range(rng.randrange(1, 3))]
        fault = "undecodable bytes" if rng.random() < 0.02 else None
        text_only = fault is None and all(isinstance(cell, str) for cell in changed)
        if text_only and rng.random() < 0.5:
            text_only = False  # text cells a reader did not vouch for are converted all the same
        out.append(RawRow("feed", number, header, tuple(changed), fault, text_only))
    return out


def _alone(mapping: FieldMap, validator: RowValidator, raw: RawRow) -> Checked:
    mapped = mapping.map(raw)
    if isinstance(mapped, Rejection):
        return mapped
    checked = validator.validate(mapped)
    if isinstance(checked, Rejection):
        return checked
    values, row_hash = checked
    assert list(values) == list(VALUE_FIELDS)
    return tuple(values.values()), row_hash


def _canonical_rows(rng: random.Random) -> tuple[tuple[str, ...], list[list[Any]]]:
    rows = [org_row(n) if n % 3 else person_row(n) for n in range(400)]
    for row in rows[::7]:
        row["备注"] = rng.choice(["", "补充说明", "x" * 4001])  # an unknown column, kept in extra
    columns = columns_of(rows)
    return tuple(columns), [["" if row.get(c) is None else row.get(c) for c in columns] for row in rows]


def _samr_rows(rng: random.Random) -> tuple[tuple[str, ...], list[list[Any]]]:
    header = tuple(SAMR)
    return header, [[rng.choice(SAMR[column]) for column in header] for _ in range(400)]


@pytest.mark.parametrize(("agency", "shape"), [("mee.110000", _canonical_rows), ("samr.110000", _samr_rows)])
@pytest.mark.parametrize("seed", range(3))
def test_a_block_gives_each_row_what_it_gives_alone(catalog: Catalog, agency: str, shape: Any, seed: int) -> None:
    rng = random.Random(seed)
    header, rows = shape(rng)
    raws = _fuzzed(rng, header, rows)
    mapping = FieldMap(catalog.sources.get(agency))
    validator = RowValidator(catalog, catalog.agencies[agency], TODAY)
    alone = [_alone(mapping, validator, raw) for raw in raws]
    start = 0
    while start < len(raws):
        size = rng.choice([1, 2, 17, 150])
        block = raws[start : start + size]
        assert validator.validate_block(mapping.map_block(block)) == alone[start : start + size]
        start += size
    rejected = sum(isinstance(result, Rejection) for result in alone)
    assert 0.1 * len(raws) < rejected < 0.9 * len(raws)  # the fuzzing exercised both outcomes


def test_a_column_is_cleaned_as_each_of_its_cells() -> None:
    texts = ["  北京\u3000公司 ", "Cafe\u0301", "a\r\nb", "\ufeff张三\u200b", "plain", "", " x "]
    header = ("subject_name", "summary")
    rows = [RawRow("feed", n, header, (text, texts[-1 - n]), None, True) for n, text in enumerate(texts)]
    block = FieldMap(None).map_block(rows)
    assert block.fields["subject_name"] == [clean(text) for text in texts]
    assert block.fields["summary"] == [clean(text) for text in reversed(texts)]
    # Columns that take the quick path (all ASCII, or all NFC without invisible characters) are cleaned alike.
    for column in (["a\r\nb ", " c"], ["北京\r\n公司", " 张三 "]):
        quick = [RawRow("feed", n, header, (text, "b"), None, True) for n, text in enumerate(column)]
        assert FieldMap(None).map_block(quick).fields["subject_name"] == [clean(text) for text in column]


def test_the_first_filled_of_two_columns_for_a_field_counts() -> None:
    header = ("subject_name", "SUBJECT_NAME", "record_id")
    rows = [("甲", "乙", "1"), ("", "乙", "2"), (" ", "", "3")]
    block = FieldMap(None).map_block([RawRow("feed", n, header, cells, None, True) for n, cells in enumerate(rows)])
    assert block.fields["subject_name"] == ["甲", "乙", ""]
