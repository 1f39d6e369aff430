"""The scale benchmark (`make bench-scale`): a synthetic province generated, ingested, linked, published and
rated at growing sizes, each stage's wall time, peak memory and throughput, and the log-log slope of each
stage's time against the number of subjects (1.0 is linear; the goal is at most 1.15).

    python -m benchmarks.scale [--subjects 100000,1000000,10000000] [--years 3] [--engine duckdb|spark]
                               [--pg URL] [--work DIR] [--markdown FILE] [--keep]
                               [--stages generate,ingest,...] [--resume]

Every stage runs in a child process of its own (`--stage`), so its peak RSS is its own and a crash in one
stage is reported, not hidden. Subjects = organisations + people (the generator's 1.5 people per
organisation, so `--subjects 100000` is 40,000 organisations). The store is SQLite in the work folder, or a
fresh PostgreSQL schema with `--pg`. `--markdown` writes the table that docs/scale.md carries.

A stage's figures are saved in its size's work folder (`<stage>.run.json`). `--stages` runs only the named
stages (and stops a size at the first stage it does not name); `--resume` with the same `--work` and
`--keep` takes the figures and data of the stages that already ran there and runs the rest, so a long size
can be run in parts (say generation and ingestion, then linking onwards after a change to linkage).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

STAGES = ("generate", "ingest", "link", "publish", "rate")
#: Not timed: the bytes and rows each table holds after the stages, for the arithmetic in docs/scale.md.
SIZES = "sizes"
AS_OF = date(2026, 6, 30)
GOAL_SLOPE = 1.15


@dataclass
class StageRun:
    stage: str
    subjects: int
    seconds: float
    peak_mib: float
    counts: dict[str, Any]


# ---------------------------------------------------------------- child: one stage


def _child(stage: str, work: Path, orgs: int, years: int, engine: str) -> dict[str, Any]:
    from xinyong.bootstrap import build
    from xinyong.synth import generate, preset

    province = work / "province"
    if stage == "generate":
        params = replace(preset("small"), orgs=orgs, persons=orgs * 3 // 2, years=years, as_of=AS_OF)
        written = generate(province, params)
        return {"records": written.rows, "subjects": orgs + orgs * 3 // 2}
    with build() as services:
        if stage == "ingest":
            from xinyong.ids import load_from_home
            from xinyong.ingest import ingest_paths

            services.store.init()
            feeds = json.loads((province / "truth" / "feeds.json").read_text(encoding="utf-8"))["feeds"]
            totals: dict[str, int] = {}
            for feed in feeds:
                summary = ingest_paths(
                    services.store,
                    services.catalog,
                    services.clock,
                    [province / feed["path"]],
                    feed["agency"],
                    home=services.settings.home,
                    allow_list=load_from_home(services.settings.home),
                )
                for key, value in summary.as_dict().items():
                    if isinstance(value, int):
                        totals[key] = totals.get(key, 0) + value
            return totals
        if stage == "link":
            from xinyong.link import link_pending

            linked = link_pending(services.store, services.catalog, services.clock, services.settings, backend=engine)
            return {k: v for k, v in linked.as_dict().items() if isinstance(v, int)}
        if stage == "publish":
            from xinyong.screening import publish

            return {"events": publish(services.store, services.catalog, services.clock)}
        if stage == "rate":
            from xinyong.rating.rate import rate_all

            rated = rate_all(services.store, services.catalog, services.clock)
            return {k: v for k, v in rated.as_dict().items() if isinstance(v, int)}
        if stage == SIZES:
            return _table_sizes(services.store)
    raise SystemExit(f"unknown stage {stage!r}")


def _table_sizes(store: Any) -> dict[str, Any]:
    """Rows and bytes (table plus its indexes, all partitions) of every table of the store."""
    from sqlalchemy import text

    with store.connect() as conn:
        if store.dialect == "sqlite":
            listing = conn.execute(text("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table','index')"))
            owner = {str(row[0]): str(row[1]) for row in listing}
            sizes: dict[str, int] = {}
            for name, size in conn.execute(text("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")):
                table = owner.get(name, name)
                sizes[table] = sizes.get(table, 0) + int(size)
        else:
            query = """
                SELECT COALESCE(pg_partition_root(c.oid), c.oid)::regclass::text AS root,
                       SUM(pg_total_relation_size(c.oid))
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind = 'r' AND n.nspname = current_schema()
                GROUP BY 1"""
            sizes = {str(name).split(".")[-1]: int(size) for name, size in conn.execute(text(query))}
        tables: dict[str, Any] = {}
        for table, size in sorted(sizes.items()):
            if table.startswith("sqlite_") or table == "alembic_version":
                continue
            rows = conn.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
            tables[table] = {"rows": int(rows), "bytes": size, "bytes_per_row": round(size / rows) if rows else None}
        return {"tables": tables}


# ---------------------------------------------------------------- parent: sizes, stages, slopes


def _run_stage(stage: str, work: Path, subjects: int, years: int, engine: str, env: dict[str, str]) -> StageRun:
    orgs = max(1, subjects * 2 // 5)
    out = work / f"{stage}.json"
    argv = [sys.executable, "-m", "benchmarks.scale", "--stage", stage, "--work", str(work), "--orgs", str(orgs)]
    argv += ["--years", str(years), "--engine", engine, "--result", str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"stage {stage} at {subjects:,} subjects failed with exit code {child.returncode}")
    counts = json.loads(out.read_text(encoding="utf-8"))
    # ru_maxrss is in KiB on Linux; wait4 reports the child and the grandchildren it waited for.
    return StageRun(stage, subjects, seconds, usage.ru_maxrss / 1024, counts)


def _environment(work: Path, pg: str | None, engine: str) -> tuple[dict[str, str], str | None]:
    env = dict(os.environ)
    env["XINYONG_HOME"] = str(work / "home")
    env["XINYONG_NOW"] = (AS_OF + timedelta(days=1)).isoformat()
    env["XINYONG_ENGINE"] = engine
    schema = None
    if pg:
        schema = f"scale_{uuid.uuid4().hex[:8]}"
        _pg_schema(pg, schema, create=True)
        env["XINYONG_DATABASE_URL"] = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
    else:
        env["XINYONG_DATABASE_URL"] = f"sqlite:///{work / 'xinyong.db'}"
    return env, schema


def _pg_schema(url: str, schema: str, *, create: bool) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}" if create else f"DROP SCHEMA {schema} CASCADE")


def slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(seconds) against log(subjects); None with fewer than two sizes."""
    if len(points) < 2:
        return None
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(max(s, 1e-9)) for _, s in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else None


