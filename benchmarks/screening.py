"""Screening benchmark (issue 4): in-process batch checks against a bare `set`, index memory and rebuild time,
the publisher's cost per record, and (with --http) the HTTP routes against bare FastAPI endpoints.

    python -m benchmarks.screening [--universe 10000000] [--measured 1000000] [--queries 1000000] [--reps 7]
                                   [--http [--http-seconds 5] [--http-rounds 3]] [--keep DIR]

Every figure is measured in this run; ratios compare against a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.ids import resident_id
from xinyong.screening import ScreeningIndex, publish
from xinyong.store import Store
from xinyong.store.schema import records, subjects
from xinyong.store.schema_screening import measure_targets

DIVISIONS = np.array([110101, 110102, 110105, 110106, 110107, 110108, 110111, 110112, 110113, 110114, 110115])
DAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 4, tzinfo=UTC)


#: IDs in one `POST /v1/check/batch` request of the HTTP part.
BATCH_REQUEST_IDS = 1000


def resident_ids(n: int, seed: int = 1) -> list[str]:
    """n distinct valid resident ID numbers, generated vectorised."""
    rng = np.random.default_rng(seed)
    keys = np.empty(0, dtype=np.int64)
    while keys.size < n:
        more = rng.integers(0, DIVISIONS.size * 20_000 * 1000, size=int((n - keys.size) * 1.1) + 10)
        keys = np.unique(np.concatenate([keys, more]))
    keys = rng.permutation(keys)[:n]
    division = DIVISIONS[keys // (20_000 * 1000)]
    day = (keys // 1000) % 20_000
    seq = keys % 1000
    born = (np.datetime64("1950-01-01") + day.astype("timedelta64[D]")).astype("datetime64[D]")
    ymd = np.char.replace(np.datetime_as_string(born), "-", "").astype(np.int64)
    digits17 = division * 10**11 + ymd * 1000 + seq
    chars = np.zeros((n, 17), dtype=np.int64)
    rest = digits17.copy()
    for pos in range(16, -1, -1):
        chars[:, pos] = rest % 10
        rest //= 10
    check = np.frombuffer(resident_id.CHECK_CHARS.encode(), dtype=np.uint8)[
        (chars * np.array(resident_id.WEIGHTS)).sum(axis=1) % 11
    ]
    body = (chars + ord("0")).astype(np.uint8)
    full = np.concatenate([body, check[:, None]], axis=1)
    return full.view("S18").ravel().astype("U18").tolist()


def _fresh(db: Path) -> None:
    """Start from an empty database file (a kept work folder may hold one from an earlier run)."""
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _interleaved(runs: dict[str, Callable[[], object]], n: int, reps: int) -> dict[str, dict[str, float]]:
    """Rates per name, the names taking turns `reps` times so a change in the machine's load hits them alike:
    the best run (the least disturbed by other work) and the median, in IDs per second."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(reps):
        for name, fn in runs.items():
            times[name].append(_timed(fn))
    return {name: {"best": n / min(t), "median": n / statistics.median(t)} for name, t in times.items()}


def _populate_targets(store: Store, measured: list[str]) -> None:
    """Subjects and published targets written straight to the store (the publisher is timed separately)."""
    with store.unit_of_work() as conn:
        for start in range(0, len(measured), 50_000):
            part = measured[start : start + 50_000]
            conn.execute(
                insert(subjects),
                [
                    {
                        "pk": start + i + 1,
                        "key": f"S{start + i + 1:08d}",
                        "kind": "person",
                        "id_kind": "resident_id",
                        "id_value": code,
                        "name": "张伟",
                        "name_norm": "张伟",
                        "allowlisted": False,
                        "created_at": NOW,
                    }
                    for i, code in enumerate(part)
                ],
            )
            conn.execute(
                insert(measure_targets),
                [
                    {
                        "record_key": f"court.110105:B{start + i}",
                        "target_pk": start + i + 1,
                        "target_id": code,
                        "target_kind": "person",
                        "target_name": "张伟",
                        "source_pk": start + i + 1,
                        "list_code": "consumption_restricted" if i % 3 else "defaulter",
                        "agency": "court.110105",
                        "decision_no": f"(2025)京0105执{start + i}号",
                        "legal_basis": "spc.defaulter_provisions",
                        "valid_from": date(2025, 1, 1),
                        "valid_to": None if i % 3 else date(2027, 1, 1),
                    }
                    for i, code in enumerate(part)
                ],
            )


