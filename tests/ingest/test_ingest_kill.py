"""Crash safety, for real: `xinyong ingest` SIGKILLed mid-batch and run again stores every row exactly once.

The feed is large enough (two and a half chunks, over `checking.WORKER_MIN_BYTES`) that the rows are read
and checked in a worker process, so the kill also shows the worker does not outlive the ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ingest_samples import org_row, person_row, write_csv

from xinyong.ingest import CHUNK_ROWS
from xinyong.ingest.checking import WORKER_MIN_BYTES
from xinyong.store import Store, batches, records

ROWS = CHUNK_ROWS * 5 // 2
CORRECTED = range(0, ROWS, 31)  # records corrected further down the same file


def _feed(path: Path) -> Path:
    rows = [org_row(n) if n % 3 else person_row(n) for n in range(ROWS)]
    # Corrections at the end: a record whose first version a killed run stored must not gain a
    # duplicate of it when the re-run meets that first version again.
    rows += [dict(rows[n], amount="77.00") for n in CORRECTED]
    return write_csv(path, rows)


def _command(feed: Path) -> list[str]:
    return [sys.executable, "-m", "xinyong.cli.app", "ingest", str(feed), "--agency", "mee.110000", "--json"]


def _children(pid: int) -> list[int]:
    # The processes the ingest started (the checking worker, and multiprocessing's resource tracker).
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


@pytest.mark.slow
def test_sigkill_mid_batch_then_rerun_stores_every_row_once(tmp_path: Path, db_url: str, store: Store) -> None:
    feed = _feed(tmp_path / "mee.csv")
    assert feed.stat().st_size >= WORKER_MIN_BYTES
    env = dict(
        os.environ,
        XINYONG_DATABASE_URL=db_url,
        XINYONG_HOME=str(tmp_path / "home"),
        XINYONG_NOW="2025-06-01",
    )
    victim = subprocess.Popen(_command(feed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        stored = 0
        while stored == 0:  # wait for the first chunk to commit, then kill in the middle of the batch
            assert victim.poll() is None, "the ingest finished before it could be killed; make the feed bigger"
            assert time.monotonic() < deadline, "no chunk committed within two minutes"
            time.sleep(0.05)
            with store.connect() as conn:
                stored = records.count(conn)
        children = _children(victim.pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
    assert victim.returncode == -signal.SIGKILL
    assert children, "the rows were not checked in a worker process"
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in children):  # they notice their parent is gone
        assert time.monotonic() < deadline, f"worker processes {children} outlived the killed ingest"
        time.sleep(0.1)
    with store.connect() as conn:
        cut_short = batches.recent(conn)
        partial = records.count(conn)
    assert 0 < partial < ROWS
    assert [(b.status, b.rows > 0) for b in cut_short] == [("running", True)]

    rerun = subprocess.run(_command(feed), env=env, capture_output=True, text=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["rows"] == ROWS + len(CORRECTED)
    assert summary["rejected"] == 0

    with store.connect() as conn:
        versions = list(records.iter_versions(conn))
        done = batches.get(conn, summary["batch"])
    keys = [(v.agency, v.record_id, v.version) for v in versions]
    assert len(keys) == len(set(keys)) == ROWS + len(CORRECTED)
    assert len({(v.agency, v.record_id) for v in versions}) == ROWS
    current = [v for v in versions if v.current]
    assert len(current) == ROWS
    corrected = {f"R{n:06d}" if n % 3 else f"P{n:06d}" for n in CORRECTED}
    assert {v.record_id for v in versions if v.version == 2} == corrected
    assert all(str(v.amount) == "77.00" for v in current if v.record_id in corrected)
    # Both batches together account for every row: what the killed one stored, the re-run found unchanged.
    assert done is not None
    assert done.status == "done"
    assert summary["accepted"] + summary["superseded"] + summary["unchanged"] == ROWS + len(CORRECTED)
    assert summary["unchanged"] >= cut_short[0].accepted
