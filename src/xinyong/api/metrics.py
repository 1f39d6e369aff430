"""Prometheus metrics of one service instance: requests and latency per route, checks per action, ingest.

Routes record what they did through the helpers here (`metrics_of(request).count_checks(...)`); each app
has its own registry, so two apps in one process (tests, benchmarks) never mix their numbers.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Latency buckets in seconds, dense below 100 ms where a screening check should land.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: The route label of requests that matched no route, so unknown paths cannot blow up label cardinality.
UNMATCHED = "<unmatched>"


class Metrics:
    """The counters and histograms of one app, with small methods for the things routes report."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "xinyong_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "xinyong_http_request_duration_seconds",
            "Time from receiving a request to the end of its response, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.checks = Counter(
            "xinyong_checks",
            "Screening decisions given, by action and effect.",
            ["action", "effect"],
            registry=self.registry,
        )
        self.ingested = Counter(
            "xinyong_ingest_rows",
            "Feed rows ingested through the API, by agency and outcome.",
            ["agency", "outcome"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "xinyong_rate_limited",
            "Requests refused with 429, by what was over its limit (key or address).",
            ["limit"],
            registry=self.registry,
        )
        self.audit_pending = Gauge(
            "xinyong_audit_pending_events",
            "Audit events accepted from hot paths and not yet written.",
            registry=self.registry,
        )
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its latency."""
        key = (method, route, status)
        children = self._request_children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.latency.labels(method, route),
            )
            self._request_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def count_checks(self, action: str, effect: str, n: int = 1) -> None:
        """Count `n` screening decisions on `action` that came out as `effect`."""
        self.checks.labels(action, effect).inc(n)

    def count_ingest(
        self, agency: str, *, accepted: int = 0, rejected: int = 0, unchanged: int = 0, superseded: int = 0
    ) -> None:
        """Count the rows of one ingested feed by outcome."""
        for outcome, n in (
            ("accepted", accepted),
            ("rejected", rejected),
            ("unchanged", unchanged),
            ("superseded", superseded),
        ):
            if n:
                self.ingested.labels(agency, outcome).inc(n)

    def count_rate_limited(self, limit: str) -> None:
        """Count one request refused because its key's or address's limit was reached."""
        self.rate_limited.labels(limit).inc()

    def watch_audit_pending(self, pending: Callable[[], int]) -> None:
        """Report the audit writer's queue length whenever metrics are scraped."""
        self.audit_pending.set_function(lambda: float(pending()))

    def render(self) -> bytes:
        """The metrics in the Prometheus text format."""
        return generate_latest(self.registry)


def metrics_of(request: Request) -> Metrics:
    """The metrics of the app serving this request."""
    metrics: Metrics = request.app.state.metrics
    return metrics
