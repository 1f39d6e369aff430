"""Ingestion against the bare driver: canonical rows into SQLite and PostgreSQL, rows per second, the ratio
to a bare-driver load of the same rows in the same run, and peak memory.

The benchmark writes its own canonical CSV (an agency without a `sources` entry, `mee.110000`): rows about
a population of organisations (with legal representatives) and people, several records each, as a
register sends them. Then, each in a child process of its own so that its peak RSS is its own:

- `ingest`: `xinyong.ingest.ingest_paths` with every check on (decoding, mapping, validation, identifier
  checks, row hashes, version lookups, subjects and legal-representative roles, audit entries), committing
  in chunks;
- `bare`: the same CSV read with the csv module and loaded into the same `records` table (same indexes)
  with the bare driver in one transaction: `executemany` on SQLite, `COPY` on PostgreSQL. No checks, no
  subjects, a placeholder hash: the floor the ingest is measured against.

Run: `python -m benchmarks.ingest [--rows N] [--pg URL] [--dir DIR]`; PostgreSQL runs when `--pg` or
XINYONG_TEST_POSTGRES_URL gives a server (a fresh schema per run, dropped afterwards). Default 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from xinyong.catalog import default_catalog
from xinyong.catalog.fields import CANONICAL_FIELDS
from xinyong.clock import CST, FixedClock
from xinyong.ids import resident_id, uscc
from xinyong.ingest import ingest_paths

AGENCY = "mee.110000"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=CST)
FIRST_DAY = date(2022, 1, 1)
DAYS = (date(2025, 5, 31) - FIRST_DAY).days
SEED = 20240110

#: The records columns the bare load fills (everything a canonical row carries, plus what the table needs).
BARE_COLUMNS = (
    "pk",
    "agency",
    "record_id",
    "version",
    "record_type",
    "subject_kind",
    "subject_name",
    "subject_id_raw",
    "link",
    "decided_on",
    "decision_no",
    "severity",
    "status",
    "amount",
    "grade",
    "result",
    "legal_rep_name",
    "legal_rep_id",
    "address",
    "phone",
    "summary",
    "extra",
    "row_hash",
    "source_file",
    "source_row",
    "recorded_at",
)


def write_feed(path: Path, rows: int, seed: int = SEED) -> dict[str, int]:
    """A canonical CSV of `rows` records about rows/5 organisations and rows/5 people (2.5 records each)."""
    rng = random.Random(seed)
    n_orgs = max(1, rows // 5)
    n_people = max(1, rows // 5)
    orgs = [uscc.generate(rng, division="110105") for _ in range(n_orgs)]
    born = [FIRST_DAY.replace(year=1950) + timedelta(days=rng.randrange(18000)) for _ in range(n_people)]
    people = [resident_id.generate(rng, "110105", b, bool(i % 2)) for i, b in enumerate(born)]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(CANONICAL_FIELDS)
        for n in range(rows):
            day = (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat()
            kind = rng.random()
            if kind < 0.7:
                org = rng.randrange(n_orgs)
                rep = org % n_people
                record_type, severity, amount, result = "admin.penalty", "general", f"{rng.randrange(1, 10**6)}.00", ""
                if kind < 0.2:
                    record_type, severity, amount, result = "inspection.result", "", "", "compliant"
                elif kind < 0.3:
                    record_type, severity, amount = "admin.license", "", ""
                values = {
                    "record_type": record_type,
                    "subject_kind": "org",
                    "subject_name": f"北京市朝阳区测试{org}科技有限公司",
                    "subject_id": orgs[org],
                    "severity": severity,
                    "amount": amount,
                    "result": result,
                    "legal_rep_name": f"张{rep}",
                    "legal_rep_id": people[rep],
                    "address": f"北京市朝阳区测试路{org % 500}号",
                    "phone": f"010-{60000000 + org % 10**7}",
                }
            else:
                person = rng.randrange(n_people)
                values = {
                    "record_type": "admin.penalty",
                    "subject_kind": "person",
                    "subject_name": f"李{person}",
                    "subject_id": people[person],
                    "severity": "minor",
                    "amount": f"{rng.randrange(1, 5000)}.00",
                    "birth_date": born[person].isoformat(),
                }
            values |= {
                "record_id": f"HB{n:010d}",
                "decided_on": day,
                "decision_no": f"京环罚〔{day[:4]}〕{n}号",
                "status": "in_force",
                "summary": "超标排放大气污染物",
            }
            out.writerow([values.get(name, "") for name in CANONICAL_FIELDS])
    return {"rows": rows, "orgs": n_orgs, "people": n_people}


def _bare_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    recorded_at = NOW.astimezone().isoformat()
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        for pk, row in enumerate(reader, start=1):
            yield (
                pk,
                AGENCY,
                row["record_id"],
                1,
                row["record_type"],
                row["subject_kind"],
                row["subject_name"],
                row["subject_id"] or None,
                "pending",
                row["decided_on"],
                row["decision_no"] or None,
                row["severity"] or None,
                row["status"] or "in_force",
                row["amount"] or None,
                row["grade"] or None,
                row["result"] or None,
                row["legal_rep_name"] or None,
                row["legal_rep_id"] or None,
                row["address"] or None,
                row["phone"] or None,
                row["summary"] or None,
                "{}",
                "0" * 64,
                path.name,
                pk + 1,
                recorded_at,
            )


def bare_sqlite(db: Path, feed: Path) -> None:
    """The same rows with sqlite3's executemany in one transaction, pragmas as the store sets them."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = WAL")
        con.execute("PRAGMA synchronous = NORMAL")
        con.execute("BEGIN IMMEDIATE")
        placeholders = ", ".join("?" for _ in BARE_COLUMNS)
        con.executemany(f"INSERT INTO records ({', '.join(BARE_COLUMNS)}) VALUES ({placeholders})", _bare_rows(feed))
        con.execute("COMMIT")
    finally:
        con.close()


