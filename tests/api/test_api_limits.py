"""Resource limits: 413 for oversize bodies, 429 with Retry-After per key and per address, 503 on a timeout,
and a request id plus one JSON log line (without the query string) for every request."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest
from api_support import ROOMY, MakeClient, MakeKey, bearer, problem

from xinyong.api.middleware import JsonLogFormatter, TokenBuckets


def test_declared_oversize_body_is_413(make_client: MakeClient) -> None:
    client = make_client(replace(ROOMY, max_body_bytes=100))
    body = problem(client.post("/v1/_test/echo", content=b"x" * 101), 413, "payload-too-large")
    assert "100 bytes" in body["detail"]
    assert client.post("/v1/_test/echo", content=b"x" * 100).json() == {"bytes": 100}


def test_streamed_oversize_body_without_length_is_413(make_client: MakeClient) -> None:
    client = make_client(replace(ROOMY, max_body_bytes=1000))

    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b"y" * 300

    response = client.post("/v1/_test/echo", content=chunks())
    problem(response, 413, "payload-too-large")


def test_uploads_get_their_own_larger_limit(make_client: MakeClient, make_key: MakeKey) -> None:
    client = make_client(replace(ROOMY, max_body_bytes=100, max_upload_bytes=10_000))
    key = make_key("agency", agency="samr.110000")
    files = {"file": ("feed.csv", b"a" * 5000, "text/csv")}
    # Past the body limit but within the upload limit: refused for another reason than size.
    other_agency = client.post("/v1/feeds/tax.110000", files=files, headers=bearer(key))
    problem(other_agency, 403, "forbidden")
    files = {"file": ("feed.csv", b"a" * 20_000, "text/csv")}
    problem(client.post("/v1/feeds/samr.110000", files=files, headers=bearer(key)), 413, "payload-too-large")


def test_anonymous_requests_are_limited_per_address(make_client: MakeClient) -> None:
    client = make_client(replace(ROOMY, address_rate=0.01, address_burst=3))
    statuses = [client.get("/healthz").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    refused = client.get("/healthz")
    body = problem(refused, 429, "rate-limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert "address" in body["detail"]


def test_keys_are_limited_each_on_their_own(make_client: MakeClient, make_key: MakeKey) -> None:
    client = make_client(replace(ROOMY, key_rate=0.01, key_burst=2))
    first, second = make_key("operator"), make_key("operator")
    assert [client.get("/metrics", headers=bearer(first)).status_code for _ in range(2)] == [200, 200]
    refused = client.get("/metrics", headers=bearer(first))
    problem(refused, 429, "rate-limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert client.get("/metrics", headers=bearer(second)).status_code == 200
    # The refused request had no side effect on the other key's budget, nor on anonymous callers.
    assert client.get("/healthz").status_code == 200


def test_guessing_keys_from_one_address_is_throttled(make_client: MakeClient, make_key: MakeKey) -> None:
    client = make_client(replace(ROOMY, auth_failure_rate=0.01, auth_failure_burst=3))
    guesses = [f"xy_{n:08x}_{'A' * 43}" for n in range(5)]
    statuses = [client.get("/metrics", headers=bearer(g)).status_code for g in guesses]
    assert statuses == [401, 401, 401, 429, 429]
    # Once the address is over its failure budget, even a real key waits.
    problem(client.get("/metrics", headers=bearer(make_key("operator"))), 429, "rate-limited")


def test_rate_limited_requests_are_counted(make_client: MakeClient, make_key: MakeKey) -> None:
    client = make_client(replace(ROOMY, address_rate=0.01, address_burst=1))
    client.get("/healthz")
    client.get("/healthz")
    metrics = client.app.state.metrics  # type: ignore[attr-defined]
    assert metrics.rate_limited.labels("address")._value.get() == 1


def test_token_bucket_refills_at_its_rate() -> None:
    buckets = TokenBuckets(rate=2.0, burst=2)
    assert buckets.take("k", 0.0) == 0
    assert buckets.take("k", 0.0) == 0
    assert buckets.take("k", 0.0) == pytest.approx(0.5)
    assert buckets.take("k", 0.5) == 0
    assert buckets.wait("k", 0.5) == pytest.approx(0.5)


def test_token_buckets_forget_full_ones_to_bound_memory() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1, max_buckets=3)
    for n in range(3):
        buckets.take(f"a{n}", 0.0)
    buckets.take("late", 10.0)  # the three earlier buckets are full again by now, so they go
    assert buckets.wait("late", 10.0) == pytest.approx(1.0)
    assert len(buckets._buckets) == 1


def test_slow_request_times_out_with_503(make_client: MakeClient) -> None:
    client = make_client(replace(ROOMY, timeout_s=0.2))
    response = client.get("/v1/_test/slow")
    body = problem(response, 503, "timeout")
    assert response.headers["retry-after"] == "1"
    assert "0.2 s" in body["detail"]


def test_unexpected_error_is_a_500_problem_without_internals(make_client: MakeClient) -> None:
    client = make_client(raise_server_exceptions=False)
    body = problem(client.get("/v1/_test/boom"), 500, "internal-error")
    assert "a bug" not in body["detail"]


def test_unknown_route_is_a_404_problem(make_client: MakeClient) -> None:
    problem(make_client().get("/v1/nowhere"), 404, "not-found")


def test_request_id_is_kept_when_sane_and_made_when_not(make_client: MakeClient) -> None:
    client = make_client()
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"}).headers["x-request-id"]
    assert len(made) == 32
    assert made != "bad id\twith spaces"


def test_each_request_is_one_json_log_line_without_its_query(
    make_client: MakeClient, make_key: MakeKey, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    key = make_key("platform", name="airline")
    with caplog.at_level(logging.INFO, logger="xinyong.api"):
        client.get(
            "/v1/_test/check",
            params={"action": "air_ticket", "id": "11010519491231002X"},
            headers={**bearer(key), "X-Request-Id": "req-1"},
        )
    (record,) = [r for r in caplog.records if r.getMessage() == "request"]
    line = JsonLogFormatter().format(record)
    document = json.loads(line)
    assert "\n" not in line
    assert document["request_id"] == "req-1"
    assert document["route"] == "/v1/_test/check"
    assert document["path"] == "/v1/_test/check"
    assert document["status"] == 200
    assert document["principal"] == "airline"
    assert document["role"] == "platform"
    assert "11010519491231002X" not in line
