"""What every request goes through before a route sees it: a request id and a JSON log line, rate limits
per key and per client address, a body size limit and a time limit, each refusal a problem+json.

These are plain ASGI middlewares (no BaseHTTPMiddleware), so a request pays a few function calls for
them, not an extra task or a copy of its body.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.api.metrics import UNMATCHED, Metrics
from xinyong.api.problems import PayloadTooLarge, TimedOut, internal_error, response_for
from xinyong.errors import RateLimited

log = logging.getLogger("xinyong.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Made request ids: 32 hex digits, a random half per process and a counter, unique without a system call each.
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(int.from_bytes(secrets.token_bytes(4), "big"))
_BEARER_PREFIX = re.compile(rb"^bearer\s+xy_([0-9a-f]{8})_", re.IGNORECASE)


@dataclass(frozen=True)
class ApiLimits:
    """The service's limits on one request and on how many requests a key or an address may make."""

    #: Largest request body in bytes, except on upload paths.
    max_body_bytes: int = 1 << 20
    #: Largest feed upload in bytes.
    max_upload_bytes: int = 256 << 20
    #: Path prefixes that take uploads (the larger body limit and the longer time limit).
    upload_paths: tuple[str, ...] = ("/v1/feeds/",)
    #: Seconds a request may take before it is answered 503 `timeout`.
    timeout_s: float = 15.0
    #: Seconds an upload (and its ingestion) may take.
    upload_timeout_s: float = 900.0
    #: Sustained requests per second and burst per API key.
    key_rate: float = 200.0
    key_burst: int = 400
    #: Sustained requests per second and burst per client address without a key (the public portal).
    address_rate: float = 10.0
    address_burst: int = 60
    #: Failed authentications per second and burst per client address, against key guessing.
    auth_failure_rate: float = 0.5
    auth_failure_burst: int = 20
    #: How many buckets each limiter keeps before it forgets the ones that are full again.
    max_buckets: int = 100_000
    #: Seconds an authenticated key is remembered; a revocation elsewhere takes effect within this time.
    key_cache_s: float = 5.0
    #: At most one new signed audit checkpoint per this many seconds, however often it is asked for.
    checkpoint_every_s: float = 10.0

    def is_upload(self, path: str) -> bool:
        """Whether this path takes feed uploads."""
        return path.startswith(self.upload_paths)


class TokenBuckets:
    """One token bucket per name: `rate` tokens a second up to `burst`; a request takes one token."""

    def __init__(self, rate: float, burst: int, max_buckets: int = 100_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = float(burst)
        self.max_buckets = max_buckets
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait(self, name: str, now: float) -> float:
        """Seconds until `name` has a token (0 when it has one now), without taking it."""
        tokens = self._tokens(name, now)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, name: str, now: float) -> float:
        """Take a token for `name`: 0 when taken, else the seconds until one will be there."""
        tokens = self._tokens(name, now)
        if tokens < 1:
            return (1 - tokens) / self.rate
        if len(self._buckets) >= self.max_buckets and name not in self._buckets:
            self._forget_full(now)
        self._buckets[name] = (tokens - 1, now)
        return 0.0

    def _tokens(self, name: str, now: float) -> float:
        stored = self._buckets.get(name)
        if stored is None:
            return self.burst
        tokens, updated = stored
        return min(self.burst, tokens + (now - updated) * self.rate)

    def _forget_full(self, now: float) -> None:
        # A full bucket is the same as no bucket; dropping them bounds memory under address churn.
        full = [n for n in self._buckets if self._tokens(n, now) >= self.burst]
        for name in full:
            del self._buckets[name]
        if len(self._buckets) >= self.max_buckets:
            self._buckets.clear()


