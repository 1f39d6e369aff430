"""Idempotency on (agency, record_id): the same row again is unchanged, a changed row supersedes the stored
version (which is kept), and ingesting a file again changes nothing, corrections inside it included."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from ingest_samples import Ingest, org_row, person_row, write_csv, write_jsonl

from xinyong.catalog import Catalog
from xinyong.clock import CST, FixedClock
from xinyong.ingest import ingest_paths
from xinyong.store import Store, batches, records

LATER = datetime(2100, 1, 1, tzinfo=CST)
ROWS = [org_row(n) for n in range(1, 6)] + [person_row(n) for n in range(6, 9)]


def test_same_file_twice_is_all_unchanged(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    path = write_csv(tmp_path / "mee.csv", ROWS)
    first = ingest(path)
    second = ingest(path)
    assert (first.accepted, first.unchanged, first.superseded) == (8, 0, 0)
    assert (second.rows, second.accepted, second.unchanged, second.superseded) == (8, 0, 8, 0)
    with store.connect() as conn:
        assert records.count(conn) == 8
        batch = batches.get(conn, second.batch)
    assert batch is not None
    assert (batch.status, batch.rows, batch.unchanged, batch.format) == ("done", 8, 8, "csv")
    assert batch.files == [str(path)]
    assert batch.finished_at is not None


def test_the_same_content_in_another_format_is_unchanged(tmp_path: Path, ingest: Ingest) -> None:
    ingest(write_csv(tmp_path / "mee.csv", ROWS))
    # Another file type and date style, the same content: nothing to store.
    again = [dict(row, decided_on=row["decided_on"].replace("-", "")) for row in ROWS]
    summary = ingest(write_jsonl(tmp_path / "mee.jsonl", again))
    assert (summary.accepted, summary.unchanged, summary.superseded) == (0, 8, 0)


def test_a_changed_row_supersedes_and_the_old_version_stays(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    ingest(write_csv(tmp_path / "first.csv", ROWS))
    changed = [org_row(1, amount="999.00", status="fulfilled", valid_to="2024-06-01"), *ROWS[1:]]
    summary = ingest(write_csv(tmp_path / "second.csv", changed))
    assert (summary.accepted, summary.unchanged, summary.superseded) == (0, 7, 1)
    with store.connect() as conn:
        history = records.history(conn, "mee.110000", "R000001")
        assert records.count(conn) == 9
        assert records.count(conn, current_only=True) == 8
    assert [(v.version, str(v.amount), v.status, v.current) for v in history] == [
        (1, "1200.50", "in_force", False),
        (2, "999.00", "fulfilled", True),
    ]
    assert history[0].superseded_at == history[1].recorded_at
    assert history[1].batch_pk == summary.batch
    assert history[1].subject_pk == history[0].subject_pk is not None


def test_corrections_and_duplicates_inside_one_file(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    rows = [
        org_row(1),
        org_row(2),
        org_row(1),  # exact duplicate: unchanged
        org_row(1, amount="1300.00"),  # correction: supersedes version 1
        org_row(1, amount="1300.00", status="fulfilled"),  # and again
        org_row(2),
    ]
    path = write_csv(tmp_path / "mee.csv", rows)
    summary = ingest(path, chunk_rows=4)  # the corrections straddle two chunks
    assert (summary.rows, summary.accepted, summary.unchanged, summary.superseded) == (6, 2, 2, 2)
    with store.connect() as conn:
        history = records.history(conn, "mee.110000", "R000001")
        assert [(v.version, str(v.amount), v.status, v.current) for v in history] == [
            (1, "1200.50", "in_force", False),
            (2, "1300.00", "in_force", False),
            (3, "1300.00", "fulfilled", True),
        ]
        assert [v.source_row for v in history] == [2, 5, 6]
    # The whole file again, corrections and all, changes nothing.
    again = ingest(path)
    assert (again.accepted, again.unchanged, again.superseded) == (0, 6, 0)
    with store.connect() as conn:
        assert records.count(conn) == 4


def test_chunk_size_does_not_change_the_outcome(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    rows = [org_row(n % 3, amount=f"{100 + n}.00") for n in range(7)]  # three records, each corrected
    summary = ingest(write_csv(tmp_path / "mee.csv", rows), chunk_rows=1)
    assert (summary.accepted, summary.superseded) == (3, 4)
    with store.connect() as conn:
        current = sorted((v.record_id, str(v.amount), v.version) for v in records.as_of(conn, LATER))
    assert current == [("R000000", "106.00", 3), ("R000001", "104.00", 2), ("R000002", "105.00", 2)]


def test_a_correction_without_identifier_keeps_the_link(tmp_path: Path, ingest: Ingest, store: Store) -> None:
    ingest(write_csv(tmp_path / "first.csv", [org_row(1, subject_id=None)]))
    with store.unit_of_work() as conn:
        pending = records.current(conn, "mee.110000", "R000001")
        assert pending is not None
        assert pending.link == "pending"
        linked = records.LinkUpdate(pending.pk, None, "review", 0.7, "run-1")
        records.set_links(conn, [linked])
    ingest(write_csv(tmp_path / "second.csv", [org_row(1, subject_id=None, amount="5.00")]))
    ingest(write_csv(tmp_path / "third.csv", [org_row(1, subject_id=None, subject_name="别的公司")]))
    with store.connect() as conn:
        history = records.history(conn, "mee.110000", "R000001")
    assert [(v.link, v.link_probability, v.link_run) for v in history] == [
        ("review", 0.7, "run-1"),
        ("review", 0.7, "run-1"),  # same name and code: linkage's verdict still holds
        ("pending", None, None),  # another name: linkage must look again
    ]


def test_two_batches_at_once_store_each_record_once(
    tmp_path: Path, store: Store, catalog: Catalog, clock: FixedClock
) -> None:
    rows = [org_row(n) if n % 2 else person_row(n) for n in range(600)]
    paths = [write_csv(tmp_path / f"mee{k}.csv", rows) for k in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(ingest_paths, store, catalog, clock, [path], "mee.110000", home=tmp_path, chunk_rows=50)
            for path in paths
        ]
        summaries = [future.result(timeout=120) for future in futures]
    assert sum(s.accepted for s in summaries) == 600
    assert sum(s.unchanged for s in summaries) == 600
    with store.connect() as conn:
        assert records.count(conn) == 600
