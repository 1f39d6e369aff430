"""Authentication and authorisation: 401 for a missing, malformed, unknown or revoked key, 403 for a wrong
role or an action outside the key's scope, object-level checks for subjects, and mass assignment refused."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from api_support import ROOMY, MakeClient, MakeKey, bearer, problem
from fastapi.testclient import TestClient

from xinyong import access
from xinyong.api.auth import KeyCache
from xinyong.bootstrap import Services
from xinyong.store import audit_rows


def test_missing_key_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/metrics")
    body = problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "operator" in body["detail"]


def test_unknown_key_is_401(client: TestClient) -> None:
    forged = f"xy_{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    body = problem(client.get("/metrics", headers=bearer(forged)), 401, "unauthenticated")
    assert body["detail"] == "the API key is not known"


def test_right_prefix_wrong_secret_is_401(client: TestClient, make_key: MakeKey) -> None:
    key = make_key("operator")
    tampered = key[:12] + ("A" if key[12] != "A" else "B") + key[13:]
    body = problem(client.get("/metrics", headers=bearer(tampered)), 401, "unauthenticated")
    assert body["detail"] == "the API key is not known"


@pytest.mark.parametrize("header", ["Bearer not-a-key", "Basic dXNlcjpwYXNz", "Bearer"])
def test_malformed_authorization_is_401_not_a_downgrade_to_public(client: TestClient, header: str) -> None:
    problem(client.get("/v1/_test/whoami", headers={"Authorization": header}), 401, "unauthenticated")


def test_no_header_is_the_anonymous_public(client: TestClient) -> None:
    response = client.get("/v1/_test/whoami")
    assert response.status_code == 200
    assert response.json()["role"] == "public"


def test_revoked_key_is_401(client: TestClient, make_key: MakeKey, services: Services) -> None:
    key = make_key("operator")
    assert client.get("/metrics", headers=bearer(key)).status_code == 200
    access.revoke_key(services.store, services.clock, key.split("_")[1])
    body = problem(client.get("/metrics", headers=bearer(key)), 401, "unauthenticated")
    assert "revoked" in body["detail"]


@pytest.mark.parametrize("role", ["platform", "agency", "court", "regulator", "subject", "public"])
def test_metrics_refuses_every_role_but_operator(client: TestClient, make_key: MakeKey, role: str) -> None:
    body = problem(client.get("/metrics", headers=bearer(make_key(role))), 403, "forbidden")
    assert f"role {role} may not use this route" in body["detail"]


def test_platform_checks_only_the_actions_it_enforces(client: TestClient, make_key: MakeKey) -> None:
    key = make_key("platform", actions=["air_ticket"])
    allowed = client.get("/v1/_test/check", params={"action": "air_ticket", "id": "X"}, headers=bearer(key))
    assert allowed.status_code == 200
    assert allowed.json()["action"] == "air_ticket"
    outside = client.get("/v1/_test/check", params={"action": "bank_loan", "id": "X"}, headers=bearer(key))
    assert problem(outside, 403, "forbidden")["field"] == "action"


def test_an_agency_key_without_actions_may_not_check(client: TestClient, make_key: MakeKey) -> None:
    key = make_key("agency")
    response = client.get("/v1/_test/check", params={"action": "air_ticket", "id": "X"}, headers=bearer(key))
    problem(response, 403, "forbidden")


def test_auth_comes_before_validation(client: TestClient) -> None:
    # An anonymous caller learns nothing about a protected route's parameters.
    problem(client.get("/v1/_test/check"), 401, "unauthenticated")


def test_validation_error_is_a_422_problem_naming_the_field(client: TestClient, make_key: MakeKey) -> None:
    key = make_key("platform")
    body = problem(client.get("/v1/_test/check", params={"id": "X"}, headers=bearer(key)), 422, "invalid-input")
    assert body["field"] == "action"
    assert body["detail"].startswith("action: ")
    assert body["errors"] == [{"field": "action", "reason": "Field required"}]


def test_subject_reads_only_its_own_file(client: TestClient, make_key: MakeKey, services: Services) -> None:
    own = "11010519491231002X"
    key = make_key("subject", subject=own)
    mine = client.get(f"/v1/_test/subjects/{own.lower()}", params={"purpose": "本人查询"}, headers=bearer(key))
    assert mine.status_code == 200, mine.text
    other = client.get("/v1/_test/subjects/110105194912310048", params={"purpose": "x"}, headers=bearer(key))
    assert problem(other, 403, "forbidden")["field"] == "id"
    with services.store.connect() as conn:
        reads = [row for row in audit_rows.read_range(conn) if row.action == "read"]
    # Only the permitted read was logged, with its purpose.
    assert [(r.object, r.purpose, r.role) for r in reads] == [(f"subject:{own.lower()}", "本人查询", "subject")]


def test_reading_non_public_data_needs_a_purpose(client: TestClient, make_key: MakeKey) -> None:
    key = make_key("regulator")
    response = client.get("/v1/_test/subjects/11010519491231002X", headers=bearer(key))
    assert problem(response, 422, "invalid-input")["field"] == "purpose"
    encoded = {"X-Purpose": "%E5%8F%8C%E9%9A%8F%E6%9C%BA%E6%A3%80%E6%9F%A5", **bearer(key)}
    ok = client.get("/v1/_test/subjects/11010519491231002X", headers=encoded)
    assert ok.json()["purpose"] == "双随机检查"


@pytest.mark.parametrize("smuggled", [{"role": "operator"}, {"scopes": {"actions": ["air_ticket"]}}])
def test_mass_assignment_is_refused(client: TestClient, make_key: MakeKey, smuggled: dict[str, object]) -> None:
    key = make_key("subject")
    body = {"record": "court.110105:R1", "grounds": "not me", **smuggled}
    response = client.post("/v1/_test/objections", json=body, headers=bearer(key))
    (field,) = smuggled
    assert problem(response, 422, "invalid-input")["field"] == field
    clean = client.post("/v1/_test/objections", json={"record": "r", "grounds": "g"}, headers=bearer(key))
    assert clean.json()["role"] == "subject"


def test_roles_are_checked_when_routes_are_declared() -> None:
    from xinyong.api.auth import require

    with pytest.raises(ValueError, match="unknown roles"):
        require(roles={"admin"})


def test_a_remembered_key_stops_working_once_its_cache_entry_expires(
    make_client: MakeClient, make_key: MakeKey, services: Services
) -> None:
    client = make_client(replace(ROOMY, key_cache_s=30))
    now = [1000.0]
    cache: KeyCache = client.app.state.key_cache  # type: ignore[attr-defined]
    cache.clock = lambda: now[0]
    key = make_key("operator")
    assert client.get("/metrics", headers=bearer(key)).status_code == 200
    access.revoke_key(services.store, services.clock, key.split("_")[1])
    # Within the cache's time the revocation is not yet seen (the documented window) ...
    now[0] += 29
    assert client.get("/metrics", headers=bearer(key)).status_code == 200
    # ... and after it the key is refused.
    now[0] += 2
    problem(client.get("/metrics", headers=bearer(key)), 401, "unauthenticated")


def test_the_key_cache_holds_no_keys_and_only_successes(make_client: MakeClient, make_key: MakeKey) -> None:
    client = make_client(replace(ROOMY, key_cache_s=30))
    key = make_key("operator")
    client.get("/metrics", headers=bearer(key))
    client.get("/metrics", headers=bearer(f"xy_{'0' * 8}_{'A' * 43}"))
    cache: KeyCache = client.app.state.key_cache  # type: ignore[attr-defined]
    assert list(cache._entries) == [access.key_hash(key)]
