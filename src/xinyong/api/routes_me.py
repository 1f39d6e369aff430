"""The subject's own routes: its full file (`GET /v1/me`), who looked at it (`GET /v1/me/access-log`), and
filing an objection (`POST /v1/objections`) or a repair application (`POST /v1/repairs`).

A subject key names one subject (its USCC or resident ID), so these routes take no subject in the path:
nobody can ask about anyone else through them. Objections and applications are about the caller's own
records only; another subject's record is not found.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from xinyong.access import Principal
from xinyong.api.auth import require, services_of
from xinyong.api.bodies import StrictBody
from xinyong.api.problems import problem_responses
from xinyong.api.routes_subjects import AccessOut, SubjectFileOut, json_response, own_file
from xinyong.due_process import Actor, objections, repairs, subject_files
from xinyong.due_process.lookup import TEXT_MAX, find_subject
from xinyong.due_process.repairs import COMMITMENT_MAX
from xinyong.errors import NotFound
from xinyong.store import Connection, SubjectRow

router = APIRouter(tags=["me"])

SUBJECTS = require(roles={"subject"})


class AccessLogOut(BaseModel):
    """Every read of the subject's file and every check of the subject by someone else, newest first."""

    subject: str
    entries: list[AccessOut]


class ObjectionIn(StrictBody):
    """An objection to one of the caller's records."""

    record: str = Field(max_length=200, description="AGENCY:RECORD_ID", examples=["court.110105:R1"])
    grounds: str = Field(min_length=1, max_length=TEXT_MAX, description="Why the record is wrong.")


class ObjectionFiled(BaseModel):
    """The objection's key, its status and the last day for the agency's decision."""

    objection: str
    status: Literal["open"]
    deadline: date


class RepairIn(StrictBody):
    """A repair application for one of the caller's records."""

    record: str = Field(max_length=200, description="AGENCY:RECORD_ID", examples=["samr.110000:P1"])
    commitment: str | None = Field(
        default=None, max_length=COMMITMENT_MAX, description="The credit-repair commitment letter."
    )


class RepairFiled(BaseModel):
    """Refused at once (with the rule and the earliest day it could succeed) or pending with the agency."""

    application: str
    status: Literal["refused", "pending"]
    reason: str
    earliest: date | None


def _me(conn: Connection, principal: Principal) -> SubjectRow:
    if principal.subject is None:
        raise NotFound("this key names no subject", field="subject")
    try:
        return find_subject(conn, principal.subject)
    except NotFound:
        raise NotFound("the registry holds no records about you", field="subject") from None


@router.get(
    "/v1/me",
    response_model=SubjectFileOut,
    responses=problem_responses(401, 403, 404),
    summary="One's own full file, what one was told, and who looked at it",
)
def me(request: Request, principal: Annotated[Principal, Depends(SUBJECTS)]) -> Response:
    services = services_of(request)
    now = services.clock.now()
    objections.escalate_due(services.store, now)
    with services.store.connect() as conn:
        doc = own_file(conn, request, _me(conn, principal), now)
    return json_response(doc)


@router.get(
    "/v1/me/access-log",
    response_model=AccessLogOut,
    responses=problem_responses(401, 403, 404),
    summary="Who read one's file or checked one, when, in which role and why",
)
def access_log(request: Request, principal: Annotated[Principal, Depends(SUBJECTS)]) -> Response:
    services = services_of(request)
    with services.store.connect() as conn:
        subject = _me(conn, principal)
        entries = subject_files.access_log(conn, subject)
    return json_response({"subject": subject.key, "entries": entries})


@router.post(
    "/v1/objections",
    status_code=201,
    response_model=ObjectionFiled,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Object to one of one's records; it is contested at once",
)
def file_objection(request: Request, body: ObjectionIn, principal: Annotated[Principal, Depends(SUBJECTS)]) -> Response:
    services = services_of(request)
    own = _own_id(principal)
    filed = objections.file(
        services.store,
        services.catalog,
        services.clock,
        subject=own,
        record=body.record,
        grounds=body.grounds,
        by=Actor(principal.name, principal.role),
    )
    return json_response({"objection": filed.key, "status": filed.status, "deadline": filed.deadline}, 201)


@router.post(
    "/v1/repairs",
    status_code=201,
    response_model=RepairFiled,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Apply for credit repair of one of one's records",
)
def apply_for_repair(request: Request, body: RepairIn, principal: Annotated[Principal, Depends(SUBJECTS)]) -> Response:
    services = services_of(request)
    own = _own_id(principal)
    filed = repairs.apply(
        services.store,
        services.catalog,
        services.clock,
        subject=own,
        record=body.record,
        commitment=body.commitment,
        by=Actor(principal.name, principal.role),
    )
    doc = {"application": filed.key, "status": filed.status, "reason": filed.reason, "earliest": filed.earliest}
    return json_response(doc, 201)


def _own_id(principal: Principal) -> str:
    if principal.subject is None:
        raise NotFound("this key names no subject", field="subject")
    return principal.subject
