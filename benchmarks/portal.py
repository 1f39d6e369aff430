"""Portal pages under load (issue 9): p95 latency per page on the medium synthetic province, goal <= 100 ms.

    python -m benchmarks.portal [--size medium] [--seconds 10] [--connections 4] [--keep DIR]

The province is generated (`xinyong.synth`), every agency feed ingested, linked, published and rated into a
SQLite store, as `xinyong demo` does (`--keep DIR` builds it once into DIR and reuses it afterwards). The
whole HTTP app (API and portal) is served by uvicorn, one worker, in a subprocess on 127.0.0.1, with the
per-address rate limit raised so that the load tool, one address, measures the pages and not the limiter.
Each page is asked for once to warm it (the first search reads every name into the index; the first
dashboard counts its figures), then loaded for `--seconds` by `wrk` (Debian's) with `--connections`
keep-alive connections, which reports p50/p90/p95/p99 through a Lua `done` hook; without `wrk`, a bounded
asyncio loop of httpx clients does the same. Every figure is measured in this run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

GOAL_P95_MS = 100.0
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non_2xx": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p95_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


def build_province(folder: Path, size: str) -> dict[str, Any]:
    """Generate, ingest, link, publish and rate a province into `folder/xinyong.db` (once)."""
    from xinyong.catalog import default_catalog
    from xinyong.clock import CST, FixedClock
    from xinyong.ingest import ingest_paths
    from xinyong.link import link_pending
    from xinyong.rating import rate_all
    from xinyong.screening import publish
    from xinyong.settings import Settings
    from xinyong.store import Store
    from xinyong.synth import generate, preset

    params = preset(size)
    meta = folder / "province.json"
    if meta.exists():
        return dict(json.loads(meta.read_text(encoding="utf-8")))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generate(folder / "synth", params)
    db = folder / "xinyong.db"
    store = Store(f"sqlite:///{db}")
    store.init()
    now = datetime(params.as_of.year, params.as_of.month, params.as_of.day, 12, tzinfo=CST)
    clock = FixedClock(now)
    catalog = default_catalog()
    settings = Settings(database_url=store.url, home=folder / "home")
    for feed in sorted((folder / "synth" / "feeds").iterdir()):
        ingest_paths(store, catalog, clock, [feed], feed.name.rsplit(".", 1)[0], home=settings.home)
    link_pending(store, catalog, clock, settings)
    publish(store, catalog, clock)
    rate_all(store, catalog, clock)
    store.dispose()
    info = {
        "size": size,
        "database_url": store.url,
        "home": str(settings.home),
        "now": now.isoformat(),
        "build_s": round(time.perf_counter() - started, 1),
    }
    meta.write_text(json.dumps(info), encoding="utf-8")
    return info


def pick_pages(database_url: str, now: str) -> dict[str, str]:
    """The pages to load: home, three searches, a listed company, a listed person and the dashboard."""
    from xinyong.clock import cst_day
    from xinyong.store import Store, subjects
    from xinyong.store import screening as published
    from xinyong.text import org_name_core, pinyin_key

    day = cst_day(datetime.fromisoformat(now))
    store = Store(database_url)
    org = person = None
    with store.connect() as conn:
        for target in published.iter_targets(conn):
            if target.via_role is not None or not target.target_id:
                continue
            if not (target.valid_from <= day and (target.valid_to is None or day <= target.valid_to)):
                continue
            row = subjects.get_by_id_value(conn, target.target_id)
            if row is None:
                continue
            if row.kind == "org" and org is None and target.list_code == "defaulter":
                org = row
            if row.kind == "person" and person is None and target.list_code == "defaulter":
                person = row
            if org is not None and person is not None:
                break
    store.dispose()
    if org is None or person is None:
        raise SystemExit("the province has no listed company and person to load")
    core = org_name_core(org.name)
    return {
        "home": "/",
        "search_chinese": f"/search?q={quote(core)}",
        "search_pinyin": f"/search?q={pinyin_key(core)}",
        "search_code": f"/search?q={org.id_value}",
        "subject_company": f"/subjects/{org.key}",
        "subject_person": f"/subjects/{person.key}",
        "oversight": "/oversight",
    }


def serve(port: int, database_url: str, home: str, now: str) -> None:
    """Serve the app (child process): the province's store, its clock, limits that let the load through."""
    import uvicorn

    from xinyong.api.app import create_app
    from xinyong.api.middleware import ApiLimits
    from xinyong.bootstrap import Services
    from xinyong.catalog import default_catalog
    from xinyong.clock import FixedClock
    from xinyong.settings import Settings
    from xinyong.store import Store

    store = Store(database_url)
    settings = Settings(database_url=database_url, home=Path(home))
    services = Services(
        settings=settings, clock=FixedClock(datetime.fromisoformat(now)), catalog=default_catalog(), _store=store
    )
    limits = ApiLimits(address_rate=1e6, address_burst=1_000_000)
    uvicorn.run(create_app(services, limits=limits), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the portal server exited before it answered")
        try:
            if httpx.get(base + "/static/portal.css", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the portal server did not answer in time")


def load_wrk(url: str, seconds: float, connections: int, script: Path) -> dict[str, Any]:
    """Load one URL with wrk and read its percentiles from the Lua hook."""
    threads = max(1, min(2, connections))
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = [text for text in out.splitlines() if text.startswith("{")][-1]
    raw = json.loads(line)
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "errors": raw["errors"] + raw["non_2xx"],
        **{f"p{p}_ms": round(raw[f"p{p}_us"] / 1000, 2) for p in (50, 90, 95, 99)},
        "max_ms": round(raw["max_us"] / 1000, 2),
    }


async def _load_httpx(url: str, seconds: float, connections: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            started = time.perf_counter()
            response = await client.get(url)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code >= 400

    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=connections)) as client:
        began = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000, 2)

    return {
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "errors": errors,
        **{f"p{p}_ms": pct(p) for p in (50, 90, 95, 99)},
        "max_ms": round(latencies[-1] * 1000, 2),
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", default="medium", choices=("small", "medium", "large"))
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per page")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive connections")
    parser.add_argument("--keep", type=Path, default=None, help="build the province here once and reuse it")
    parser.add_argument("--tool", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--serve", nargs=4, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        port, database_url, home, now = args.serve
        serve(int(port), database_url, home, now)
        return {}
    tmp = None if args.keep is not None else tempfile.TemporaryDirectory()
    folder = args.keep if args.keep is not None else Path(tmp.name if tmp else ".") / "province"
    try:
        info = build_province(folder, args.size)
        pages = pick_pages(info["database_url"], info["now"])
        tool = "wrk" if args.tool == "wrk" or (args.tool == "auto" and shutil.which("wrk")) else "httpx"
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")])
        command = [sys.executable, "-m", "benchmarks.portal", "--serve", str(port), info["database_url"], info["home"]]
        proc = subprocess.Popen([*command, info["now"]], env=env)
        results: dict[str, Any] = {}
        try:
            _wait_ready(base, proc)
            warm: dict[str, float] = {}
            for name, path in pages.items():
                started = time.perf_counter()
                response = httpx.get(base + path, timeout=120)
                warm[name] = round((time.perf_counter() - started) * 1000, 1)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(WRK_SCRIPT)
            try:
                for name, path in pages.items():
                    if tool == "wrk":
                        results[name] = load_wrk(base + path, args.seconds, args.connections, Path(script.name))
                    else:
                        results[name] = asyncio.run(_load_httpx(base + path, args.seconds, args.connections))
                    results[name] = {"path": path, "first_ms": warm[name], **results[name]}
            finally:
                Path(script.name).unlink(missing_ok=True)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    finally:
        if tmp is not None:
            tmp.cleanup()
    worst = max(r["p95_ms"] for r in results.values())
    figures: dict[str, Any] = {
        "province": {"size": info["size"], "build_s": info.get("build_s")},
        "tool": tool,
        "connections": args.connections,
        "seconds_per_page": args.seconds,
        "pages": results,
        "worst_p95_ms": worst,
        "goal": f"p95 <= {GOAL_P95_MS:g} ms on every page",
        "goal_met": worst <= GOAL_P95_MS and all(r["errors"] == 0 for r in results.values()),
    }
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