class RequestContext:
    """Gives each request an id (`X-Request-Id`, kept when the caller sent a sane one), measures it and
    writes one JSON log line: no query string and no body, as both may carry personal identifiers."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id")
        if request_id is None or not _REQUEST_ID.match(request_id):
            request_id = f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # A bug still gets the documented answer, with its request id; the error goes on to be logged.
            if not status:
                await internal_error(request_id)(scope, receive, send_with_id)
            raise
        finally:
            elapsed = time.perf_counter() - started
            status = status or 500  # no answer went out: the request failed
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.observe_request(scope["method"], route, status, elapsed)
            if log.isEnabledFor(logging.INFO):
                principal = state.get("principal")
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                        "client": _client(scope),
                        "principal": getattr(principal, "name", None),
                        "role": getattr(principal, "role", None),
                    },
                )


class RateLimit:
    """429 with Retry-After once a key, or an address without a key, is over its rate.

    A request with a key is counted against that key (its prefix, read without touching the database);
    one without against its client address. A failed authentication also costs the address a token of
    a small separate budget, so guessing keys from one address is throttled however many keys it tries.
    """

    def __init__(
        self,
        app: ASGIApp,
        limits: ApiLimits,
        metrics: Metrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.clock = clock
        self.keys = TokenBuckets(limits.key_rate, limits.key_burst, limits.max_buckets)
        self.addresses = TokenBuckets(limits.address_rate, limits.address_burst, limits.max_buckets)
        self.failures = TokenBuckets(limits.auth_failure_rate, limits.auth_failure_burst, limits.max_buckets)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        now = self.clock()
        address = _client(scope)
        match = _BEARER_PREFIX.match(_raw_header(scope, b"authorization") or b"")
        if match is None:
            wait, limit = self.addresses.take(address, now), "address"
        else:
            # An address that keeps failing to authenticate is refused before its keys are even looked at.
            wait, limit = self.failures.wait(address, now), "address"
            if not wait:
                wait, limit = self.keys.take(match.group(1).decode(), now), "key"
        if wait > 0:
            self.metrics.count_rate_limited(limit)
            retry = math.ceil(wait)
            problem = RateLimited(f"too many requests for this {limit}; retry after {retry} s", retry_after=retry)
            await response_for(problem, scope.get("state", {}).get("request_id"))(scope, receive, send)
            return

        async def watch_status(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.failures.take(address, self.clock())
            await send(message)

        await self.app(scope, receive, watch_status)


class BodyLimit:
    """413 when a body is larger than the route takes: at once from Content-Length, or as soon as a
    streamed body passes the limit, whatever the route was doing with it."""

    def __init__(self, app: ASGIApp, limits: ApiLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.max_upload_bytes if self.limits.is_upload(scope["path"]) else self.limits.max_body_bytes
        problem = PayloadTooLarge(f"the request body is over the limit of {limit} bytes for this route")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await response_for(problem, scope.get("state", {}).get("request_id"))(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise problem
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the route's own answer to a cut-off body is replaced by the 413 below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            # Whatever the route made of the cut-off body (FastAPI turns it into a 400) is not the answer.
            if not exceeded:
                raise
        if exceeded and not started:
            await response_for(problem, scope.get("state", {}).get("request_id"))(scope, receive, send)


class Timeout:
    """503 `timeout` with Retry-After when a request runs past its time limit.

    The route runs as a task of its own, so the answer goes out on time even while a synchronous route
    is still busy in the thread pool (whose work then finishes and is discarded).
    """

    def __init__(self, app: ASGIApp, limits: ApiLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seconds = self.limits.upload_timeout_s if self.limits.is_upload(scope["path"]) else self.limits.timeout_s
        started = False
        timed_out = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        try:
            done, _ = await asyncio.wait({task}, timeout=seconds)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            task.result()
            return
        timed_out = True
        task.cancel()
        task.add_done_callback(_discard)
        if not started:
            problem = TimedOut(f"the request took longer than {seconds:g} s; try again later")
            await response_for(problem, scope.get("state", {}).get("request_id"))(scope, receive, send)


class JsonLogFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the record's extra fields."""

    # uvicorn adds `color_message`, the same message with terminal colours, which has no place in JSON.
    _standard = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
        "message",
        "asctime",
        "color_message",
    }

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in self._standard and not name.startswith("_"):
                document[name] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send xinyong's and uvicorn's logs to stderr as JSON lines at `level`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    for name in ("xinyong", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False


def _discard(task: asyncio.Future[None]) -> None:
    # The timed-out route's outcome no longer matters, but an unread exception would be reported as a bug.
    if not task.cancelled():
        task.exception()


def _raw_header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    raw = _raw_header(scope, name)
    return raw.decode("latin-1") if raw is not None else None


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
