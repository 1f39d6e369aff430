"""Feed uploads: only the key's own agency, the upload saved under XINYONG_HOME and handed to the ingest
service, its counts returned and audited; narrower record-type scopes are never widened."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_support import MakeKey, bearer, problem
from fastapi.testclient import TestClient

import xinyong.ingest
from xinyong.bootstrap import Services
from xinyong.ids import uscc
from xinyong.store import audit_rows

FEED = b"record_id,record_type\nR1,admin.penalty\n"


@dataclass(frozen=True)
class Summary:
    batch: int
    accepted: int
    rejected: int
    unchanged: int
    superseded: int


class FakeIngest:
    """Stands in for `xinyong.ingest.ingest_paths`; records what it was given and what the file held."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self,
        store: object,
        catalog: object,
        clock: object,
        paths: list[Path],
        agency: str,
        *,
        fmt: str | None = None,
        encoding: str | None = None,
        home: Path,
        allow_list: object = None,
    ) -> Summary:
        (path,) = paths
        self.calls.append(
            {
                "agency": agency,
                "fmt": fmt,
                "encoding": encoding,
                "path": path,
                "content": path.read_bytes(),
                "home": home,
            }
        )
        return Summary(batch=7, accepted=1, rejected=0, unchanged=0, superseded=0)


class ScopedIngest(FakeIngest):
    """An ingest service that enforces record-type scopes row by row."""

    def __call__(self, *args: Any, record_types: frozenset[str] | None = None, **kwargs: Any) -> Summary:
        summary = super().__call__(*args, **kwargs)
        self.calls[-1]["record_types"] = record_types
        return summary


@pytest.fixture
def ingest(monkeypatch: pytest.MonkeyPatch) -> FakeIngest:
    fake = FakeIngest()
    monkeypatch.setattr(xinyong.ingest, "ingest_paths", fake, raising=False)
    return fake


def _upload(client: TestClient, path_agency: str, key: str | None, **form: str) -> Any:
    headers = bearer(key) if key else {}
    files = {"file": ("黑名单 2024/../feed.csv", FEED, "text/csv")}
    return client.post(f"/v1/feeds/{path_agency}", files=files, data=form, headers=headers)


def test_agency_submits_its_own_feed(
    client: TestClient, make_key: MakeKey, ingest: FakeIngest, services: Services
) -> None:
    key = make_key("agency", agency="samr.110000", name="samr robot")
    response = _upload(client, "samr.110000", key, format="csv", encoding="utf-8")
    assert response.status_code == 200, response.text
    assert response.json() == {"batch": 7, "accepted": 1, "rejected": 0, "unchanged": 0, "superseded": 0}
    (call,) = ingest.calls
    assert call["agency"] == "samr.110000"
    assert (call["fmt"], call["encoding"]) == ("csv", "utf-8")
    assert call["content"] == FEED
    home = services.settings.home
    assert call["home"] == home
    # Saved under the home, with the agency's file name made safe, and gone once ingested.
    assert call["path"].is_relative_to(home / "uploads")
    assert call["path"].name == "feed.csv"
    assert not call["path"].exists()
    with services.store.connect() as conn:
        (upload,) = [row for row in audit_rows.read_range(conn) if row.action == "feed.upload"]
    assert (upload.actor, upload.role, upload.object) == ("samr robot", "agency", "batch:7")
    assert upload.detail["sha256"] == hashlib.sha256(FEED).hexdigest()
    assert upload.detail["bytes"] == len(FEED)


def test_an_agency_may_not_submit_for_another(client: TestClient, make_key: MakeKey, ingest: FakeIngest) -> None:
    key = make_key("agency", agency="samr.110000")
    body = problem(_upload(client, "tax.110000", key), 403, "forbidden")
    assert body["field"] == "agency"
    assert ingest.calls == []


def test_a_court_may_not_submit_for_an_agency(client: TestClient, make_key: MakeKey, ingest: FakeIngest) -> None:
    problem(_upload(client, "samr.110000", make_key("court")), 403, "forbidden")
    assert ingest.calls == []


