"""Fixtures for the portal: services on the test's database, the sample registry, a started test client of
the whole HTTP app (API and portal) with generous limits, and keys by role.

`starlette.testclient` warns that it prefers `httpx2` (not in the lock file); the warning is about the
test client's transport, not the portal, so it is silenced for that one import.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from portal_samples import MakeKey, Sample, build
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from xinyong import access
from xinyong.api.app import create_app
from xinyong.api.middleware import ApiLimits
from xinyong.bootstrap import Services
from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.settings import Settings
from xinyong.store import Store

#: Limits no test meets by accident.
ROOMY = ApiLimits(
    key_rate=10_000,
    key_burst=10_000,
    address_rate=10_000,
    address_burst=10_000,
    auth_failure_rate=10_000,
    auth_failure_burst=10_000,
    checkpoint_every_s=0,
    key_cache_s=0,
)


@pytest.fixture
def services(store: Store, tmp_path: Path, clock: FixedClock) -> Iterator[Services]:
    """Services on the test's database, with their own home folder."""
    settings = Settings(database_url=store.url, home=tmp_path / "home", audit_flush_ms=20)
    built = Services(settings=settings, clock=clock, catalog=default_catalog(), _store=store)
    yield built
    if "audit_writer" in vars(built):
        built.audit_writer.close()


@pytest.fixture
def sample(services: Services) -> Sample:
    """The sample registry, written and published."""
    return build(services.store, services.catalog, services.clock, services.settings.home)


@pytest.fixture
def make_key(services: Services) -> MakeKey:
    """`make_key("subject", subject=ID)` returns a fresh key of that role."""
    counter = iter(range(1, 1_000_000))

    def make(role: str, *, name: str | None = None, **scopes: Any) -> str:
        spec = access.principal_spec(services.catalog, name=name or f"{role}-{next(counter)}", role=role, **scopes)
        return access.create_key(services.store, services.clock, spec).key

    return make


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """A started client of the whole app; it keeps cookies like a browser."""
    with TestClient(create_app(services, limits=ROOMY)) as started:
        yield started
