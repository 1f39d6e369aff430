"""Fixtures for the HTTP service: services on the test's database, an app with generous limits, keys by role.

`starlette.testclient` warns that it prefers `httpx2` (not in the lock file); the warning is about the
test client's transport, not the service, so it is silenced for that one import.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

import api_sample_routes
from api_support import ROOMY, MakeClient, MakeKey
from fastapi import FastAPI

from xinyong import access
from xinyong.api.app import ROUTE_MODULES, create_app
from xinyong.api.middleware import ApiLimits
from xinyong.bootstrap import Services
from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.settings import Settings
from xinyong.store import Store

#: The test-only routes in a module of their own, as an area's routes would be.
SAMPLE_ROUTES = ModuleType("api_sample_routes_module")
SAMPLE_ROUTES.router = api_sample_routes.router  # type: ignore[attr-defined]


@pytest.fixture
def services(store: Store, tmp_path: Path, clock: FixedClock) -> Iterator[Services]:
    """Services on the test's database, with their own home folder and a fast audit writer."""
    settings = Settings(database_url=store.url, home=tmp_path / "home", audit_flush_ms=20)
    built = Services(settings=settings, clock=clock, catalog=default_catalog(), _store=store)
    yield built
    if "audit_writer" in vars(built):
        built.audit_writer.close()


@pytest.fixture
def make_key(services: Services) -> MakeKey:
    """A factory: `make_key("platform", actions=["air_ticket"])` returns a fresh key of that role."""
    counter = iter(range(1, 1_000_000))

    def make(role: str, *, name: str | None = None, **scopes: Any) -> str:
        if role in ("agency", "court"):
            scopes.setdefault("agency", "court.110105" if role == "court" else "samr.110000")
        if role == "platform":
            scopes.setdefault("actions", ["air_ticket"])
        if role == "regulator":
            scopes.setdefault("districts", ["110000"])
        if role == "subject":
            scopes.setdefault("subject", "11010519491231002X")
        spec = access.principal_spec(services.catalog, name=name or f"{role}-{next(counter)}", role=role, **scopes)
        return access.create_key(services.store, services.clock, spec).key

    return make


@pytest.fixture
def make_app(services: Services) -> Callable[..., FastAPI]:
    """A factory for the product app plus the test-only routes, with the given limits."""

    def make(limits: ApiLimits = ROOMY) -> FastAPI:
        return create_app(services, limits=limits, route_modules=(*ROUTE_MODULES, SAMPLE_ROUTES))

    return make


@pytest.fixture
def make_client(make_app: Callable[..., FastAPI]) -> Iterator[MakeClient]:
    """A factory for test clients (lifespan started), all closed at the end of the test."""
    clients: list[TestClient] = []

    def make(limits: ApiLimits = ROOMY, **options: Any) -> TestClient:
        client = TestClient(make_app(limits), **options)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    """A client of the app with roomy limits."""
    return make_client()