def _records(run: StageRun) -> int | str:
    """The records a stage handled: written (generate), read (ingest), pending (link), events, rated."""
    for key in ("records", "rows", "pending", "events", "rated"):
        value = run.counts.get(key)
        if isinstance(value, int):
            return value
    return ""


def _throughput(run: StageRun) -> str:
    records = _records(run)
    rate = f"{run.subjects / run.seconds:,.0f} subjects/s"
    if isinstance(records, int) and records:
        rate += f", {records / run.seconds:,.0f} items/s"
    return rate


def markdown(runs: list[StageRun], engine: str, store: str, years: int) -> str:
    lines = [
        f"Engine `{engine}`, store {store}, {years} simulated years; machine: {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| stage | subjects | items | wall s | peak RSS MiB | throughput |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    # items: records written (generate), rows read (ingest), records pending (link), feed events (publish),
    # entities rated (rate).
    for run in runs:
        records = _records(run)
        shown = f"{records:,}" if isinstance(records, int) else records
        figures = f"{run.seconds:,.1f} | {run.peak_mib:,.0f} | {_throughput(run)}"
        lines.append(f"| {run.stage} | {run.subjects:,} | {shown} | {figures} |")
    lines += ["", "| stage | log-log slope of time against subjects | goal ≤ 1.15 |", "| --- | ---: | --- |"]
    for stage in STAGES:
        fitted = slope([(r.subjects, r.seconds) for r in runs if r.stage == stage])
        verdict = "" if fitted is None else ("met" if fitted <= GOAL_SLOPE else "not met")
        lines.append(f"| {stage} | {'' if fitted is None else f'{fitted:.2f}'} | {verdict} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", default="100000,1000000,10000000", help="comma-separated sizes")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (a fresh schema per size)")
    parser.add_argument("--work", type=Path, default=None, help="work folder (default: a temporary one)")
    parser.add_argument("--markdown", type=Path, default=None, help="write the table to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work folders")
    parser.add_argument("--stage", choices=(*STAGES, SIZES), default=None, help=argparse.SUPPRESS)
    parser.add_argument("--orgs", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated stages to run")
    parser.add_argument("--resume", action="store_true", help="reuse the stages already run in --work")
    args = parser.parse_args(argv)

    if args.stage:  # a child: run one stage and write its counts
        counts = _child(args.stage, args.work, args.orgs, args.years, args.engine)
        args.result.write_text(json.dumps(counts), encoding="utf-8")
        print(f"  {args.stage}: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
        return 0

    sizes = [int(s.replace("_", "")) for s in args.subjects.split(",") if s.strip()]
    wanted = [s.strip() for s in args.stages.split(",") if s.strip()]
    if unknown := [s for s in wanted if s not in STAGES]:
        parser.error(f"--stages: unknown stage {unknown[0]!r}; choose from {', '.join(STAGES)}")
    if args.resume and (args.work is None or args.pg):
        parser.error("--resume needs --work (the folder of the earlier run) and works on SQLite only")
    root = args.work or Path(tempfile.mkdtemp(prefix="xinyong-scale-"))
    runs: list[StageRun] = []
    last_sizes: dict[str, Any] = {}
    for subjects in sizes:
        work = root / f"n{subjects}"
        if not args.resume:
            shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        env, schema = _environment(work, args.pg, args.engine)
        try:
            complete = True
            for stage in STAGES:
                saved = work / f"{stage}.run.json"
                if args.resume and saved.exists():
                    run = StageRun(**json.loads(saved.read_text(encoding="utf-8")))
                elif stage in wanted:
                    run = _run_stage(stage, work, subjects, args.years, args.engine, env)
                    saved.write_text(json.dumps(asdict(run)), encoding="utf-8")
                else:
                    complete = False
                    break
                runs.append(run)
                print(
                    f"{subjects:>12,} subjects  {stage:<8} {run.seconds:9.1f} s  peak {run.peak_mib:8,.0f} MiB  "
                    f"{_throughput(run)}  {json.dumps(run.counts)}",
                    flush=True,
                )
            if not complete:
                continue
            measured = _run_stage(SIZES, work, subjects, args.years, args.engine, env)
            for table, figures in measured.counts["tables"].items():
                if figures["rows"]:
                    print(f"{'':>12} {table:<28} {figures['rows']:>12,} rows {figures['bytes_per_row']:>8,} B/row")
            last_sizes = measured.counts["tables"]
        finally:
            if schema and args.pg:
                _pg_schema(args.pg, schema, create=False)
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    table = markdown(runs, args.engine, "PostgreSQL" if args.pg else "SQLite", args.years)
    table += "\nBytes per row at the largest size (table and its indexes):\n\n"
    table += "| table | rows | bytes/row |\n| --- | ---: | ---: |\n"
    for name, figures in last_sizes.items():
        if figures["rows"]:
            table += f"| {name} | {figures['rows']:,} | {figures['bytes_per_row']:,} |\n"
    print(table)
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    if not args.keep and args.work is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
