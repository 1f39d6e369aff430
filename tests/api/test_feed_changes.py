"""`GET /v1/changes`: identifiers as keyed hashes unless the platform's key is granted `feed:clear-ids`;
every page with items audited, and a page in the clear shown in the access log of each subject it names."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from api_support import MakeKey, bearer, problem
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from xinyong import access
from xinyong.audit import AuditRow
from xinyong.bootstrap import Services
from xinyong.cli.app import app
from xinyong.errors import InvalidInput
from xinyong.screening import publish
from xinyong.screening.feed import feed_key, hashed_id
from xinyong.store import NewSubject, RecordData, Store, audit_rows, records, subjects

pytestmark = pytest.mark.integration

PERSON_ID = "11010519491231002X"
OTHER_ID = "11010119900307299X"


@pytest.fixture
def listed(services: Services) -> Services:
    """Two defaulters, published to the feed."""
    for n, (id_value, name) in enumerate(((PERSON_ID, "张三"), (OTHER_ID, "李四"))):
        with services.store.unit_of_work() as conn:
            row = subjects.create(
                conn,
                NewSubject(kind="person", name=name, name_norm=name, id_kind="resident_id", id_value=id_value),
                at=services.clock.now(),
            )
            data = RecordData(
                agency="court.110105",
                record_id=f"D{n}",
                record_type="court.defaulter",
                subject_kind="person",
                subject_name=name,
                subject_pk=row.pk,
                link="id",
                decided_on=date(2025, 1, 2),
                row_hash=f"h-{n}",
            )
            records.insert_version(conn, data, recorded_at=services.clock.now())
    publish(services.store, services.catalog, services.clock)
    return services


def _reads(services: Services) -> list[AuditRow]:
    services.audit_writer.flush()
    with services.store.connect() as conn:
        return [r for r in audit_rows.read_range(conn) if r.action == "feed.read"]


def _looks(services: Services, subject_id: str) -> list[audit_rows.Access]:
    with services.store.connect() as conn:
        return audit_rows.accesses(conn, {f"subject:{subject_id}"}, {"read", "check"})


def test_without_the_grant_identifiers_are_hashed(client: TestClient, listed: Services, make_key: MakeKey) -> None:
    airline = bearer(make_key("platform", name="airline", actions=["air_ticket"]))
    body = client.get("/v1/changes?after=0", headers=airline).json()
    key = feed_key(listed.settings.home)
    assert {item["subject"] for item in body["items"]} == {hashed_id(key, PERSON_ID), hashed_id(key, OTHER_ID)}
    assert PERSON_ID not in json.dumps(body)
    [read] = _reads(listed)
    assert (read.actor, read.object, read.purpose) == ("airline", "feed:changes", "change feed")
    assert read.detail == {"after": 0, "next": body["next"], "items": len(body["items"]), "clear_ids": False}
    assert _looks(listed, PERSON_ID) == []  # a hashed page names nobody to the platform


def test_with_the_grant_identifiers_are_clear_and_each_subject_sees_the_read(
    client: TestClient, listed: Services, make_key: MakeKey
) -> None:
    airline = bearer(make_key("platform", name="airline", actions=["air_ticket"], grants=["feed:clear-ids"]))
    body = client.get("/v1/changes?after=0", headers=airline).json()
    assert {item["subject"] for item in body["items"]} == {PERSON_ID, OTHER_ID}
    empty = client.get(f"/v1/changes?after={body['next']}", headers=airline).json()
    assert empty["items"] == []
    [read] = _reads(listed)  # the empty page named nobody and is not logged
    assert read.detail["clear_ids"] is True
    assert sorted(read.detail["concerns"]["objects"]) == [f"subject:{OTHER_ID}", f"subject:{PERSON_ID}"]
    for subject_id in (PERSON_ID, OTHER_ID):
        [look] = _looks(listed, subject_id)
        assert (look.seq, look.action, look.actor, look.purpose) == (read.seq, "read", "airline", "change feed")
    me = bearer(make_key("subject", name="zhangsan", subject=PERSON_ID))
    log = client.get("/v1/me/access-log", headers=me).json()["entries"]
    assert [(e["who"], e["action"], e["purpose"]) for e in log] == [("airline", "read", "change feed")]


def test_only_platforms_read_the_feed(client: TestClient, listed: Services, make_key: MakeKey) -> None:
    problem(client.get("/v1/changes"), 401, "unauthenticated")
    problem(client.get("/v1/changes", headers=bearer(make_key("regulator", name="bj"))), 403, "forbidden")


@pytest.mark.parametrize(
    ("role", "grant", "reason"),
    [("platform", "feed:everything", "not a grant"), ("regulator", "feed:clear-ids", "cannot hold")],
)
def test_grants_are_checked_when_a_key_is_made(services: Services, role: str, grant: str, reason: str) -> None:
    scopes = {"actions": ["air_ticket"]} if role == "platform" else {"districts": ["110000"]}
    with pytest.raises(InvalidInput, match=reason) as caught:
        access.principal_spec(services.catalog, name="x", role=role, grants=[grant], **scopes)  # type: ignore[arg-type]
    assert caught.value.field == "grants"


def test_keys_create_grants_clear_ids(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path))
    args = ["keys", "create", "--role", "platform", "--name", "airline", "--actions", "air_ticket"]
    made = CliRunner().invoke(app, [*args, "--grants", "feed:clear-ids", "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["scopes"]["grants"] == ["feed:clear-ids"]
    plain = CliRunner().invoke(
        app, ["keys", "create", "--role", "platform", "--name", "bus", "--actions", "air_ticket", "--json"]
    )
    assert "grants" not in json.loads(plain.stdout)["scopes"]