def bare_postgres(url: str, feed: Path) -> None:
    """The same rows with psycopg's COPY in one transaction."""
    with psycopg.connect(_dsn(url)) as con, con.cursor() as cur:
        statement = f"COPY records ({', '.join(BARE_COLUMNS)}) FROM STDIN"
        with cur.copy(statement) as copy:
            for row in _bare_rows(feed):
                copy.write_row(row)


def ingest(url: str, feed: Path, home: Path) -> dict[str, Any]:
    """The real thing: `ingest_paths` with every check on."""
    from xinyong.store import Store

    store = Store(url)
    store.check()
    try:
        summary = ingest_paths(store, default_catalog(), FixedClock(NOW), [feed], AGENCY, home=home)
    finally:
        store.dispose()
    return summary.as_dict()


def _in_child(work: Callable[[], Any]) -> tuple[float, int, Any, float]:
    """Run `work` in a forked child: its wall time, its own peak RSS (KiB), what it returned and its CPU
    seconds (user + system; on a busy machine the CPU ratio is steadier than the wall-clock one)."""
    read, write = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            result = {"ok": work()}
        except BaseException as exc:  # the parent reports it; a child must never return into the caller
            result = {"error": f"{type(exc).__name__}: {exc}"}
        with os.fdopen(write, "w") as out:
            json.dump(result, out, default=str)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as source:
        payload = json.loads(source.read() or '{"error": "child died"}')
    _, _, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    if "error" in payload:
        raise SystemExit(f"benchmark child failed: {payload['error']}")
    return elapsed, usage.ru_maxrss, payload["ok"], usage.ru_utime + usage.ru_stime


def _init(url: str) -> None:
    from xinyong.store import Store

    store = Store(url)
    store.init()
    store.dispose()


def _dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def _pg_schema(base_url: str) -> Iterator[str]:
    """A fresh schema on the server for one measurement, dropped afterwards."""
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    base = make_url(base_url)
    url = base.set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema}"})
    with psycopg.connect(_dsn(base_url), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_dsn(base_url), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def _figures(rows: int, ours: tuple[float, int, Any, float], bare: tuple[float, int, Any, float]) -> dict[str, Any]:
    summary = ours[2]
    if summary["accepted"] != rows:
        raise SystemExit(f"ingest accepted {summary['accepted']} of {rows} rows: {summary}")
    return {
        "ingest_seconds": round(ours[0], 2),
        "ingest_rows_per_s": round(rows / ours[0]),
        "ingest_peak_rss_mib": round(ours[1] / 1024, 1),
        "bare_seconds": round(bare[0], 2),
        "bare_rows_per_s": round(rows / bare[0]),
        "bare_peak_rss_mib": round(bare[1] / 1024, 1),
        "ratio": round(bare[0] / ours[0], 3),
        "ingest_cpu_seconds": round(ours[3], 2),
        "bare_cpu_seconds": round(bare[3], 2),
        "cpu_ratio": round(bare[3] / ours[3], 3),
        "load_average": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and return its figures (printed as JSON when run as a module)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="canonical rows to load")
    parser.add_argument("--pg", default=os.environ.get("XINYONG_TEST_POSTGRES_URL"), help="PostgreSQL URL")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-", dir=args.dir) as work:
        folder = Path(work)
        feed = folder / f"{AGENCY}.csv"
        started = time.perf_counter()
        population = write_feed(feed, args.rows)
        figures: dict[str, Any] = {
            "rows": args.rows,
            "population": population,
            "feed_mib": round(feed.stat().st_size / 2**20, 1),
            "generate_seconds": round(time.perf_counter() - started, 2),
            "python": sys.version.split()[0],
        }
        default_catalog()  # loaded once, before the children fork: reading YAML is not ingesting
        ours_db, bare_db = folder / "ingest.db", folder / "bare.db"
        for db in (ours_db, bare_db):
            _init(f"sqlite:///{db}")
        ours = _in_child(lambda: ingest(f"sqlite:///{ours_db}", feed, folder / "home"))
        bare = _in_child(lambda: bare_sqlite(bare_db, feed))
        figures["sqlite"] = _figures(args.rows, ours, bare)
        if args.pg:
            with _pg_schema(args.pg) as ours_url, _pg_schema(args.pg) as bare_url:
                _init(ours_url)
                _init(bare_url)
                ours = _in_child(lambda: ingest(ours_url, feed, folder / "home"))
                bare = _in_child(lambda: bare_postgres(bare_url, feed))
                figures["postgresql"] = _figures(args.rows, ours, bare)
    return figures


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))
