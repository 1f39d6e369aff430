"""The feeds: each agency's format, encoding, headers and date style; counts in truth/feeds.json that a
straightforward replay of ingestion reproduces; records.csv covering every row; the catalog maps them all."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from typing import Any

import pytest
from synth_feeds import CanonicalRow, Province, header_of, read_csv, read_feed

from xinyong.catalog import default_catalog
from xinyong.catalog.fields import ALWAYS_REQUIRED, CANONICAL_FIELDS
from xinyong.dates import parse_date
from xinyong.errors import InvalidInput
from xinyong.synth.shapes import SHAPES, FeedShape

# Straight from docs/design.md §Agency feeds, so a change to the generator's shapes cannot go unnoticed.
HEADERS = {
    "court.110105": "案号 记录编号 类型 主体类型 被执行人 证件号码 决定日期 截止日期 状态 执行标的 法定代表人 "
    "法定代表人证件号 住所 出生日期 事由",
    "samr.110000": "记录号 信息类别 企业名称 统一社会信用代码 决定日期 有效期至 决定书文号 严重程度 状态 罚没金额 "
    "法定代表人 法定代表人证件号 住所 联系电话 检查结果 内容",
    "mee.110000": " ".join(CANONICAL_FIELDS),
    "procurement.110000": " ".join(CANONICAL_FIELDS),
}
TAX_KEYS = {
    *("rec_no", "category", "taxpayer_type", "taxpayer_name", "taxpayer_id", "decision_date", "expires", "doc_no"),
    *("level", "severity", "state", "amount_cny", "legal_rep", "legal_rep_id", "addr", "tel", "note"),
}
DATE_STYLE = {
    "court.110105": r"\d{4}年\d{1,2}月\d{1,2}日",
    "samr.110000": r"\d{4}/\d{1,2}/\d{1,2}",
    "tax.110000": r"\d{8}",
    "mee.110000": r"\d{4}-\d{2}-\d{2}",
    "procurement.110000": r"\d{4}-\d{2}-\d{2}",
}


@pytest.fixture(scope="module")
def feeds(province: Province) -> dict[str, list[CanonicalRow]]:
    return {shape.agency: read_feed(province.out / "feeds" / shape.filename, shape) for shape in SHAPES}


@pytest.fixture(scope="module")
def expected(province: Province) -> dict[str, dict[str, Any]]:
    doc = json.loads((province.out / "truth" / "feeds.json").read_text(encoding="utf-8"))
    return {f["agency"]: f for f in doc["feeds"]}


@pytest.fixture(scope="module")
def records(province: Province) -> dict[tuple[str, str], dict[str, str]]:
    rows = read_csv(province.out / "truth" / "records.csv")
    keyed = {(r["agency"], r["record_id"]): r for r in rows}
    assert len(keyed) == len(rows), "records.csv lists each (agency, record_id) once"
    return keyed


def test_feeds_json_lists_the_five_feeds_in_ingest_order(province: Province) -> None:
    doc = json.loads((province.out / "truth" / "feeds.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in doc["feeds"]] == [
        "feeds/court.110105.csv",
        "feeds/samr.110000.xlsx",
        "feeds/tax.110000.jsonl",
        "feeds/mee.110000.csv",
        "feeds/procurement.110000.parquet",
    ]
    assert doc["as_of"] == "2026-06-30"
    assert doc["ingest_now"]["before"] == "2028-06-29"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.agency)
def test_headers_are_the_agencys_own(province: Province, shape: FeedShape) -> None:
    path = province.out / "feeds" / shape.filename
    if shape.format == "jsonl":
        with path.open(encoding="utf-8") as f:
            keys = set().union(*(json.loads(line).keys() for line in f))
        # Blank fields are left out of a JSON object; no tax record here carries an end date.
        assert keys == TAX_KEYS - {"expires"}
    else:
        assert header_of(path, shape) == HEADERS[shape.agency].split()


def test_encodings_are_what_the_agencies_send(province: Province) -> None:
    court = (province.out / "feeds" / "court.110105.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        court.decode("utf-8")
    assert court.decode("gb18030").startswith("案号,记录编号")
    assert (province.out / "feeds" / "mee.110000.csv").read_bytes().startswith(b"\xef\xbb\xbfrecord_id,")
    assert (province.out / "feeds" / "samr.110000.xlsx").read_bytes()[:2] == b"PK"
    assert (province.out / "feeds" / "procurement.110000.parquet").read_bytes()[:4] == b"PAR1"


def test_counts_add_up_to_the_rows(feeds: dict[str, list[CanonicalRow]], expected: dict[str, dict[str, Any]]) -> None:
    for agency, rows in feeds.items():
        e = expected[agency]
        assert e["rows"] == len(rows) > 0, agency
        assert e["accepted"] + e["rejected"] + e["unchanged"] + e["superseded"] == e["rows"], agency
        assert e["superseded"] == e["resent"]["corrections"] + e["resent"]["fulfilments"]
        assert e["unchanged"] == e["resent"]["duplicates"]
    assert sum(e["rejected"] for e in expected.values()) > 0
    assert expected["court.110105"]["resent"]["fulfilments"] > 0
    assert expected["samr.110000"]["resent"]["fulfilments"] > 0


def test_a_replay_of_ingestion_gives_the_expected_counts(
    feeds: dict[str, list[CanonicalRow]],
    expected: dict[str, dict[str, Any]],
    records: dict[tuple[str, str], dict[str, str]],
) -> None:
    for agency, rows in feeds.items():
        current: dict[str, CanonicalRow] = {}
        got: Counter[str] = Counter()
        for row in rows:
            record_id = row["record_id"]
            assert record_id is not None
            if records[(agency, record_id)]["expected"] == "rejected":
                got["rejected"] += 1
            elif record_id not in current:
                got["accepted"] += 1
            elif current[record_id] == row:
                got["unchanged"] += 1
            else:
                got["superseded"] += 1
            current[record_id] = row
        assert dict(got) == {k: expected[agency][k] for k in got}, agency


def test_records_csv_covers_every_row(
    feeds: dict[str, list[CanonicalRow]], records: dict[tuple[str, str], dict[str, str]]
) -> None:
    in_feeds = {(agency, row["record_id"]) for agency, rows in feeds.items() for row in rows}
    assert in_feeds == set(records)
    assert {r["expected"] for r in records.values()} == {"stored", "rejected"}


def test_stored_rows_are_valid_and_dated_in_the_agencys_style(
    province: Province, feeds: dict[str, list[CanonicalRow]], records: dict[tuple[str, str], dict[str, str]]
) -> None:
    catalog = default_catalog()
    for agency, rows in feeds.items():
        kind = catalog.agencies[agency].kind
        for row in rows:
            assert row["record_id"] is not None
            if records[(agency, row["record_id"])]["expected"] == "rejected":
                continue
            assert all(row.get(f) for f in ALWAYS_REQUIRED if f != "subject_kind"), row
            record_type = catalog.record_types[str(row["record_type"])]
            assert kind in record_type.agency_kinds
            assert all(row.get(f) for f in record_type.required_fields), row
            decided = str(row["decided_on"])
            assert re.fullmatch(DATE_STYLE[agency], decided), decided
            assert parse_date(decided, "decided_on") <= province.params.as_of
            if row["status"] == "fulfilled":
                assert parse_date(str(row["valid_to"]), "valid_to") >= parse_date(decided, "decided_on")
            else:
                assert row["valid_to"] is None


def test_the_catalog_maps_every_column_and_value(feeds: dict[str, list[CanonicalRow]]) -> None:
    catalog = default_catalog()
    for shape in SHAPES:
        source = catalog.sources.get(shape.agency)
        if source is None:
            assert [h for h, _ in shape.columns] == list(CANONICAL_FIELDS)
            continue
        assert dict(shape.columns) == {h: source.columns[h] for h, _ in shape.columns}
        for name, words in shape.values.items():
            assert {word: canon for canon, word in words.items()} == dict(source.values[name]), name


def test_org_court_records_name_the_legal_representative(
    province: Province, feeds: dict[str, list[CanonicalRow]], records: dict[tuple[str, str], dict[str, str]]
) -> None:
    reps = {s["id"]: s["legal_rep_id"] for s in read_csv(province.out / "truth" / "subjects.csv") if s["kind"] == "org"}
    court = [r for r in feeds["court.110105"] if r["subject_kind"] == "org"]
    assert len(court) > 10
    for row in court:
        truth = records[("court.110105", str(row["record_id"]))]
        assert row["legal_rep_id"] == reps[truth["subject_id"]]
        assert row["legal_rep_name"]
    people = [r for r in feeds["court.110105"] if r["subject_kind"] == "person"]
    assert people
    assert all(r["birth_date"] and r["legal_rep_id"] is None for r in people)


def test_fulfilment_is_a_new_version_of_the_same_record(feeds: dict[str, list[CanonicalRow]]) -> None:
    rows = feeds["court.110105"]
    first: dict[str | None, CanonicalRow] = {}
    for row in rows:
        first.setdefault(row["record_id"], row)
    fulfilled = [r for r in rows if r["status"] == "fulfilled"]
    assert fulfilled
    for row in fulfilled:
        original = first[row["record_id"]]
        assert original["status"] == "in_force"
        assert original["decision_no"] == row["decision_no"]
        assert re.fullmatch(r"\(\d{4}\)京0105执\d+号", str(row["decision_no"]))


def test_future_dates_are_after_the_ingest_window(
    province: Province, feeds: dict[str, list[CanonicalRow]], records: dict[tuple[str, str], dict[str, str]]
) -> None:
    window_end = date.fromordinal(province.params.as_of.toordinal() + province.params.noise.future_min_days)
    for agency, rows in feeds.items():
        for row in rows:
            if records[(agency, str(row["record_id"]))]["reject"] != "future_date":
                continue
            assert parse_date(str(row["decided_on"]), "decided_on") >= window_end
    for key, truth in records.items():
        if truth["reject"] == "bad_date":
            row = next(r for r in feeds[key[0]] if r["record_id"] == key[1])
            with pytest.raises(InvalidInput):
                parse_date(str(row["decided_on"]), "decided_on")
