"""`GET /v1/check` and `POST /v1/check/batch`: decisions from the index, the same answer either way, errors
named per field or per line, keys and scopes enforced, and every look audited without holding up the answer
(a batch as one entry whose subjects on file each find it in their access log)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from api_support import MakeKey, bearer, problem
from fastapi.testclient import TestClient

from xinyong.audit import AuditRow
from xinyong.bootstrap import Services
from xinyong.screening import publish
from xinyong.store import NewSubject, RecordData, audit_rows, records, subjects

pytestmark = pytest.mark.integration

PERSON_ID = "11010519491231002X"
OTHER_ID = "11010119900307299X"
UNKNOWN_ID = "110105198005053320"  # valid, on nobody's file
WRONG_ID = PERSON_ID[:-1] + "1"


def _person(services: Services, id_value: str, name: str, record_id: str) -> None:
    with services.store.unit_of_work() as conn:
        row = subjects.create(
            conn,
            NewSubject(kind="person", name=name, name_norm=name, id_kind="resident_id", id_value=id_value),
            at=services.clock.now(),
        )
        data = RecordData(
            agency="court.110105",
            record_id=record_id,
            record_type="court.defaulter",
            subject_kind="person",
            subject_name=name,
            subject_pk=row.pk,
            link="id",
            decided_on=date(2025, 1, 2),
            valid_to=date(2026, 12, 31),
            decision_no=f"({record_id})号",
            row_hash=f"h-{record_id}",
        )
        records.insert_version(conn, data, recorded_at=services.clock.now())


@pytest.fixture
def indexed(services: Services, client: TestClient) -> Services:
    """Two defaulters, published and in the running server's index."""
    _person(services, PERSON_ID, "张三", "D1")
    _person(services, OTHER_ID, "李四", "D2")
    publish(services.store, services.catalog, services.clock)
    services.screening.refresh(services.store)
    return services


@pytest.fixture
def airline(make_key: MakeKey) -> dict[str, str]:
    return bearer(make_key("platform", name="airline", actions=["air_ticket"]))


def _logged(services: Services) -> list[AuditRow]:
    services.audit_writer.flush()
    with services.store.connect() as conn:
        return [r for r in audit_rows.read_range(conn) if r.action.startswith("check")]


def test_one_check_answers_from_the_index_and_is_audited(
    client: TestClient, indexed: Services, airline: dict[str, str]
) -> None:
    hit = client.get(f"/v1/check?id={PERSON_ID}&action=air_ticket", headers=airline)
    assert hit.status_code == 200, hit.text
    body = hit.json()
    assert (body["allowed"], body["effect"], body["subject"]["id"]) == (False, "deny", PERSON_ID)
    assert body["reasons"][0]["record"] == "court.110105:D1"
    miss = client.get(f"/v1/check?id={UNKNOWN_ID}&action=air_ticket", headers=airline).json()
    assert (miss["allowed"], miss["subject"], miss["reasons"]) == (True, None, [])
    later = client.get(f"/v1/check?id={PERSON_ID}&action=air_ticket&at=2027-01-01", headers=airline).json()
    assert later["effect"] == "allow"  # the listing ended by itself
    appeal = client.get(f"/v1/check?id={PERSON_ID}&action=air_ticket&known_at=2025-06-01", headers=airline)
    assert appeal.json() == body  # the store, as the registry knew it then, says what the index says now
    logged = _logged(indexed)
    assert [(r.action, r.object, r.result) for r in logged] == [
        ("check", f"subject:{PERSON_ID}", "deny"),
        ("check.request", "action:air_ticket", "ok"),
        ("check", f"subject:{PERSON_ID}", "allow"),
        ("check", f"subject:{PERSON_ID}", "deny"),
    ]


@pytest.mark.parametrize(
    ("query", "status", "slug", "field"),
    [
        (f"id={WRONG_ID}&action=air_ticket", 422, "invalid-input", "id"),
        ("action=air_ticket", 422, "invalid-input", "id"),
        (f"id={'1' * 65}&action=air_ticket", 422, "invalid-input", "id"),
        (f"id={PERSON_ID}&action=air_ticket&at=2025-13-01", 422, "invalid-input", "at"),
        (f"id={PERSON_ID}&action=rail_g_train", 403, "forbidden", "action"),
    ],
)
def test_a_bad_check_is_a_problem_naming_the_field(
    client: TestClient,
    indexed: Services,
    airline: dict[str, str],
    query: str,
    status: int,
    slug: str,
    field: str | None,
) -> None:
    body = problem(client.get(f"/v1/check?{query}", headers=airline), status, slug)
    if field is not None:
        assert body.get("field") == field, body


