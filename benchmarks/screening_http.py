"""HTTP part of the screening benchmark: `GET /v1/check` and `POST /v1/check/batch` under wrk on 127.0.0.1,
each against a bare FastAPI endpoint doing dict look-ups for the same IDs, same server settings (uvicorn,
one worker, uvloop + httptools), same wrk settings (2 threads, 64 connections)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

WRK_THREADS, WRK_CONNECTIONS = 2, 64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, headers: dict[str, str]) -> None:
    for _ in range(240):
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"server at {url} did not come up")


def _wrk(url: str, seconds: int, headers: dict[str, str], script: Path | None = None) -> dict[str, float]:
    cmd = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def _serve(kind: str, workdir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "XINYONG_DATABASE_URL": f"sqlite:///{workdir / 'screening.db'}", "XINYONG_HOME": str(workdir)}
    cmd = [sys.executable, "-m", "benchmarks.screening_http", "serve", kind, str(workdir), str(port)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Batch(BaseModel):
    """The bare endpoint's body: the same JSON the real route takes."""

    ids: list[str]
    action: str = "air_ticket"


def _server_app(kind: str, workdir: Path) -> Any:
    from fastapi import FastAPI

    ids = set(json.loads((workdir / "measured.json").read_text()))
    if kind == "bare":
        bare = FastAPI()

        @bare.get("/check/{id}")
        def one(id: str) -> dict[str, Any]:
            return {"id": id, "restricted": id in ids, "type": "air_ticket"}

        @bare.post("/check_batch")
        def many(body: Batch) -> dict[str, Any]:
            return {"hits": [i for i in body.ids if i in ids]}

        return bare
    from xinyong.api.app import create_app
    from xinyong.api.middleware import ApiLimits
    from xinyong.bootstrap import build

    services = build()
    services.screening  # noqa: B018 — build the index before the first request
    if kind == "noaudit":
        services.__dict__["audit_writer"] = _NullWriter()
    limits = ApiLimits(key_rate=1e9, key_burst=10**9, address_rate=1e9, address_burst=10**9)
    return create_app(services, limits=limits)


class _NullWriter:
    """Stands in for the audit writer to measure what the audit log costs."""

    pending = 0

    def submit_many(self, events: Any) -> None:
        pass

    def submit(self, event: Any) -> None:
        pass

    def close(self) -> None:
        pass


def run(workdir: Path, seconds: int = 10) -> dict[str, Any]:
    """Serve each app in turn and load it; `workdir` holds the store the in-process benchmark built."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    from xinyong import access
    from xinyong.bootstrap import build
    from xinyong.settings import Settings

    measured: list[str] = json.loads((workdir / "measured.json").read_text())
    settings = Settings(database_url=f"sqlite:///{workdir / 'screening.db'}", home=workdir)
    with build(settings) as services:
        spec = access.principal_spec(services.catalog, name="bench-airline", role="platform", actions=["air_ticket"])
        key = access.create_key(services.store, services.clock, spec).key
    auth = {"Authorization": f"Bearer {key}"}
    hit = measured[0]
    from benchmarks.screening import resident_ids

    batch_ids = measured[:526] + resident_ids(474, seed=99)
    lua = workdir / "post.lua"
    body = json.dumps({"action": "air_ticket", "ids": batch_ids})
    lua.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = [[{body}]]\n',
        encoding="utf-8",
    )
    figures: dict[str, Any] = {}
    for kind in ("bare", "xinyong", "noaudit"):
        port = _free_port()
        server = _serve(kind, workdir, port)
        try:
            base = f"http://127.0.0.1:{port}"
            one = f"{base}/check/{hit}" if kind == "bare" else f"{base}/v1/check?id={hit}&action=air_ticket"
            many = f"{base}/check_batch" if kind == "bare" else f"{base}/v1/check/batch"
            _wait(one, auth)
            _wrk(one, 2, auth)  # warm-up
            figures[kind] = {"get": _wrk(one, seconds, auth), "batch": _wrk(many, seconds, auth, lua)}
        finally:
            server.terminate()
            try:
                server.wait(timeout=120)
            except subprocess.TimeoutExpired:
                server.kill()
                figures.setdefault("notes", []).append(f"{kind}: did not stop within 120 s of SIGTERM")
    bare, ours, quiet = figures["bare"], figures["xinyong"], figures["noaudit"]
    figures["get_ratio_to_bare"] = round(ours["get"]["rps"] / bare["get"]["rps"], 3)
    figures["batch_ids_per_s"] = round(ours["batch"]["rps"] * len(batch_ids))
    figures["batch_ratio_to_bare"] = round(ours["batch"]["rps"] / bare["batch"]["rps"], 3)
    figures["audit_cost_get"] = round(1 - ours["get"]["rps"] / quiet["get"]["rps"], 3)
    return figures


def _main() -> None:
    if len(sys.argv) >= 5 and sys.argv[1] == "serve":
        import uvicorn

        app = _server_app(sys.argv[2], Path(sys.argv[3]))
        uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[4]), log_level="warning", access_log=False)


if __name__ == "__main__":
    _main()
