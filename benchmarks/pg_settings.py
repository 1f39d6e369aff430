"""What the PostgreSQL server's settings cost a load: `benchmarks.ingest`'s canonical feed ingested into a
fresh schema, with the write-ahead log and checkpoint counters the server kept meanwhile.

Run it once with the server as installed and once after setting it for bulk loads, for instance

    ALTER SYSTEM SET max_wal_size = '16GB';       -- checkpoints by time, not forced by WAL volume
    ALTER SYSTEM SET checkpoint_timeout = '30min';
    ALTER SYSTEM SET wal_compression = 'on';
    ALTER SYSTEM SET shared_buffers = '4GB';      -- needs a restart

(and `ALTER SYSTEM RESET ALL` plus a restart afterwards). The counters are the whole server's, so nothing
else should use it meanwhile. `docs/scale.md` has the figures.

Run: `python -m benchmarks.pg_settings [--rows N] [--pg URL] [--dir DIR]` (URL as XINYONG_TEST_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.ingest import AGENCY, _dsn, _in_child, _init, _pg_schema, ingest, write_feed
from xinyong.catalog import default_catalog

SETTINGS = ("shared_buffers", "max_wal_size", "checkpoint_timeout", "wal_compression", "full_page_writes")


def _counters(url: str) -> dict[str, int]:
    with psycopg.connect(_dsn(url)) as con:
        wal = con.execute("SELECT wal_bytes, wal_fpi, wal_records FROM pg_stat_wal").fetchone()
        writer = con.execute(
            "SELECT checkpoints_timed, checkpoints_req, buffers_checkpoint, buffers_backend FROM pg_stat_bgwriter"
        ).fetchone()
    assert wal is not None
    assert writer is not None
    names = (
        "wal_bytes",
        "wal_fpi",
        "wal_records",
        "checkpoints_timed",
        "checkpoints_req",
        "buffers_checkpoint",
        "buffers_backend",
    )
    return dict(zip(names, (int(value) for value in (*wal, *writer)), strict=True))


def _settings(url: str) -> dict[str, str]:
    with psycopg.connect(_dsn(url)) as con:
        return {name: str(con.execute(f"SHOW {name}").fetchone()[0]) for name in SETTINGS}  # type: ignore[index]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the load and return its figures (printed as JSON when run as a module)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pg_settings", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="canonical rows to load")
    parser.add_argument("--pg", default=os.environ.get("XINYONG_TEST_POSTGRES_URL"), help="PostgreSQL URL")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)
    if not args.pg:
        raise SystemExit("give --pg URL or set XINYONG_TEST_POSTGRES_URL")
    default_catalog()
    with tempfile.TemporaryDirectory(prefix="xinyong-bench-", dir=args.dir) as work:
        feed = Path(work) / f"{AGENCY}.csv"
        write_feed(feed, args.rows)
        with _pg_schema(args.pg) as url:
            _init(url)
            before = _counters(url)
            elapsed, rss, summary, cpu = _in_child(lambda: ingest(url, feed, Path(work) / "home"))
            after = _counters(url)
    if summary["accepted"] != args.rows:
        raise SystemExit(f"ingest accepted {summary['accepted']} of {args.rows} rows: {summary}")
    spent = {name: after[name] - before[name] for name in after}
    return {
        "rows": args.rows,
        "settings": _settings(args.pg),
        "ingest_seconds": round(elapsed, 2),
        "rows_per_s": round(args.rows / elapsed),
        "client_cpu_seconds": round(cpu, 2),
        "peak_rss_mib": round(rss / 1024, 1),
        "wal_gb": round(spent["wal_bytes"] / 1e9, 2),
        "wal_bytes_per_row": round(spent["wal_bytes"] / args.rows),
        "full_page_images": spent["wal_fpi"],
        "checkpoints_forced": spent["checkpoints_req"],
        "checkpoints_timed": spent["checkpoints_timed"],
        "buffers_written_by_backends": spent["buffers_backend"],
        "load_average": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), indent=2))