def test_keys_and_roles_are_enforced(client: TestClient, indexed: Services, make_key: MakeKey) -> None:
    path = f"/v1/check?id={PERSON_ID}&action=air_ticket"
    problem(client.get(path), 401, "unauthenticated")
    problem(client.get(path, headers={"Authorization": "Bearer xy_00000000_" + "a" * 43}), 401, "unauthenticated")
    regulator = bearer(make_key("regulator", name="bj"))
    problem(client.get(path, headers=regulator), 403, "forbidden")
    problem(
        client.post("/v1/check/batch", json={"action": "air_ticket", "ids": [PERSON_ID]}, headers=regulator),
        403,
        "forbidden",
    )


def test_a_batch_answers_in_order_with_errors_per_line(
    client: TestClient, indexed: Services, airline: dict[str, str]
) -> None:
    ids = [PERSON_ID, "not-an-id", UNKNOWN_ID, OTHER_ID, WRONG_ID, PERSON_ID]
    response = client.post("/v1/check/batch", json={"action": "air_ticket", "ids": ids}, headers=airline)
    assert response.status_code == 200, response.text
    lines = response.json()["decisions"]
    assert [line["id"] for line in lines] == ids
    assert [line.get("effect") for line in lines] == ["deny", None, "allow", "deny", None, "deny"]
    assert [line.get("field") for line in lines] == [None, "id", None, None, "id", None]
    assert "check character" in lines[4]["error"]
    for raw, line in zip(ids, lines, strict=True):
        if "error" not in line:
            single = client.get(f"/v1/check?id={raw}&action=air_ticket", headers=airline).json()
            assert {k: v for k, v in line.items() if k != "id"} == single
    # The same body sent with a content type the quick path leaves to FastAPI gets the same answer.
    slow = client.post(
        "/v1/check/batch",
        content=json.dumps({"action": "air_ticket", "ids": ids}),
        headers={**airline, "Content-Type": "application/json; charset=utf-8"},
    )
    assert slow.json() == response.json()


def test_a_batch_is_one_audit_entry_and_each_subject_on_file_sees_it(
    client: TestClient, indexed: Services, airline: dict[str, str]
) -> None:
    ids = [PERSON_ID, "not-an-id", UNKNOWN_ID, OTHER_ID, PERSON_ID]
    assert client.post("/v1/check/batch", json={"action": "air_ticket", "ids": ids}, headers=airline).status_code == 200
    [entry] = _logged(indexed)
    assert (entry.action, entry.actor, entry.role) == ("check.request", "airline", "platform")
    assert {k: entry.detail[k] for k in ("action", "ids", "on_file", "invalid")} == {
        "action": "air_ticket",
        "ids": 5,
        "on_file": 3,
        "invalid": 1,
    }
    with indexed.store.connect() as conn:
        for subject_id in (PERSON_ID, OTHER_ID):
            [look] = audit_rows.accesses(conn, {f"subject:{subject_id}"}, {"check"})
            assert (look.seq, look.actor, look.result, look.detail) == (
                entry.seq,
                "airline",
                "deny",
                {"action": "air_ticket"},
            )
        assert audit_rows.accesses(conn, {f"subject:{UNKNOWN_ID}"}, {"check"}) == []  # nobody on file: not listed


@pytest.mark.parametrize(
    ("body", "status", "slug"),
    [
        ({"action": "air_ticket", "ids": [PERSON_ID], "extra": 1}, 422, "invalid-input"),
        ({"action": "air_ticket", "ids": ["1" * 65]}, 422, "invalid-input"),
        ({"action": "air_ticket", "ids": [PERSON_ID] * 10_001}, 422, "invalid-input"),
        ({"action": "air_ticket", "ids": [PERSON_ID], "at": "June"}, 422, "invalid-input"),
        ({"action": "rail_g_train", "ids": [PERSON_ID]}, 403, "forbidden"),
        ({"action": "teleport", "ids": [PERSON_ID]}, 403, "forbidden"),
    ],
)
def test_a_bad_batch_is_a_problem(
    client: TestClient, indexed: Services, airline: dict[str, str], body: dict[str, Any], status: int, slug: str
) -> None:
    problem(client.post("/v1/check/batch", json=body, headers=airline), status, slug)
    assert _logged(indexed) == []


def test_checks_are_counted_in_the_metrics(
    client: TestClient, indexed: Services, airline: dict[str, str], make_key: MakeKey
) -> None:
    ids = [PERSON_ID, "not-an-id", UNKNOWN_ID, OTHER_ID]
    client.post("/v1/check/batch", json={"action": "air_ticket", "ids": ids}, headers=airline)
    client.get(f"/v1/check?id={UNKNOWN_ID}&action=air_ticket", headers=airline)
    text = client.get("/metrics", headers=bearer(make_key("operator", name="ops"))).text
    counted = {
        effect: float(line.rsplit(" ", 1)[1])
        for effect in ("deny", "allow", "invalid")
        for line in text.splitlines()
        if line.startswith(f'xinyong_checks_total{{action="air_ticket",effect="{effect}"}}')
    }
    assert counted == {"deny": 2.0, "allow": 2.0, "invalid": 1.0}
