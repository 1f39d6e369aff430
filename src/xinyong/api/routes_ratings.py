"""Ratings over HTTP: `GET /v1/ratings/{uscc}`, the full rating for regulators, the public part for all.

A regulator whose districts cover the organisation's registration division (and the operator) sees the
score and the points behind each reason, and states a purpose that is logged with the read; everyone
else, a regulator outside its districts included, sees the public part: grade, model, reasons' labels.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel

from xinyong import access
from xinyong.access import Principal
from xinyong.api.auth import require, services_of
from xinyong.api.problems import problem_responses
from xinyong.rating.lookup import RatingView, latest_view
from xinyong.store.schema_access import ROLES

router = APIRouter(tags=["ratings"])

ANYONE = require(roles=set(ROLES))


class RatingReason(BaseModel):
    """Why the grade is what it is; `kind` and `points` (the signed effect on the score) only in full."""

    code: str
    label_zh: str
    label_en: str
    kind: str | None = None
    points: float | None = None


class RatingOut(BaseModel):
    """An organisation's latest rating; `score` (higher is safer) and `rated_at` only in the full view."""

    uscc: str
    subject: str
    name: str
    grade: str
    grade_label_zh: str | None
    grade_label_en: str | None
    model: str
    version: str
    as_of: date
    view: Literal["full", "public"]
    reasons: list[RatingReason]
    score: float | None = None
    rated_at: datetime | None = None


@router.get(
    "/v1/ratings/{uscc}",
    response_model=RatingOut,
    response_model_exclude_none=True,
    responses=problem_responses(401, 404, 422, 429, 503),
)
def get_rating(
    request: Request,
    uscc: Annotated[str, PathParam(max_length=64, description="The organisation's USCC.")],
    principal: Annotated[Principal, Depends(ANYONE)],
    x_purpose: Annotated[
        str | None, Header(alias="X-Purpose", max_length=256, description="Why (full view; logged).")
    ] = None,
    purpose: Annotated[str | None, Query(max_length=256, description="Why (or header X-Purpose).")] = None,
) -> RatingOut:
    """The latest rating of a legal entity: full for a regulator covering it, else the public part."""
    services = services_of(request)
    view = latest_view(services.store, services.catalog, uscc)
    full = _sees_full(principal, view)
    if full:
        stated = access.stated_purpose(x_purpose if x_purpose is not None else purpose)
        with services.store.unit_of_work() as conn:
            access.log_read(
                conn,
                principal,
                f"rating:{view.subject_key}",
                stated,
                at=services.clock.now(),
                detail={"uscc": view.uscc, "model": view.rating.model_code, "version": view.rating.model_version},
            )
    return RatingOut.model_validate(view.as_dict(full=full))


def _sees_full(principal: Principal, view: RatingView) -> bool:
    if principal.role == "operator":
        return True
    return principal.role == "regulator" and principal.covers_district(view.division)
