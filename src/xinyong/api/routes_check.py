"""Screening over HTTP: one decision, a batch of decisions in the same order, and the change feed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from xinyong.access import Principal
from xinyong.api.auth import bearer, current_principal, ensure_action, require, services_of
from xinyong.api.metrics import metrics_of
from xinyong.api.problems import problem_responses
from xinyong.clock import CST, today
from xinyong.dates import parse_date
from xinyong.domain.decisions import Decision
from xinyong.screening import (
    CLEAR_IDS,
    BatchTally,
    audit_events,
    changes_for,
    check_in_store,
    feed_key,
    read_event,
    request_event,
)

router = APIRouter(tags=["screening"])

CHECKERS = require(roles={"platform", "agency", "court"}, action_scope=True)
PLATFORMS = require(roles={"platform"})
MAX_BATCH = 10_000


class Via(BaseModel):
    role: str
    of: str


class ReasonOut(BaseModel):
    """One measure that applies, with its list, record, agency, decision number, law and dates."""

    measure: str
    list: str
    effect: str
    record: str
    agency: str
    decision_no: str | None
    legal_basis: str
    valid_from: date
    valid_to: date | None
    via: Via | None


class SubjectOut(BaseModel):
    kind: str
    id: str | None
    name: str


class DecisionOut(BaseModel):
    """CONTRACT §4: `allowed` is false only for `deny`; `subject` is null when no measure reaches the ID."""

    subject: SubjectOut | None
    action: str
    at: date
    allowed: bool
    effect: str
    reasons: list[ReasonOut]


class BatchLine(BaseModel):
    """A decision for one ID of the batch, or `error` naming why the ID is not valid."""

    id: str
    subject: SubjectOut | None = None
    action: str | None = None
    at: date | None = None
    allowed: bool | None = None
    effect: str | None = None
    reasons: list[ReasonOut] | None = None
    error: str | None = None
    field: str | None = None


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(max_length=64, examples=["air_ticket"])
    ids: list[Annotated[str, Field(max_length=64)]] = Field(max_length=MAX_BATCH)
    at: date | None = None


class BatchOut(BaseModel):
    decisions: list[BatchLine]


class FeedItemOut(BaseModel):
    seq: int
    event: str
    subject: str
    subject_kind: str
    measure: str
    list: str
    effect: str
    actions: tuple[str, ...]
    record: str
    agency: str
    decision_no: str | None
    legal_basis: str
    valid_from: date
    valid_to: date | None
    via: Via | None


class FeedOut(BaseModel):
    """Items after the cursor, in order; pass `next` as `after` to continue."""

    items: tuple[FeedItemOut, ...]
    next: int


def _day(raw: str | None, request: Request, field: str) -> date:
    return parse_date(raw, field) if raw else today(services_of(request).clock)


def _audit_single(request: Request, principal: Principal, action: str, day: date, decision: Decision) -> None:
    services = services_of(request)
    services.audit_writer.submit_many(
        audit_events(
            actor=principal.name,
            role=principal.role,
            purpose=None,
            action=action,
            at=day,
            results=[decision],
            now=services.clock.now(),
        )
    )
    metrics_of(request).count_checks(action, decision.effect)


def _audit_batch(request: Request, principal: Principal, action: str, day: date, tally: BatchTally) -> None:
    services = services_of(request)
    event = request_event(
        actor=principal.name,
        role=principal.role,
        purpose=None,
        action=action,
        at=day,
        tally=tally,
        now=services.clock.now(),
    )
    services.audit_writer.submit(event)
    counts = Counter(tally.effects)
    counts["allow"] += tally.ids - tally.invalid - len(tally.effects)  # nobody on file: allowed
    counts["invalid"] += tally.invalid
    metrics = metrics_of(request)
    for effect, n in counts.items():
        if n:
            metrics.count_checks(action, effect, n)


# The check routes are `async`: an answer from the index is a few dictionary look-ups, cheaper than the hop
# to a worker thread a plain `def` route costs; only `known_at` (a read of the store) goes to a thread.


async def check(
    request: Request,
    principal: Annotated[Principal, Depends(CHECKERS)],
    id: Annotated[str, Query(max_length=64, description="USCC or resident ID")],
    action: Annotated[str, Query(max_length=64)],
    at: Annotated[str | None, Query(max_length=32, description="Day (CST); default today")] = None,
    known_at: Annotated[
        str | None, Query(max_length=32, description="Answer as the registry knew it at the end of this day")
    ] = None,
) -> Response:
    services = services_of(request)
    day = _day(at, request, "at")
    if known_at is None:
        payload, decision = services.screening.check_json(id, action, day)
    else:
        known = parse_date(known_at, "known_at")
        instant = datetime(known.year, known.month, known.day, 23, 59, 59, 999999, tzinfo=CST)
        decision = await run_in_threadpool(check_in_store, services.store, services.catalog, id, action, day, instant)
        payload = orjson.dumps(decision.as_dict())
    _audit_single(request, principal, action, day, decision)
    return Response(payload, media_type="application/json")


async def check_batch(request: Request, body: BatchIn, principal: Annotated[Principal, Depends(CHECKERS)]) -> Response:
    ensure_action(principal, body.action)
    services = services_of(request)
    day = body.at or today(services.clock)
    payload, tally = services.screening.check_batch_json(body.ids, body.action, day)
    _audit_batch(request, principal, body.action, day, tally)
    return Response(payload, media_type="application/json")


class QuickRoute(APIRoute):
    """A route as documented, minus FastAPI's per-request dependency solving for the plain requests `quick`
    recognises: those get the same key, role and scope checks (the callables the route depends on) and the
    same route function, called directly. Anything else (a missing, malformed or over-long parameter, an
    appeal) goes to the documented route, so validation errors and their shape are FastAPI's as elsewhere."""

    async def quick(self, request: Request) -> Response | None:
        raise NotImplementedError

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        documented = super().get_route_handler()

        async def handler(request: Request) -> Response:
            answer = await self.quick(request)
            return answer if answer is not None else await documented(request)

        return handler


