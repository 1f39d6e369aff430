"""Batches record what each ingestion did; meta keeps small named values such as cursors."""

from __future__ import annotations

import pytest
from store_samples import T0, at

from xinyong.errors import Conflict, NotFound
from xinyong.store import BatchCounts, Store, batches, meta


def test_batch_runs_then_finishes_with_counts(store: Store) -> None:
    with store.unit_of_work() as conn:
        started = batches.start(
            conn, agency="court.110105", files=["法院/2024.csv"], format="csv", file_sha256="ab" * 32, at=T0
        )
    assert started.status == "running"
    assert started.counts == BatchCounts()
    counts = BatchCounts(rows=10, accepted=7, rejected=1, unchanged=1, superseded=1)
    with store.unit_of_work() as conn:
        done = batches.finish(conn, started.pk, counts, at=at(0.01), quarantine_path="q/1.csv")
    assert done.status == "done"
    assert done.counts == counts
    assert done.finished_at == at(0.01)
    assert done.files == ["法院/2024.csv"]
    with store.connect() as conn:
        assert batches.get(conn, started.pk) == done
        assert batches.with_content(conn, "court.110105", "ab" * 32) == [done]
        assert batches.with_content(conn, "tax.110000", "ab" * 32) == []


def test_finishing_twice_or_unknown_is_refused(store: Store) -> None:
    with store.unit_of_work() as conn:
        pk = batches.start(conn, agency="tax.110000", files=["t.jsonl"], format="jsonl", file_sha256="0", at=T0).pk
        batches.finish(conn, pk, BatchCounts(), at=T0, status="failed")
    with pytest.raises(Conflict, match=f"batch {pk} is already failed"), store.unit_of_work() as conn:
        batches.finish(conn, pk, BatchCounts(), at=T0)
    with pytest.raises(NotFound, match="batch 999 does not exist"), store.unit_of_work() as conn:
        batches.finish(conn, 999, BatchCounts(), at=T0)


def test_recent_batches_newest_first(store: Store) -> None:
    with store.unit_of_work() as conn:
        pks = [
            batches.start(conn, agency=agency, files=["f"], format="csv", file_sha256=str(n), at=at(n)).pk
            for n, agency in enumerate(["a", "b", "a"])
        ]
    with store.connect() as conn:
        assert [b.pk for b in batches.recent(conn)] == pks[::-1]
        assert [b.pk for b in batches.recent(conn, agency="a", limit=1)] == [pks[2]]


def test_meta_values_set_replace_and_list(store: Store) -> None:
    with store.unit_of_work() as conn:
        assert meta.get(conn, "cursor.platform_a") is None
        meta.put(conn, "cursor.platform_a", "10")
        meta.put(conn, "cursor.platform_a", "11")
        meta.put(conn, "cursorXplatform", "wrong prefix")
        meta.put(conn, "checkpoint.latest", '{"size": 3, "说明": "检查点"}')
    with store.connect() as conn:
        assert meta.get(conn, "cursor.platform_a") == "11"
        assert meta.with_prefix(conn, "cursor.") == {"cursor.platform_a": "11"}
        assert meta.get(conn, "checkpoint.latest") == '{"size": 3, "说明": "检查点"}'
