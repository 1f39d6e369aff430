"""A subject's own routes: `GET /v1/me` (its full file and what it was told), `GET /v1/me/access-log`
(every read and check by someone else, nothing about other subjects), and filing objections and repair
applications for its own records only."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from api_support import MakeKey, bearer, problem
from fastapi.testclient import TestClient

from xinyong.bootstrap import Services
from xinyong.screening import publish
from xinyong.store import NewSubject, RecordData, records, subjects

pytestmark = pytest.mark.integration

PERSON_ID = "11010519491231002X"
OTHER_ID = "11010119900307299X"


def _subject(services: Services, id_value: str, name: str) -> int:
    with services.store.unit_of_work() as conn:
        row = subjects.create(
            conn,
            NewSubject(kind="person", name=name, name_norm=name, id_kind="resident_id", id_value=id_value),
            at=services.clock.now(),
        )
    return row.pk


def _record(services: Services, record_id: str, record_type: str, subject_pk: int, **kw: Any) -> None:
    values: dict[str, Any] = {
        "agency": "court.110105",
        "record_id": record_id,
        "record_type": record_type,
        "subject_kind": "person",
        "subject_name": "张三",
        "subject_pk": subject_pk,
        "link": "id",
        "decided_on": date(2025, 1, 2),
        "valid_to": date(2026, 12, 31),
        "decision_no": f"({record_id})号",
        "row_hash": f"h-{record_id}",
    }
    values.update(kw)
    with services.store.unit_of_work() as conn:
        records.insert_version(conn, RecordData(**values), recorded_at=services.clock.now())


@pytest.fixture
def people(services: Services) -> dict[str, int]:
    """张三 (a defaulter and a penalty of 2025-04-10) and 李四 (a defaulter)."""
    person = _subject(services, PERSON_ID, "张三")
    other = _subject(services, OTHER_ID, "李四")
    _record(services, "D1", "court.defaulter", person)
    _record(
        services,
        "P1",
        "admin.penalty",
        person,
        agency="samr.110000",
        valid_to=None,
        severity="general",
        decided_on=date(2025, 4, 10),
    )
    _record(services, "D2", "court.defaulter", other, subject_name="李四")
    return {"person": person, "other": other}


@pytest.fixture
def me(make_key: MakeKey) -> dict[str, str]:
    """张三's subject key as an Authorization header."""
    return bearer(make_key("subject", name="zhangsan", subject=PERSON_ID))


def test_me_is_the_subjects_full_file(client: TestClient, people: dict[str, int], me: dict[str, str]) -> None:
    response = client.get("/v1/me", headers=me)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["view"], body["subject"]["id"], body["subject"]["name"]) == ("full", PERSON_ID, "张三")
    assert {r["record"] for r in body["records"]} == {"court.110105:D1", "samr.110000:P1"}
    assert body["access_log"] == []
    assert body["objections"] == []
    assert body["repairs"] == []


@pytest.mark.parametrize("role", ["public", "platform", "agency", "regulator", "operator"])
def test_me_routes_are_for_subject_keys_only(client: TestClient, make_key: MakeKey, role: str) -> None:
    headers = bearer(make_key(role))
    for path in ("/v1/me", "/v1/me/access-log"):
        problem(client.get(path, headers=headers), 403, "forbidden")
    problem(client.post("/v1/objections", json={"record": "a:b", "grounds": "x"}, headers=headers), 403, "forbidden")
    problem(client.get("/v1/me"), 401, "unauthenticated")


def test_a_subject_the_registry_knows_nothing_of_gets_404(client: TestClient, make_key: MakeKey) -> None:
    headers = bearer(make_key("subject", subject="440524188001010014"))
    body = problem(client.get("/v1/me", headers=headers), 404, "not-found")
    assert body["detail"] == "subject: the registry holds no records about you"


