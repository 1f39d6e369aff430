"""The HTTP service: `create_app(services)` wires the routes, the error shape and the middlewares.

Route modules are one per area (`routes_<area>.py`), each exposing `router: APIRouter`; add a module to
`ROUTE_MODULES` and its routes are served. A route declares who may call it with
`Depends(require(roles=...))` (see `xinyong.api.auth`), answers errors by raising `XinyongError`, and
gets the services from `request.app.state.services` (`auth.services_of(request)`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from importlib import import_module
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

from xinyong import __version__
from xinyong.api import (
    problems,
    routes_check,
    routes_feeds,
    routes_me,
    routes_ratings,
    routes_subjects,
    routes_system,
)
from xinyong.api.auth import KeyCache
from xinyong.api.metrics import Metrics
from xinyong.api.middleware import ApiLimits, BodyLimit, RateLimit, RequestContext, Timeout, configure_logging
from xinyong.bootstrap import Services, build

#: Every area's routes, in the order they are matched.
ROUTE_MODULES: tuple[ModuleType, ...] = (
    routes_system,
    routes_feeds,
    routes_check,
    routes_ratings,
    routes_subjects,
    routes_me,
)

#: Problems any route may answer with, whatever it does: too large, too many, too slow, a bug.
COMMON_PROBLEMS = (413, 429, 500, 503)

DESCRIPTION = """\
The registry's HTTP API. Send `Authorization: Bearer <api key>`; each key belongs to a principal with a
role and scopes. Errors are `application/problem+json` (RFC 9457) with a stable `type`. Reads of
non-public data need a stated purpose (`X-Purpose` header or `purpose` query), which is logged.
"""


class XinyongAPI(FastAPI):
    """FastAPI whose OpenAPI document lists error responses as `application/problem+json`."""

    def openapi(self) -> dict[str, Any]:
        return problems.document(super().openapi())


def create_app(
    services: Services,
    *,
    limits: ApiLimits | None = None,
    route_modules: Iterable[ModuleType] = ROUTE_MODULES,
) -> FastAPI:
    """The service for these services; nothing is opened until the first request needs it."""
    limits = limits or ApiLimits()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Build the screening index before the first request and keep it current from the store.
        await run_in_threadpool(lambda: services.follower)
        # The index is millions of long-lived objects; left to the cyclic garbage collector, each of its full
        # passes walks them all while requests wait (the slowest answers at a steady rate). Frozen, they are
        # skipped; what a refresh replaces later is collected as usual.
        gc.freeze()
        yield
        await run_in_threadpool(services.follower.stop)
        # Write what screening queued before the process goes (only if a writer was ever made); a later
        # app on the same services gets a fresh writer.
        writer = vars(services).pop("audit_writer", None)
        if writer is not None:
            await run_in_threadpool(writer.close)

    app = XinyongAPI(
        title="xinyong",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
    )
    metrics = Metrics()
    metrics.watch_audit_pending(lambda: services.audit_writer.pending if "audit_writer" in vars(services) else 0)
    app.state.services = services
    app.state.metrics = metrics
    app.state.limits = limits
    app.state.checkpoint_lock = threading.Lock()
    app.state.key_cache = KeyCache(limits.key_cache_s)
    problems.install(app)
    for module in route_modules:
        router = module.router
        if not isinstance(router, APIRouter):
            raise TypeError(f"{module.__name__}.router is not an APIRouter")
        app.include_router(router, responses=problems.problem_responses(*COMMON_PROBLEMS))
    # The portal's HTML pages (outside the OpenAPI document); named, as entry points do not import each other.
    app.include_router(import_module("xinyong.portal.routes").router)
    # Added innermost first: a request meets RequestContext, RateLimit, BodyLimit, then Timeout.
    app.add_middleware(Timeout, limits=limits)
    app.add_middleware(BodyLimit, limits=limits)
    app.add_middleware(RateLimit, limits=limits, metrics=metrics)
    app.add_middleware(RequestContext, metrics=metrics)
    return app


def serve_app() -> FastAPI:
    """The app for `xinyong serve` (a uvicorn factory): services from the environment, JSON logs on."""
    services = build()
    services.store.check()
    configure_logging(services.settings.log_level)
    return create_app(services)