@pytest.mark.parametrize("role", ["platform", "regulator", "operator", "subject", "public"])
def test_other_roles_may_not_submit(client: TestClient, make_key: MakeKey, ingest: FakeIngest, role: str) -> None:
    problem(_upload(client, "samr.110000", make_key(role)), 403, "forbidden")
    assert ingest.calls == []


def test_anonymous_upload_is_401(client: TestClient, ingest: FakeIngest) -> None:
    problem(_upload(client, "samr.110000", None), 401, "unauthenticated")
    assert ingest.calls == []


def test_form_fields_cannot_change_who_submits(client: TestClient, make_key: MakeKey, ingest: FakeIngest) -> None:
    key = make_key("agency", agency="samr.110000")
    response = _upload(client, "tax.110000", key, role="operator", agency="tax.110000")
    problem(response, 403, "forbidden")
    assert _upload(client, "samr.110000", key, role="court").status_code == 200
    assert [c["agency"] for c in ingest.calls] == ["samr.110000"]


def test_narrower_scopes_are_refused_when_ingest_cannot_enforce_them(
    client: TestClient, make_key: MakeKey, ingest: FakeIngest
) -> None:
    key = make_key("agency", agency="samr.110000", record_types=["admin.penalty"])
    body = problem(_upload(client, "samr.110000", key), 403, "forbidden")
    assert body["field"] == "record_type"
    assert ingest.calls == []


def test_narrower_scopes_are_passed_to_an_ingest_that_enforces_them(
    client: TestClient, make_key: MakeKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    scoped = ScopedIngest()
    monkeypatch.setattr(xinyong.ingest, "ingest_paths", scoped, raising=False)
    key = make_key("agency", agency="samr.110000", record_types=["admin.penalty"])
    assert _upload(client, "samr.110000", key).status_code == 200
    assert scoped.calls[0]["record_types"] == frozenset({"admin.penalty"})


def test_without_an_ingest_service_the_upload_is_503(
    client: TestClient, make_key: MakeKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xinyong.ingest, "ingest_paths", None, raising=False)
    problem(_upload(client, "samr.110000", make_key("agency")), 503, "unavailable")


def test_unknown_format_is_a_422_naming_it(client: TestClient, make_key: MakeKey, ingest: FakeIngest) -> None:
    body = problem(_upload(client, "samr.110000", make_key("agency"), format="doc"), 422, "invalid-input")
    assert body["field"] == "format"
    assert ingest.calls == []


def test_uploads_are_counted_in_metrics(client: TestClient, make_key: MakeKey, ingest: FakeIngest) -> None:
    _upload(client, "samr.110000", make_key("agency"))
    text = client.get("/metrics", headers=bearer(make_key("operator"))).text
    assert 'xinyong_ingest_rows_total{agency="samr.110000",outcome="accepted"} 1.0' in text


def test_a_real_feed_goes_through_the_ingest_service(client: TestClient, make_key: MakeKey, services: Services) -> None:
    rng = random.Random(6)
    header = "record_id,record_type,subject_kind,subject_name,subject_id,decided_on,severity,summary"
    lines = [
        f"MEE-{n},admin.penalty,org,某某化工有限公司{n},{uscc.generate(rng)},2024-0{n}-10,general,超标排放"
        for n in (1, 2)
    ]
    feed = ("\ufeff" + "\n".join([header, *lines]) + "\n").encode("utf-8")
    key = make_key("agency", agency="mee.110000")
    files = {"file": ("mee.110000.csv", feed, "text/csv")}
    first = client.post("/v1/feeds/mee.110000", files=files, headers=bearer(key))
    assert first.status_code == 200, first.text
    assert first.json() | {"batch": 0} == {"batch": 0, "accepted": 2, "rejected": 0, "unchanged": 0, "superseded": 0}
    again = client.post("/v1/feeds/mee.110000", files=files, headers=bearer(key))
    assert again.json()["unchanged"] == 2
    assert again.json()["batch"] != first.json()["batch"]
    with services.store.connect() as conn:
        uploads = [row.object for row in audit_rows.read_range(conn) if row.action == "feed.upload"]
    assert uploads == [f"batch:{first.json()['batch']}", f"batch:{again.json()['batch']}"]
    assert list((services.settings.home / "uploads").iterdir()) == []
