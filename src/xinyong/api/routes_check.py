"""Screening over HTTP: one decision, a batch of decisions in the same order, and the change feed."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from xinyong.access import Principal
from xinyong.api.auth import ensure_action, require, services_of
from xinyong.api.metrics import metrics_of
from xinyong.api.problems import problem_responses
from xinyong.clock import CST, today
from xinyong.dates import parse_date
from xinyong.screening import audit_events, changes_for, check_in_store, feed_key

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


def _audit(request: Request, principal: Principal, action: str, day: date, results: list[Any]) -> None:
    services = services_of(request)
    services.audit_writer.submit_many(
        audit_events(
            actor=principal.name,
            role=principal.role,
            purpose=None,
            action=action,
            at=day,
            results=results,
            now=services.clock.now(),
        )
    )
    effects = Counter(getattr(r, "effect", "invalid") for r in results)
    for effect, n in effects.items():
        metrics_of(request).count_checks(action, effect, n)


@router.get(
    "/v1/check",
    response_model=DecisionOut,
    responses=problem_responses(401, 403, 422),
    summary="One decision: may this subject do this on that day, and if not, why",
)
def check(
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
        decision = services.screening.check(id, action, day)
    else:
        known = parse_date(known_at, "known_at")
        instant = datetime(known.year, known.month, known.day, 23, 59, 59, 999999, tzinfo=CST)
        decision = check_in_store(services.store, services.catalog, id, action, day, instant)
    _audit(request, principal, action, day, [decision])
    return Response(orjson.dumps(decision.as_dict()), media_type="application/json")


@router.post(
    "/v1/check/batch",
    response_model=BatchOut,
    responses=problem_responses(401, 403, 422),
    summary="Decisions for many IDs, in the same order; invalid IDs are reported per line",
)
def check_batch(request: Request, body: BatchIn, principal: Annotated[Principal, Depends(CHECKERS)]) -> Response:
    ensure_action(principal, body.action)
    services = services_of(request)
    day = body.at or today(services.clock)
    payload, results = services.screening.check_batch_json(body.ids, body.action, day)
    _audit(request, principal, body.action, day, results)
    return Response(payload, media_type="application/json")


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
    services = services_of(request)
    key = feed_key(services.settings.home)
    with services.store.connect() as conn:
        items, cursor = changes_for(conn, services.catalog, after, principal.scopes.actions, key=key, limit=limit)
    return FeedOut.model_validate({"items": [i.as_dict() for i in items], "next": cursor})
