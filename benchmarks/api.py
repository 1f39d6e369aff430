"""The cost of the audit log on screening throughput (issue 6): `GET /v1/check` with the batched AuditWriter
against the same route with audit writes switched off, same server settings, same run.

    python -m benchmarks.api [--route /v1/check] [--seconds 5] [--rounds 2] [--connections 16]
                             [--database-url URL]

Each variant runs as its own uvicorn server (one worker, a subprocess) on 127.0.0.1; a load generator in
this process keeps `--connections` keep-alive connections busy for `--seconds`, after a warm-up, and
the variants alternate for `--rounds` so drift in the machine hits both alike. `wrk` is not installed
here, and an httpx client tops out below the server's rate, so the load generator speaks HTTP/1.1 on
raw asyncio streams. The route is a parameter: `/v1/check` is the product route; `/v1/_bench/check` is a
stand-in added to the benchmark's own app only (an API-key check, a dict lookup and one audit event per
request) for builds without screening. "Without" replaces the services' AuditWriter with one that
drops events, so the route, its auth and its metrics are the same in both. The goal is at most 10% slower.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request

from xinyong import access, auditing
from xinyong.access import Principal
from xinyong.api.app import ROUTE_MODULES, create_app
from xinyong.api.auth import require, services_of
from xinyong.api.metrics import metrics_of
from xinyong.api.middleware import ApiLimits
from xinyong.bootstrap import build
from xinyong.settings import Settings
from xinyong.store.audit_rows import Event

STAND_IN = "/v1/_bench/check"
ACTION = "air_ticket"
#: A valid resident ID (the GB 11643 example) checked on every request: a miss in an empty index.
SUBJECT = "11010519491231002X"
GOAL_RATIO = 0.90


@dataclass
class Load:
    """What one load run saw: answers by status and each answer's latency in seconds."""

    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    #: Answers during warm-up and measurement alike (each one a check the server audited, or not).
    answered_in_all: int = 0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _connection(host: str, port: int, request: bytes, until: float, record_from: float, load: Load) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while True:
            started = time.perf_counter()
            if started >= until:
                return
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            load.answered_in_all += 200 <= status < 300
            if started >= record_from:
                load.statuses[status] = load.statuses.get(status, 0) + 1
                load.latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _load(port: int, path: str, key: str, *, seconds: float, warmup: float, connections: int) -> Load:
    query = urlencode({"id": SUBJECT, "action": ACTION})
    request = (f"GET {path}?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n\r\n").encode()
    start = time.perf_counter()
    load = Load(seconds)
    await asyncio.gather(
        *(
            _connection("127.0.0.1", port, request, start + warmup + seconds, start + warmup, load)
            for _ in range(connections)
        )
    )
    return load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the benchmark server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the benchmark server did not come up")


def _run_variant(audit: bool, args: argparse.Namespace, env: dict[str, str], key: str) -> Load:
    port = _free_port()
    command = [sys.executable, "-m", "benchmarks.api", "--serve", str(port), "--route", args.route]
    if not audit:
        command.append("--no-audit")
    process = subprocess.Popen(command, env=env)
    try:
        _wait_until_up(port, process)
        return asyncio.run(
            _load(port, args.route, key, seconds=args.seconds, warmup=args.warmup, connections=args.connections)
        )
    finally:
        # SIGTERM lets uvicorn run the app's shutdown, which writes the audit events still queued.
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def _summary(loads: Sequence[Load]) -> dict[str, Any]:
    rates = [load.rate for load in loads]
    merged = Load(sum(load.seconds for load in loads))
    for load in loads:
        merged.latencies.extend(load.latencies)
        for status, n in load.statuses.items():
            merged.statuses[status] = merged.statuses.get(status, 0) + n
    return {
        "requests_per_s": round(statistics.mean(rates), 1),
        "rounds_requests_per_s": [round(r, 1) for r in rates],
        "p50_ms": round(merged.percentile(0.50) * 1000, 3),
        "p99_ms": round(merged.percentile(0.99) * 1000, 3),
        "answered": merged.ok,
        "statuses": {str(k): v for k, v in sorted(merged.statuses.items())},
    }


#: The stand-in's "index": subjects under a measure, by ID (empty: every check is the common miss).
_IN_FORCE: dict[str, str] = {}


def _bench_check(
    request: Request,
    principal: Annotated[Principal, Depends(require(roles={"platform"}, action_scope=True))],
    id: Annotated[str, Query(max_length=64)],
    action: Annotated[str, Query(max_length=64)],
) -> dict[str, Any]:
    """The stand-in for `GET /v1/check`: key and scope checked, a dict lookup, one audit event, a count."""
    services = services_of(request)
    effect = _IN_FORCE.get(id, "allow")
    event = Event(services.clock.now(), principal.name, principal.role, "check", f"id:{id}", detail={"effect": effect})
    services.audit_writer.submit(event)
    metrics_of(request).count_checks(action, effect)
    return {"allowed": effect != "deny", "effect": effect, "reasons": []}