def test_filing_an_objection_contests_the_record_on_every_view(
    client: TestClient, people: dict[str, int], me: dict[str, str]
) -> None:
    response = client.post(
        "/v1/objections", json={"record": "court.110105:D1", "grounds": "我已于5月全部履行"}, headers=me
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"objection": "O00000001", "status": "open", "deadline": "2025-06-16"}
    own = client.get("/v1/me", headers=me).json()
    d1 = next(r for r in own["records"] if r["record"] == "court.110105:D1")
    assert (d1["contested"], d1["objection"]) == (True, "O00000001")
    assert [o["objection"] for o in own["objections"]] == ["O00000001"]
    assert own["notifications"][0]["event"] == "objection.filed"
    public = client.get(f"/v1/subjects/{PERSON_ID}").json()
    assert public["records"][0]["contested"] is True
    assert public["listings"][0]["contested"] is True

    problem(
        client.post("/v1/objections", json={"record": "court.110105:D1", "grounds": "again"}, headers=me),
        409,
        "conflict",
    )
    other = problem(
        client.post("/v1/objections", json={"record": "court.110105:D2", "grounds": "not mine"}, headers=me),
        404,
        "not-found",
    )
    assert other["field"] == "record"
    extra = problem(
        client.post(
            "/v1/objections", json={"record": "court.110105:D1", "grounds": "x", "status": "upheld"}, headers=me
        ),
        422,
        "invalid-input",
    )
    assert extra["field"] == "status"


def test_repair_applications_are_refused_with_the_earliest_date_or_sent_to_the_agency(
    client: TestClient, people: dict[str, int], me: dict[str, str]
) -> None:
    response = client.post("/v1/repairs", json={"record": "samr.110000:P1"}, headers=me)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["application"], body["status"], body["earliest"]) == ("R00000001", "refused", "2025-07-10")
    assert "3 months from the decision on 2025-04-10" in body["reason"]
    no_rule = client.post("/v1/repairs", json={"record": "court.110105:D1", "commitment": "我承诺"}, headers=me).json()
    assert no_rule["status"] == "refused"
    assert "not shown fulfilled" in no_rule["reason"]
    own = client.get("/v1/me", headers=me).json()
    assert [(a["application"], a["status"]) for a in own["repairs"]] == [
        ("R00000001", "refused"),
        ("R00000002", "refused"),
    ]


def test_the_access_log_shows_every_look_by_others_and_nothing_about_other_subjects(
    client: TestClient, make_key: MakeKey, people: dict[str, int], me: dict[str, str], services: Services
) -> None:
    airline = bearer(make_key("platform", name="airline", actions=["air_ticket"]))
    regulator = bearer(make_key("regulator", name="bj-regulator"))
    # The server built its index at start-up, before these records: bring it up to date now, not a poll later.
    publish(services.store, services.catalog, services.clock)
    services.screening.refresh(services.store)
    first = client.get(f"/v1/check?id={PERSON_ID}&action=air_ticket", headers=airline).json()
    assert first["allowed"] is False, first
    assert client.get(f"/v1/check?id={OTHER_ID}&action=air_ticket", headers=airline).json()["allowed"] is False
    batch = client.post("/v1/check/batch", json={"action": "air_ticket", "ids": [PERSON_ID, OTHER_ID]}, headers=airline)
    assert batch.status_code == 200
    for subject_id in (PERSON_ID, OTHER_ID):
        read = client.get(f"/v1/subjects/{subject_id}?purpose=inspection", headers=regulator)
        assert read.status_code == 200, read.text
    assert client.get("/v1/me", headers=me).status_code == 200  # one's own look is not listed
    services.audit_writer.flush()

    response = client.get("/v1/me/access-log", headers=me)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subject"] == "S00000001"
    # Checks are written in bulk behind the answer, so their order against the read is not fixed.
    looks = sorted(
        (e["who"], e["role"], e["action"], e["purpose"] or "", e["checked_action"] or "") for e in body["entries"]
    )
    assert looks == [
        ("airline", "platform", "check", "", "air_ticket"),
        ("airline", "platform", "check", "", "air_ticket"),
        ("bj-regulator", "regulator", "read", "inspection", ""),
    ]
    assert all(e["at"].startswith("2025-06-01T04:00:00") for e in body["entries"])
    assert client.get("/v1/me", headers=me).json()["access_log"] == body["entries"]