def publisher_cost(n: int, workdir: Path) -> dict[str, Any]:
    """Seconds per record for the real publisher on n listing records."""
    _fresh(workdir / "publish.db")
    store = Store(f"sqlite:///{workdir / 'publish.db'}")
    store.init()
    ids = resident_ids(n, seed=3)
    with store.unit_of_work() as conn:
        conn.execute(
            insert(subjects),
            [
                {
                    "pk": i + 1,
                    "key": f"S{i + 1:08d}",
                    "kind": "person",
                    "id_kind": "resident_id",
                    "id_value": code,
                    "name": "王芳",
                    "name_norm": "王芳",
                    "allowlisted": False,
                    "created_at": NOW,
                }
                for i, code in enumerate(ids)
            ],
        )
        conn.execute(
            insert(records),
            [
                {
                    "agency": "court.110105",
                    "record_id": f"P{i}",
                    "version": 1,
                    "record_type": "court.defaulter",
                    "subject_kind": "person",
                    "subject_name": "王芳",
                    "subject_id": code,
                    "subject_pk": i + 1,
                    "link": "id",
                    "decided_on": date(2025, 1, 1),
                    "status": "in_force",
                    "extra": {},
                    "row_hash": str(i),
                    "recorded_at": NOW,
                }
                for i, code in enumerate(ids)
            ],
        )
    start = time.perf_counter()
    events = publish(store, default_catalog(), FixedClock(NOW))
    seconds = time.perf_counter() - start
    store.dispose()
    return {"records": n, "events": events, "seconds": round(seconds, 2), "records_per_s": round(n / seconds)}


def in_process(universe: int, measured_n: int, queries_n: int, workdir: Path, reps: int = 7) -> dict[str, Any]:
    t0 = time.perf_counter()
    everyone = resident_ids(universe)
    measured = everyone[:measured_n]
    rng = np.random.default_rng(2)
    queries = [everyone[i] for i in rng.integers(0, universe, size=queries_n)]
    generated = time.perf_counter() - t0
    _fresh(workdir / "screening.db")
    store = Store(f"sqlite:///{workdir / 'screening.db'}")
    store.init()
    _populate_targets(store, measured)
    # For the HTTP part: every ID under measure (the bare endpoint's dict), and one request's IDs drawn as the
    # in-process queries are, from all subjects (about a tenth of them under measure, as in the population).
    (workdir / "measured.json").write_text(json.dumps(measured))
    (workdir / "batch.json").write_text(json.dumps(queries[:BATCH_REQUEST_IDS]))
    del everyone
    gc.collect()
    before = _rss_mb()
    start = time.perf_counter()
    index = ScreeningIndex.build(store, default_catalog())
    rebuild = time.perf_counter() - start
    gc.collect()
    index_mb = _rss_mb() - before
    bare = set(measured)
    ours_cold = queries_n / _timed(lambda: index.check_batch(queries, "air_ticket", DAY))  # no decision cached yet
    rates = _interleaved(
        {
            "bare": lambda: [q in bare for q in queries],
            "ours": lambda: index.check_batch(queries, "air_ticket", DAY),
        },
        queries_n,
        reps,
    )
    bare_rate, ours_rate = rates["bare"]["best"], rates["ours"]["best"]
    decisions = index.check_batch(queries, "air_ticket", DAY)
    hits = sum(1 for d in decisions if getattr(d, "subject", None) is not None)
    store.dispose()
    return {
        "universe": universe,
        "measured": measured_n,
        "queries": queries_n,
        "hits": hits,
        "generate_s": round(generated, 1),
        "bare_set_ids_per_s": round(bare_rate),
        "index_ids_per_s": round(ours_rate),
        "ratio_to_bare_set": round(ours_rate / bare_rate, 3),
        "ratio_to_bare_set_median": round(rates["ours"]["median"] / rates["bare"]["median"], 3),
        "reps": reps,
        "index_ids_per_s_first_pass": round(ours_cold),
        "ratio_first_pass": round(ours_cold / bare_rate, 3),
        "index_rebuild_s": round(rebuild, 2),
        "index_bytes_per_subject": round(index_mb * 2**20 / measured_n),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--universe", type=int, default=10_000_000)
    parser.add_argument("--measured", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=7, help="turns of the bare set and the index, interleaved")
    parser.add_argument("--publish-n", type=int, default=100_000)
    parser.add_argument("--http", action="store_true", help="also load the HTTP routes (needs wrk)")
    parser.add_argument("--http-seconds", type=float, default=5, help="seconds per wrk run")
    parser.add_argument("--http-rounds", type=int, default=3, help="rounds in which the servers take turns")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep the store there")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        figures: dict[str, Any] = {
            "in_process": in_process(args.universe, args.measured, args.queries, work, args.reps),
        }
        figures["publisher"] = publisher_cost(args.publish_n, work)
        if args.http:
            from benchmarks.screening_http import run as run_http

            figures["http"] = run_http(work, args.http_seconds, args.http_rounds)
    figures["load_average"] = [round(x, 1) for x in os.getloadavg()]
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