def serve(port: int, route: str, audit: bool) -> None:
    """The server side of one variant: the product app, plus the stand-in route when it is asked for."""
    import uvicorn

    services = build()
    if not audit:
        services.__dict__["audit_writer"] = _DroppingWriter()
    modules = list(ROUTE_MODULES)
    if route == STAND_IN:
        router = APIRouter()
        router.add_api_route(STAND_IN, _bench_check, methods=["GET"])
        module = ModuleType("bench_routes")
        module.router = router  # type: ignore[attr-defined]
        modules.append(module)
    limits = ApiLimits(key_rate=1e9, key_burst=10**9, address_rate=1e9, address_burst=10**9)
    app = create_app(services, limits=limits, route_modules=modules)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    services.close()


class _DroppingWriter:
    """Stands in for the AuditWriter in the "without" variant: accepts events and writes nothing."""

    pending = 0

    def submit(self, event: object) -> None:
        return None

    def submit_many(self, events: Iterable[object]) -> None:
        for _ in events:
            pass

    def close(self, timeout: float | None = None) -> None:
        return None


def _prepare(work: Path, database_url: str | None) -> tuple[dict[str, str], str]:
    env = dict(os.environ)
    env["XINYONG_DATABASE_URL"] = database_url or f"sqlite:///{work / 'bench.db'}"
    env["XINYONG_HOME"] = str(work / "home")
    env.pop("XINYONG_NOW", None)
    services = build(Settings(database_url=env["XINYONG_DATABASE_URL"], home=Path(env["XINYONG_HOME"])))
    try:
        services.store.init()
        spec = access.principal_spec(services.catalog, name="bench airline", role="platform", actions=[ACTION])
        key = access.create_key(services.store, services.clock, spec).key
    finally:
        services.close()
    return env, key


def _audit_rows(env: dict[str, str]) -> int:
    with build(Settings(database_url=env["XINYONG_DATABASE_URL"], home=Path(env["XINYONG_HOME"]))) as services:
        return auditing.log_size(services.store)


def writer_cost(work: Path, n: int) -> dict[str, Any]:
    """The AuditWriter in isolation: what `submit` costs the caller, and the writer thread's time per event."""
    with build(Settings(database_url=f"sqlite:///{work / 'writer.db'}", home=work / "writer-home")) as services:
        services.store.init()
        writer = auditing.AuditWriter(services.store, flush_ms=200)
        at = services.clock.now()
        events = [
            Event(at, "bench airline", "platform", "check", f"id:{i:018d}", detail={"effect": "allow"})
            for i in range(n)
        ]
        started = time.perf_counter()
        for event in events:
            writer.submit(event)
        submitted = time.perf_counter() - started
        writer.flush(timeout=600)
        written = time.perf_counter() - started
        writer.close()
        rows = auditing.log_size(services.store)
    return {
        "events": n,
        "rows_written": rows,
        "submit_us_per_event": round(submitted / n * 1e6, 2),
        "write_us_per_event": round(written / n * 1e6, 1),
        "events_per_s": round(n / written),
        "transactions": writer.flushes,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--route", default="/v1/check", help=f"route to load (or {STAND_IN}, the stand-in)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per round and variant")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the variants alternate within each")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    parser.add_argument("--writer-events", type=int, default=50_000, help="events for the writer-alone figure")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-audit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.route, audit=not args.no_audit)
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        env, key = _prepare(Path(tmp), args.database_url)
        env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")])
        loads: dict[bool, list[Load]] = {True: [], False: []}
        for _ in range(args.rounds):
            for audit in (False, True):
                loads[audit].append(_run_variant(audit, args, env, key))
        written = _audit_rows(env)
        alone = writer_cost(Path(tmp), args.writer_events)
    without, with_audit = _summary(loads[False]), _summary(loads[True])
    ratio = with_audit["requests_per_s"] / without["requests_per_s"] if without["requests_per_s"] else 0.0
    # Key creation wrote one audit row before the runs; every answered check since should have one more.
    checks_audited = written - 1
    figures: dict[str, Any] = {
        "route": args.route,
        "database": "sqlite" if args.database_url is None else args.database_url.split(":", 1)[0],
        "connections": args.connections,
        "seconds_per_round": args.seconds,
        "rounds": args.rounds,
        "without_audit": without,
        "with_audit": with_audit,
        "ratio_with_to_without": round(ratio, 3),
        "slowdown_percent": round((1 - ratio) * 100, 1),
        "goal": f"with/without >= {GOAL_RATIO}",
        "goal_met": ratio >= GOAL_RATIO,
        "audit_rows_written": checks_audited,
        "checks_answered_with_audit": sum(load.answered_in_all for load in loads[True]),
        "writer_alone": alone,
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    return figures


if __name__ == "__main__":
    main()
