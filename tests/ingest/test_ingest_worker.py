"""Checking in a worker process: a batch whose rows are read and checked in a worker stores exactly what the
same batch checked in this process stores (records, subjects, roles, counts, quarantine), an error met
reading a file in the worker is raised as the same error, a worker that dies is reported, not waited for, a
chunk that cannot cross fails the batch rather than vanish, and the worker leaves Ctrl-C to the ingest. The
kill test (test_ingest_kill.py) shows the worker does not outlive a killed ingest."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import queue
import signal
import zipfile
from pathlib import Path
from typing import Any, cast

import pytest
from ingest_samples import ORG_IDS, org_row, person_row, write_csv, write_xlsx
from sqlalchemy import text

from xinyong.catalog import Catalog
from xinyong.clock import clock_from
from xinyong.errors import InvalidInput, XinyongError
from xinyong.ingest import checking, ingest_paths
from xinyong.ingest.checking import Checks, check_chunk, checked_chunks, in_worker
from xinyong.ingest.mapping import FieldMap
from xinyong.ingest.readers import open_feed, read_rows
from xinyong.ingest.rows import RawRow, Rejection
from xinyong.ingest.subjects import IdentityChecker
from xinyong.ingest.validation import RowValidator
from xinyong.store import Store, batches

synth = pytest.importorskip("xinyong.synth")

TABLES = ("records", "subjects", "subject_roles", "batches")


def _dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.connect() as conn:
        return {
            table: [tuple(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY pk"))] for table in TABLES
        }


@pytest.mark.integration
def test_the_worker_stores_what_this_process_stores(tmp_path: Path, catalog: Catalog) -> None:
    synth.generate(tmp_path / "province", synth.SynthParams(orgs=300, persons=450, years=3))
    truth = json.loads((tmp_path / "province" / "truth" / "feeds.json").read_text(encoding="utf-8"))
    clock = clock_from(truth["ingest_now"]["from"])
    results = {}
    for worker in (False, True):
        store = Store(f"sqlite:///{tmp_path / f'worker-{worker}.db'}")
        store.init()
        home = tmp_path / "home"  # the same for both runs: batches record where their quarantine is
        summaries = []
        try:
            for feed in truth["feeds"]:
                path = tmp_path / "province" / feed["path"]
                # Small chunks: many of them, so rows corrected in a later chunk and chunk edges are crossed.
                summary = ingest_paths(
                    store, catalog, clock, [path], feed["agency"], home=home, chunk_rows=97, worker=worker
                )
                quarantine = summary.quarantine.read_bytes() if summary.quarantine is not None else None
                summaries.append((summary.as_dict() | {"quarantine": None}, quarantine))
            results[worker] = (summaries, _dump(store))
        finally:
            store.dispose()
    alone, with_worker = results[False], results[True]
    assert any(quarantine for _, quarantine in alone[0])  # the province's feeds have rows to reject
    assert sum(summary["superseded"] for summary, _ in alone[0]) > 0  # and corrections
    assert with_worker[0] == alone[0]
    assert with_worker[1] == alone[1]


def _broken_workbook(tmp_path: Path) -> Path:
    good = write_xlsx(tmp_path / "good.xlsx", [org_row(n) for n in range(5)])
    with zipfile.ZipFile(good) as original:
        parts = {info.filename: original.read(info) for info in original.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"][:-200]
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(broken, "w") as out:
        for name, data in parts.items():
            out.writestr(name, data)
    return broken


@pytest.mark.parametrize("worker", [False, True], ids=["here", "worker"])
def test_an_unreadable_file_fails_the_batch_with_the_same_error(
    tmp_path: Path, store: Store, catalog: Catalog, worker: bool
) -> None:
    broken = _broken_workbook(tmp_path)
    clock = clock_from("2025-06-01")
    with pytest.raises(InvalidInput, match=r"^broken\.xlsx: unreadable after row \d+ \(") as caught:
        ingest_paths(store, catalog, clock, [broken], "mee.110000", home=tmp_path / "home", worker=worker)
    assert caught.value.field == "file"
    with store.connect() as conn:
        assert [batch.status for batch in batches.recent(conn)] == ["failed"]


def test_a_worker_that_dies_is_reported(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    dying = context.Process(target=os._exit, args=(3,))
    dying.start()
    dying.join()
    with pytest.raises(XinyongError, match=r"stopped \(exit code 3\) before the end of the files"):
        next(checking._received(context.Queue(), dying))


def test_a_checked_chunk_crosses_to_the_store_unchanged(tmp_path: Path, catalog: Catalog) -> None:
    rows = [org_row(n) for n in range(40)] + [person_row(n) for n in range(20)]
    mistyped = ORG_IDS[0][:-1] + ("1" if ORG_IDS[0].endswith("0") else "0")
    rows += [org_row(90, subject_id=mistyped), person_row(91, decided_on="2999-01-01")]
    feed = open_feed(write_csv(tmp_path / "feed.csv", rows), fmt=None, encoding=None, source=None)
    day = clock_from("2025-06-01").now().date()
    agency = catalog.agencies["mee.110000"]
    checks = Checks((feed,), None, FieldMap(None), RowValidator(catalog, agency, day), IdentityChecker(None, day), 100)
    raws = list(read_rows([feed]))
    checked = check_chunk(raws, checks)
    assert len(checked.valid) == 61
    assert len(checked.rejected) == 1
    assert sum(row.subject is None for row in checked.valid) == 1  # the mistyped code waits for linkage
    assert sum(row.rep is not None for row in checked.valid) == 40
    # The worker is handed the checks in one piece and checks with them as this process does; what it hands
    # back arrives as it was.
    assert check_chunk(raws, _across(checks)) == checked
    assert _across(catalog) == catalog
    assert checking._unpacked(*_across(checking._packed(checked))) == checked


def _across(value: Any) -> Any:
    # What a value becomes on its way between processes.
    return pickle.loads(pickle.dumps(value))  # noqa: S301 - our own bytes


def test_large_batches_are_checked_in_a_worker(
    tmp_path: Path, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = open_feed(write_csv(tmp_path / "feed.csv", [org_row(1)]), fmt=None, encoding=None, source=None)
    day = clock_from("2025-06-01").now().date()
    agency = catalog.agencies["mee.110000"]
    checks = Checks((feed,), None, FieldMap(None), RowValidator(catalog, agency, day), IdentityChecker(None, day), 100)
    monkeypatch.setattr(checking, "cores", lambda: 2)
    assert not in_worker(checks)
    assert in_worker(checks, True)
    monkeypatch.setattr(checking, "WORKER_MIN_BYTES", 1)
    assert in_worker(checks)
    assert not in_worker(checks, False)
    monkeypatch.setattr(checking, "cores", lambda: 1)
    assert not in_worker(checks)


def test_a_chunk_that_cannot_cross_fails_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing a reader yields is unpicklable today; if something ever were, the batch must fail loudly
    # rather than lose the chunk (multiprocessing's own queue thread would only print the error).
    unpicklable = RawRow("feed.csv", 2, ("summary",), (lambda: None,))
    chunk = checking.CheckedChunk([], [(unpicklable, Rejection("summary", "x"))])
    monkeypatch.setattr(checking, "_here", lambda checks: iter([chunk]))
    out: Any = queue.Queue()
    checking._serve(cast(Checks, None), out)  # in this process: the chunk is pickled as the worker would
    with pytest.raises(RuntimeError, match=r"the worker checking this batch's rows failed: .*pickle"):
        list(checking._received(out, multiprocessing.current_process()))


def test_the_worker_leaves_ctrl_c_to_the_ingest(tmp_path: Path, catalog: Catalog) -> None:
    # A terminal's Ctrl-C reaches the whole process group: the worker keeps SIGINT blocked (it would print a
    # traceback from the middle of its imports) and the ingest, whose own mask is as before, decides.
    feed = open_feed(write_csv(tmp_path / "feed.csv", [org_row(1)]), fmt=None, encoding=None, source=None)
    day = clock_from("2025-06-01").now().date()
    agency = catalog.agencies["mee.110000"]
    checks = Checks((feed,), None, FieldMap(None), RowValidator(catalog, agency, day), IdentityChecker(None, day), 100)
    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    with checked_chunks(checks, worker=True) as chunks:
        workers = multiprocessing.active_children()
        masks = [_blocked_signals(process.pid) for process in workers if process.pid is not None]
        assert [len(chunk.valid) for chunk in chunks] == [1]
    assert masks
    assert all(signal.SIGINT in mask for mask in masks)
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before


def _blocked_signals(pid: int) -> set[int]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    mask = int(next(line.split()[1] for line in status if line.startswith("SigBlk:")), 16)
    return {number for number in range(1, 65) if mask & (1 << (number - 1))}
