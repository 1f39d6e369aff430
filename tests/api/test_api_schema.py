"""Schemathesis drives the service from its own OpenAPI document: for every operation, generated requests
with an operator key must never get a 5xx, and every answer must match the documented status, content
type, headers and schema."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from xinyong import access
from xinyong.api.app import create_app
from xinyong.api.middleware import ApiLimits
from xinyong.bootstrap import Services
from xinyong.catalog import default_catalog
from xinyong.clock import CST, FixedClock
from xinyong.settings import Settings
from xinyong.store import Store

pytestmark = pytest.mark.integration

#: Generated requests per operation; enough to find a 5xx or a schema mismatch, small enough for CI.
MAX_EXAMPLES = 25

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, str]]:
    """The product app's services on a SQLite database of its own, and an operator key."""
    folder: Path = tmp_path_factory.mktemp("schema")
    store = Store(f"sqlite:///{folder / 'x.db'}")
    store.init()
    services = Services(
        settings=Settings(database_url=store.url, home=folder / "home"),
        clock=FixedClock(datetime(2025, 6, 1, 12, 0, tzinfo=CST)),
        catalog=default_catalog(),
        _store=store,
    )
    spec = access.principal_spec(services.catalog, name="operator", role="operator")
    key = access.create_key(services.store, services.clock, spec).key
    yield services, key
    store.dispose()


def test_no_server_errors_and_every_answer_matches_the_schema(served: tuple[Services, str]) -> None:
    services, key = served
    # Limits out of the way, or most answers would be 429s and prove nothing about the routes.
    limits = ApiLimits(key_burst=10**6, address_burst=10**6, auth_failure_burst=10**6, checkpoint_every_s=0)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(services, limits=limits))
    headers = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/healthz", "/metrics", "/v1/feeds/{agency}", "/v1/audit/checkpoint"}
    answered: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        # Schemathesis's pytest plugin does not run under pytest 9, so each operation gets its own
        # Hypothesis test here; a failure names the operation and the smallest request that broke it.
        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def generated(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            answered[(case.path, response.status_code)] += 1

        generated()
    assert answered[("/metrics", 200)] > 0
    assert answered[("/v1/audit/checkpoint", 200)] > 0
    assert not any(status == 429 for _, status in answered)
