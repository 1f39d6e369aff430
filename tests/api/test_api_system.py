"""The system routes: liveness, metrics for operators only, the signed audit head and its consistency proofs;
and the route inventory: every route is either guarded by a role or on the short list of public ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from api_support import ROOMY, MakeClient, MakeKey, bearer, problem
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from xinyong import auditing
from xinyong.api.app import ROUTE_MODULES, create_app
from xinyong.api.auth import RoleGuard
from xinyong.api.metrics import metrics_of
from xinyong.audit import Checkpoint, public_key_from_pem, verify_checkpoint, verify_extends
from xinyong.bootstrap import Services
from xinyong.store.audit_rows import Event

#: The only routes anyone may call without a key. A new route fails this test until it is classified:
#: guarded by `require(...)`, or added here on purpose.
PUBLIC_ROUTES = {
    "/healthz",
    "/v1/audit/checkpoint",
    "/v1/audit/consistency",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
}


def _events(services: Services, n: int) -> None:
    at = services.clock.now()
    auditing.record(services.store, [Event(at, "airline", "platform", "check", f"subject:S{i}") for i in range(n)])


def test_healthz_reports_the_database_answering(client: TestClient, services: Services) -> None:
    _events(services, 2)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "audit_entries": 2}


def test_metrics_are_for_operators(client: TestClient, make_key: MakeKey) -> None:
    key = make_key("operator")
    client.get("/healthz")
    client.get("/v1/audit/consistency", params={"old": 0, "new": 0})
    response = client.get("/metrics", headers=bearer(key))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'xinyong_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    # Counted per route template, with the status each got.
    assert 'route="/v1/audit/consistency",status="404"' in text
    assert 'xinyong_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz"}' in text
    problem(client.get("/metrics"), 401, "unauthenticated")


def test_routes_report_checks_and_ingests_through_the_helpers(client: TestClient, make_key: MakeKey) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    collected = app.state.metrics
    collected.count_checks("air_ticket", "deny", 3)
    collected.count_ingest("tax.110000", accepted=5, rejected=1)
    text = client.get("/metrics", headers=bearer(make_key("operator"))).text
    assert 'xinyong_checks_total{action="air_ticket",effect="deny"} 3.0' in text
    assert 'xinyong_ingest_rows_total{agency="tax.110000",outcome="accepted"} 5.0' in text
    assert 'outcome="unchanged"' not in text
    assert "xinyong_audit_pending_events 0.0" in text


def test_metrics_of_finds_the_apps_registry(client: TestClient) -> None:
    class FakeRequest:
        app = client.app

    assert metrics_of(FakeRequest()) is client.app.state.metrics  # type: ignore[arg-type, attr-defined]


def test_checkpoint_is_signed_by_the_published_key(client: TestClient, services: Services) -> None:
    _events(services, 3)
    document = client.get("/v1/audit/checkpoint").json()
    public_key = public_key_from_pem(document.pop("public_key_pem"))
    checkpoint = Checkpoint.from_dict(document)
    assert checkpoint.size == 3
    assert verify_checkpoint(checkpoint, public_key)
    # The same key as the one in the registry's home, made there with owner-only permissions.
    key_file = services.settings.home / auditing.KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert auditing.public_key_of(services.settings.home) is not None
    forged = Checkpoint(
        checkpoint.size + 1, checkpoint.root_hex, checkpoint.at, checkpoint.key_id, checkpoint.signature_hex
    )
    assert not verify_checkpoint(forged, public_key)


def test_a_later_checkpoint_is_proved_to_extend_an_earlier_one(client: TestClient, services: Services) -> None:
    _events(services, 3)
    first = client.get("/v1/audit/checkpoint").json()
    public_key = public_key_from_pem(first.pop("public_key_pem"))
    _events(services, 4)
    second = client.get("/v1/audit/checkpoint").json()
    second.pop("public_key_pem")
    assert second["size"] == 7
    response = client.get("/v1/audit/consistency", params={"old": first["size"], "new": second["size"]})
    assert response.status_code == 200
    body = response.json()
    proof = [bytes.fromhex(h) for h in body["proof"]]
    old, new = Checkpoint.from_dict(first), Checkpoint.from_dict(second)
    assert verify_extends(old, new, proof, public_key)
    # A proof is about these two trees: a different old root does not pass.
    other = Checkpoint(old.size, "00" * 32, old.at, old.key_id, old.signature_hex)
    assert not verify_extends(other, new, proof, public_key)


def test_checkpoints_are_signed_at_most_once_per_interval(make_client: MakeClient, services: Services) -> None:
    client = make_client(replace(ROOMY, checkpoint_every_s=3600))
    _events(services, 1)
    first = client.get("/v1/audit/checkpoint").json()
    _events(services, 1)
    again = client.get("/v1/audit/checkpoint").json()
    assert again["size"] == first["size"] == 1


def test_consistency_of_an_unsigned_size_is_404_and_a_shrinking_one_422(client: TestClient) -> None:
    problem(client.get("/v1/audit/consistency", params={"old": 0, "new": 5}), 404, "not-found")
    client.get("/v1/audit/checkpoint")
    body = problem(client.get("/v1/audit/consistency", params={"old": 3, "new": 0}), 422, "invalid-input")
    assert body["field"] == "old"


def _guards(route: APIRoute) -> list[RoleGuard]:
    found: list[RoleGuard] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, RoleGuard):
            found.append(dependant.call)
        stack.extend(dependant.dependencies)
    return found


def test_every_route_is_guarded_or_listed_as_public(client: TestClient, services: Services) -> None:
    app = create_app(services)
    routes = [r for module in ROUTE_MODULES for r in module.router.routes]  # type: ignore[attr-defined]
    api_routes = [r for r in routes if isinstance(r, APIRoute)]
    assert len(api_routes) == len(routes)
    unclassified = []
    for route in api_routes:
        guards = _guards(route)
        if not guards and route.path not in PUBLIC_ROUTES:
            unclassified.append(route.path)
        if guards and route.path in PUBLIC_ROUTES:
            unclassified.append(f"{route.path} (guarded, yet listed as public)")
    assert unclassified == []
    # The routers are everything the app serves: the OpenAPI paths are exactly theirs.
    served = set(app.openapi()["paths"])
    assert served == {r.path for r in api_routes}
    (feeds,) = [r for r in api_routes if r.path == "/v1/feeds/{agency}"]
    assert [g.roles for g in _guards(feeds)] == [frozenset({"agency", "court"})]
    # And every guarded route answers an anonymous caller with 401, whatever its parameters.
    for route in api_routes:
        if _guards(route) and "public" not in _guards(route)[0].roles:
            (method,) = route.methods
            path = route.path.replace("{agency}", "samr.110000")
            problem(client.request(method, path), 401, "unauthenticated")


def test_every_json_body_refuses_unknown_fields(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    checked = 0
    for path_item in document["paths"].values():
        for operation in path_item.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                ref = content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert schemas[ref].get("additionalProperties") is False, ref
                checked += 1
    assert checked >= 1  # the test-only objection route at least


def test_errors_are_documented_as_problem_json(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    feed = document["paths"]["/v1/feeds/{agency}"]["post"]["responses"]
    for status in ("401", "403", "413", "422", "429"):
        assert list(feed[status]["content"]) == ["application/problem+json"], status
    assert document["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key made by `xinyong keys create`, sent as `Authorization: Bearer <key>`.",
    }


@pytest.mark.parametrize("size", [0, 1])
def test_checkpoint_of_a_small_log(client: TestClient, services: Services, size: int) -> None:
    _events(services, size)
    document = client.get("/v1/audit/checkpoint").json()
    assert document["size"] == size
    assert document["origin"] == "xinyong audit log"
    assert document["signed_text"].startswith(f"xinyong audit log\n{size}\n")


def test_checkpoint_time_is_the_services_clock(client: TestClient, services: Services) -> None:
    document = client.get("/v1/audit/checkpoint").json()
    assert Checkpoint.from_dict(
        {k: v for k, v in document.items() if k != "public_key_pem"}
    ).at - services.clock.now() == timedelta(0)
