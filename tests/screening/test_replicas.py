"""Horizontal screening: two replicas of the HTTP service, each with its own services, store connections,
index and follower thread, over one database; a listing ingested through a third party reaches both
within the documented delay (one `XINYONG_INDEX_POLL_MS` round plus publishing), and both then answer
the same decision, as does a replica started afresh from the store."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from xinyong import access
from xinyong.api.app import create_app
from xinyong.bootstrap import Services
from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.ingest import ingest_paths
from xinyong.settings import Settings
from xinyong.store import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

CAT = default_catalog()
ORG_ID = "91350500676532779B"
ACTION = "gov_procurement_bid"  # denied to subjects on procurement_debarred (Government Procurement Law art. 77)
DAY = "2025-06-01"
POLL_MS = 50
#: A bound for the wait, not a performance claim: the machine running the tests may be very busy.
TIMEOUT_S = 60.0

FEED = (
    "record_id,record_type,subject_kind,subject_name,subject_id,decided_on,decision_no,legal_basis\n"
    f"P-1,procurement.debarment,org,某某科技有限公司,{ORG_ID},2025-05-20,京财采处〔2025〕1号,\n"
)


def _services(url: str, home: Path, clock: FixedClock) -> Services:
    """One replica's services: its own Store (engine and pool), index and follower, as a process would have."""
    settings = Settings(database_url=url, home=home, index_poll_ms=POLL_MS, audit_flush_ms=20)
    return Services(settings=settings, clock=clock, catalog=CAT)


@pytest.fixture
def replicas(store: Store, tmp_path: Path, clock: FixedClock) -> Iterator[tuple[list[TestClient], str]]:
    """Two started apps on the test's database (each lifespan builds its index and starts its follower)
    and a platform key allowed to check the action."""
    spec = access.principal_spec(CAT, name="platform-1", role="platform", actions=[ACTION])
    key = access.create_key(store, clock, spec).key
    with ExitStack() as stack:
        clients = []
        for name in ("a", "b"):
            services = _services(store.url, tmp_path / name, clock)
            stack.callback(services.close)
            clients.append(stack.enter_context(TestClient(create_app(services))))
        yield clients, key


def _check(client: TestClient, key: str) -> dict[str, Any]:
    response = client.get(
        "/v1/check", params={"id": ORG_ID, "action": ACTION, "at": DAY}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _wait_for(client: TestClient, key: str, effect: str, since: float) -> tuple[dict[str, Any], float]:
    """Ask every 10 ms until the replica answers `effect`; returns the answer and how long it took."""
    while True:
        body = _check(client, key)
        waited = time.monotonic() - since
        if body["effect"] == effect:
            return body, waited
        if waited > TIMEOUT_S:
            pytest.fail(f"replica still answers {body['effect']!r} {waited:.1f}s after the change")
        time.sleep(0.01)


def test_two_replicas_see_a_new_listing_and_answer_alike(
    replicas: tuple[list[TestClient], str], store: Store, clock: FixedClock, tmp_path: Path
) -> None:
    clients, key = replicas
    assert [_check(client, key)["effect"] for client in clients] == ["allow", "allow"]

    feed = tmp_path / "debarment.csv"
    feed.write_text(FEED, encoding="utf-8")
    changed = time.monotonic()
    summary = ingest_paths(store, CAT, clock, [feed], "procurement.110000", fmt="csv", home=tmp_path / "writer")
    assert summary.accepted == 1

    answers = [_wait_for(client, key, "deny", changed) for client in clients]
    (first, waited_a), (second, waited_b) = answers
    print(f"replicas saw the listing {waited_a:.3f}s and {waited_b:.3f}s after ingestion began (poll {POLL_MS} ms)")
    assert first == second
    assert first["allowed"] is False
    assert [(r["list"], r["agency"], r["record"]) for r in first["reasons"]] == [
        ("procurement_debarred", "procurement.110000", "procurement.110000:P-1")
    ]
    # Nothing but the store is needed for the answer: a replica started now gives the same one.
    fresh = _services(store.url, tmp_path / "c", clock)
    try:
        with TestClient(create_app(fresh)) as client:
            assert _check(client, key) == first
    finally:
        fresh.close()