async def _checker(request: Request) -> Principal:
    return await CHECKERS(request, await current_principal(request, await bearer(request)))


class QuickCheck(QuickRoute):
    async def quick(self, request: Request) -> Response | None:
        query = request.query_params
        raw_id, action, at = query.get("id"), query.get("action"), query.get("at")
        if raw_id is None or action is None or "known_at" in query:
            return None
        if len(raw_id) > 64 or len(action) > 64 or (at is not None and len(at) > 32):
            return None
        return await check(request, await _checker(request), raw_id, action, at)


class QuickBatch(QuickRoute):
    async def quick(self, request: Request) -> Response | None:
        if request.headers.get("content-type") != "application/json":
            return None
        try:
            body = BatchIn.model_validate_json(await request.body())
        except ValidationError:
            return None
        return await check_batch(request, body, await _checker(request))


router.add_api_route(
    "/v1/check",
    check,
    methods=["GET"],
    response_model=DecisionOut,
    responses=problem_responses(401, 403, 422),
    summary="One decision: may this subject do this on that day, and if not, why",
    route_class_override=QuickCheck,
)
router.add_api_route(
    "/v1/check/batch",
    check_batch,
    methods=["POST"],
    response_model=BatchOut,
    responses=problem_responses(401, 403, 422),
    summary="Decisions for many IDs, in the same order; invalid IDs are reported per line",
    route_class_override=QuickBatch,
)


@router.get(
    "/v1/changes",
    response_model=FeedOut,
    responses=problem_responses(401, 403, 422),
    summary="Starts, changes and removals of the measures this platform enforces, after a cursor",
)
def changes(
    request: Request,
    principal: Annotated[Principal, Depends(PLATFORMS)],
    after: Annotated[int, Query(ge=0, le=2**53 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> FeedOut:
    """Identifiers come as keyed hashes, or in the clear for a key granted `feed:clear-ids`; every page with
    items is audited, and a page in the clear shows in the access log of each subject it names."""
    services = services_of(request)
    key = feed_key(services.settings.home)
    clear = principal.has_grant(CLEAR_IDS)
    with services.store.connect() as conn:
        items, cursor = changes_for(
            conn, services.catalog, after, principal.scopes.actions, key=key, clear_ids=clear, limit=limit
        )
    if items:
        services.audit_writer.submit(
            read_event(
                actor=principal.name,
                role=principal.role,
                after=after,
                cursor=cursor,
                items=items,
                clear_ids=clear,
                now=services.clock.now(),
            )
        )
    return FeedOut.model_validate({"items": [i.as_dict() for i in items], "next": cursor})
