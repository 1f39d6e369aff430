"""Parquet feeds read by Spark: the same raw rows as the pyarrow reader, and the same store after ingestion
(records and their versions, subjects, counts, quarantine file), selected by XINYONG_ENGINE."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_samples import org_row, person_row

from xinyong.catalog import Catalog
from xinyong.clock import FixedClock, clock_from
from xinyong.errors import InvalidInput
from xinyong.ingest import BatchSummary, ingest_paths, readers
from xinyong.ingest.readers import open_feed, read_rows
from xinyong.ingest.spark_reader import spark_parquet_rows
from xinyong.store import Store, records, subjects

pytestmark = [pytest.mark.spark, pytest.mark.integration]


def typed_feed(path: Path, n: int = 60) -> Path:
    """A canonical feed in typed columns, in row groups of 7: dates, decimals, integers, instants in a zone,
    nanosecond times, nested and unknown columns, a name that differs only by case; rows 45 on resend rows
    0 on (unchanged, but row 10 was changed first: a correction), and four rows to reject."""
    keys = [i % 45 for i in range(n)]
    rows = [org_row(k) if k % 3 else person_row(k) for k in keys]
    rows[10] = {**rows[10], "summary": "更正前的摘要"}
    rows[20]["decided_on"] = "2099-01-01"
    rows[21]["record_type"] = "admin.unknown"
    rows[22]["summary"] = "控制\x07字符"
    rows[23]["subject_name"] = None
    names = [name for name in {**org_row(0), **person_row(0)} if name not in ("decided_on", "amount")]
    arrays = {name: pa.array([row.get(name) for row in rows], pa.string()) for name in names}
    arrays["decided_on"] = pa.array(
        [
            date(2099, 1, 1) if row["decided_on"] == "2099-01-01" else date(2024, 1, 1) + timedelta(days=k)
            for row, k in zip(rows, keys, strict=True)
        ],
        pa.date32(),
    )
    arrays["amount"] = pa.array([Decimal(f"{k}.{k % 100:02d}") if k % 5 else None for k in keys], pa.decimal128(14, 2))
    arrays["phone"] = pa.array([13800138000 + k for k in keys], pa.int64())
    arrays["received"] = pa.array(
        [datetime(2024, 1, 1, 8) + timedelta(hours=k) for k in keys], pa.timestamp("us", tz="Asia/Shanghai")
    )
    arrays["stamped"] = pa.array([datetime(2024, 2, 1) + timedelta(microseconds=k) for k in keys], pa.timestamp("ns"))
    arrays["meta"] = pa.array([{"batch": k // 10, "tags": ["a", str(k)]} for k in keys])
    arrays["Summary"] = pa.array([f"大写{k}" for k in keys], pa.string())
    arrays["score"] = pa.array([k / 7 for k in keys], pa.float32())
    pq.write_table(pa.table(arrays), path, row_group_size=7)
    return path


def test_spark_reads_the_rows_pyarrow_reads(tmp_path: Path, spark_master: str) -> None:
    path = typed_feed(tmp_path / "feed [typed].parquet")  # glob characters in the name are read literally
    feed = open_feed(path, fmt=None, encoding=None, source=None)
    default = list(read_rows([feed], engine="duckdb"))
    # Small splits and chunks: several Spark tasks read the file and chunks cross row groups.
    spark = list(spark_parquet_rows(path, feed.label, spark_master, chunk=9, partition_bytes=2048))
    assert len(default) == 60
    assert [raw.number for raw in spark] == list(range(1, 61))
    # repr compares types and time zones too (a Decimal is not a float, +08:00 is not UTC).
    assert repr(spark) == repr(default)
    assert list(read_rows([feed], engine="spark")) == default


def _dump(store: Store) -> dict[str, Any]:
    with store.connect() as conn:
        versions = [asdict(row) for row in records.iter_versions(conn)]
        pks = sorted({row["subject_pk"] for row in versions if row["subject_pk"] is not None})
        found = subjects.get_many(conn, pks)
        people = [asdict(found[pk]) for pk in pks]
    return {"records": versions, "subjects": people}


def _ingest(store: Store, catalog: Catalog, clock: FixedClock, home: Path, feeds: list[tuple[Path, str]]) -> list[Any]:
    out = []
    for path, agency in feeds:
        summary: BatchSummary = ingest_paths(store, catalog, clock, [path], agency, home=home, chunk_rows=7)
        quarantine = summary.quarantine.read_bytes() if summary.quarantine is not None else None
        out.append((summary.as_dict() | {"quarantine": None}, quarantine))
    return out


def test_ingest_on_spark_stores_what_the_default_path_stores(
    tmp_path: Path, catalog: Catalog, spark_master: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    synth = pytest.importorskip("xinyong.synth")
    province = tmp_path / "province"
    synth.generate(province, synth.SynthParams(orgs=300, persons=450, years=2))
    truth = json.loads((province / "truth" / "feeds.json").read_text(encoding="utf-8"))
    clock = clock_from(truth["ingest_now"]["from"])
    assert isinstance(clock, FixedClock)
    synthetic = [(province / f["path"], f["agency"]) for f in truth["feeds"] if f["format"] == "parquet"]
    assert synthetic, "the synthetic province ships a Parquet feed"
    feeds = [*synthetic, (typed_feed(tmp_path / "typed.parquet"), "mee.110000")]

    default_store = Store(f"sqlite:///{tmp_path / 'default.db'}")
    spark_store = Store(f"sqlite:///{tmp_path / 'spark.db'}")
    try:
        for store in (default_store, spark_store):
            store.init()
        default = _ingest(default_store, catalog, clock, tmp_path / "home-default", feeds)

        def not_pyarrow(feed: object) -> Any:
            raise AssertionError("the spark engine must not read Parquet with pyarrow")

        monkeypatch.setenv("XINYONG_ENGINE", "spark")
        monkeypatch.setenv("XINYONG_SPARK_MASTER", spark_master)
        monkeypatch.setattr(readers, "_parquet_rows", not_pyarrow)
        on_spark = _ingest(spark_store, catalog, clock, tmp_path / "home-spark", feeds)
        assert on_spark == default
        counts, quarantine = default[-1]
        assert {k: counts[k] for k in ("rows", "accepted", "rejected", "unchanged", "superseded")} == {
            "rows": 60,
            "accepted": 41,
            "rejected": 4,
            "unchanged": 14,
            "superseded": 1,
        }
        assert quarantine is not None
        assert "control characters" in quarantine.decode("utf-8")
        stored = _dump(default_store)
        assert len(stored["records"]) == sum(c["accepted"] + c["superseded"] for c, _ in default)
        assert _dump(spark_store) == stored
    finally:
        default_store.dispose()
        spark_store.dispose()


def test_a_file_spark_cannot_read_is_one_line_error(tmp_path: Path, spark_master: str) -> None:
    path = tmp_path / "half.parquet"
    pq.write_table(pa.table({"record_id": ["R1"], "ratio": pa.array([1.5], pa.float16())}), path)
    with pytest.raises(InvalidInput, match=r"^half\.parquet: not readable by Spark \(.*FLOAT16") as caught:
        list(spark_parquet_rows(path, "half.parquet", spark_master))
    assert "\n" not in caught.value.one_line()
