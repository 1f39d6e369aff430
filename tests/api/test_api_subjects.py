"""`GET /v1/subjects/{id}` cut by role: the public portal's view (people masked, only what is public), a
subject's own file and nobody else's (BOLA), shared and full views with a stated purpose that is logged."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from api_support import MakeKey, bearer, problem
from fastapi.testclient import TestClient

from xinyong.audit.entries import AuditRow
from xinyong.bootstrap import Services
from xinyong.clock import CST
from xinyong.store import NewSubject, RecordData, audit_rows, records, subjects

pytestmark = pytest.mark.integration

PERSON_ID = "11010519491231002X"
PERSON_MASKED = "110105********002X"
OTHER_ID = "11010119900307299X"
UNKNOWN_ID = "440524188001010014"


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
    """张三 with a published defaulter record and a shared penalty; 李四 with a shared penalty only."""
    person = _subject(services, PERSON_ID, "张三")
    other = _subject(services, OTHER_ID, "李四")
    _record(services, "D1", "court.defaulter", person)
    _record(services, "P1", "admin.penalty", person, agency="samr.110000", valid_to=None, severity="general")
    _record(services, "P2", "admin.penalty", other, agency="samr.110000", valid_to=None, subject_name="李四")
    return {"person": person, "other": other}


def _reads(services: Services, object_: str) -> list[AuditRow]:
    with services.store.connect() as conn:
        return [row for row in audit_rows.for_object(conn, object_) if row.action == "read"]


def test_the_public_sees_the_portal_view_with_the_person_masked(client: TestClient, people: dict[str, int]) -> None:
    response = client.get(f"/v1/subjects/{PERSON_ID}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["view"], body["subject"]["id"], body["subject"]["key"]) == ("public", PERSON_MASKED, "S00000001")
    assert [r["record"] for r in body["records"]] == ["court.110105:D1"]
    assert "link" not in body["records"][0]
    assert "access_log" not in body
    assert [m["effect"] for m in body["measures"]]
    assert PERSON_ID not in response.text
    # Nothing of 李四 is public, so the portal does not know him.
    problem(client.get(f"/v1/subjects/{OTHER_ID}"), 404, "not-found")
    body = problem(client.get("/v1/subjects/110105194912310021"), 422, "invalid-input")
    assert body["field"] == "id"


@pytest.mark.parametrize("role", ["platform", "public"])
def test_platform_and_public_keys_get_the_public_view(
    client: TestClient, make_key: MakeKey, people: dict[str, int], role: str
) -> None:
    body = client.get(f"/v1/subjects/{PERSON_ID}", headers=bearer(make_key(role))).json()
    assert (body["view"], body["subject"]["id"]) == ("public", PERSON_MASKED)
    problem(client.get(f"/v1/subjects/{PERSON_ID}?view=shared", headers=bearer(make_key(role))), 403, "forbidden")


def test_a_subject_reads_its_own_full_file_by_id_or_key(
    client: TestClient, make_key: MakeKey, people: dict[str, int], services: Services
) -> None:
    key = make_key("subject", subject=PERSON_ID)
    for path in (PERSON_ID, "S00000001", PERSON_ID.lower()):
        response = client.get(f"/v1/subjects/{path}", headers=bearer(key))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["view"], body["subject"]["id"]) == ("full", PERSON_ID)
        assert {r["record"] for r in body["records"]} == {"court.110105:D1", "samr.110000:P1"}
        assert body["access_log"] == []
        assert body["notifications"] == []
    assert _reads(services, f"subject:{PERSON_ID}") == []  # one's own reads are not someone else's look


def test_a_subject_key_reading_another_file_is_403_known_or_not(
    client: TestClient, make_key: MakeKey, people: dict[str, int]
) -> None:
    key = make_key("subject", subject=PERSON_ID)
    for path in (OTHER_ID, UNKNOWN_ID, "S00000002", "S00000099", "not-an-id"):
        body = problem(client.get(f"/v1/subjects/{path}", headers=bearer(key)), 403, "forbidden")
        assert body["detail"] == "id: a subject key may read only its own file"


@pytest.mark.parametrize("role", ["regulator", "agency", "court"])
def test_agencies_courts_and_regulators_state_a_purpose_that_is_logged(
    client: TestClient, make_key: MakeKey, people: dict[str, int], services: Services, role: str
) -> None:
    key = make_key(role, name=f"{role}-reader")
    body = problem(client.get(f"/v1/subjects/{PERSON_ID}", headers=bearer(key)), 422, "invalid-input")
    assert body["field"] == "purpose"
    assert _reads(services, f"subject:{PERSON_ID}") == []
    response = client.get(f"/v1/subjects/{PERSON_ID}", headers=bearer(key) | {"X-Purpose": "case%20%E6%A1%88%207"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["view"], body["subject"]["id"]) == ("shared", PERSON_MASKED)
    assert {r["record"] for r in body["records"]} == {"court.110105:D1", "samr.110000:P1"}
    assert "objections" not in body
    assert "access_log" not in body
    (read,) = _reads(services, f"subject:{PERSON_ID}")
    assert (read.actor, read.role, read.purpose, read.detail["view"]) == (f"{role}-reader", role, "case 案 7", "shared")
    problem(client.get(f"/v1/subjects/{PERSON_ID}?view=full&purpose=x", headers=bearer(key)), 403, "forbidden")
    narrower = client.get(f"/v1/subjects/{PERSON_ID}?view=public", headers=bearer(key))
    assert narrower.json()["view"] == "public"
    assert len(_reads(services, f"subject:{PERSON_ID}")) == 1  # the public view needs no purpose and no log


def test_the_operator_reads_the_full_file_with_a_purpose(
    client: TestClient, make_key: MakeKey, people: dict[str, int], services: Services
) -> None:
    key = make_key("operator")
    response = client.get("/v1/subjects/S00000002?purpose=complaint&history=true", headers=bearer(key))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["view"], body["subject"]["id"], body["objections"]) == ("full", OTHER_ID, [])
    assert body["records"][0]["history"] == []
    (read,) = _reads(services, f"subject:{OTHER_ID}")
    assert (read.role, read.purpose) == ("operator", "complaint")
    assert read.at == services.clock.now().astimezone(CST)
