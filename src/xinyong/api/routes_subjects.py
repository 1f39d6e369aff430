"""`GET /v1/subjects/{id}`: a subject's file, cut to what the caller's role may see.

The public (no key, or a public or platform key) gets the portal's view: only what the catalog marks
public, people's identifiers masked. A subject key reads only its own file (403 for anyone else's, whether
or not they exist), in full, with who looked at it. Agencies, courts and regulators get the shared view and
the operator the full one; both state a purpose (`X-Purpose` or `?purpose=`), which is logged with the read
and shows in the subject's access log. Any caller may ask for a narrower view with `?view=`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import unquote

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel

from xinyong import access
from xinyong.access import Principal
from xinyong.api.auth import require, services_of
from xinyong.api.problems import problem_responses
from xinyong.clock import cst_day
from xinyong.due_process import View, objections, subject_files
from xinyong.due_process.disclosure import narrower, widest_view
from xinyong.due_process.lookup import find_subject, subject_object
from xinyong.errors import Forbidden, InvalidInput, NotFound
from xinyong.store import Connection, SubjectRow
from xinyong.store.schema_access import ROLES

router = APIRouter(tags=["subjects"])

ANYONE = require(roles=set(ROLES))


class Identity(BaseModel):
    """Who the file is about; a person's number is masked outside the full view."""

    key: str
    kind: str
    id_kind: str | None
    id: str | None
    name: str


class Match(BaseModel):
    """Why linkage put a `model`-linked record with this subject."""

    run: str
    probability: float
    match_weight: float
    levels: dict[str, Any]


class PastVersion(BaseModel):
    """A superseded version of a record (with `?history=true`)."""

    version: int
    recorded_at: datetime
    superseded_at: datetime | None
    status: str
    decided_on: date
    valid_from: date | None
    valid_to: date | None
    decision_no: str | None
    severity: str | None
    amount: str | None
    summary: str | None
    cause: str | None


class RecordOut(BaseModel):
    """One record's current version: agency, decision, law, disclosure level and whether it is contested.

    Link, probability, match explanation, version and objection are absent from the public view.
    """

    record: str
    agency: str
    agency_name_zh: str | None = None
    agency_name_en: str | None = None
    record_id: str | None = None
    record_type: str
    label_zh: str | None = None
    label_en: str | None = None
    decided_on: date
    valid_from: date | None = None
    valid_to: date | None = None
    decision_no: str | None = None
    legal_basis: str | None = None
    severity: str | None = None
    status: str
    amount: str | None = None
    summary: str | None = None
    legal_rep_name: str | None = None
    disclosure: str
    public: bool | None = None
    public_until: date | None = None
    contested: bool
    link: str | None = None
    probability: float | None = None
    match: Match | None = None
    version: int | None = None
    objection: str | None = None
    history: list[PastVersion] | None = None


class ListingOut(BaseModel):
    """A listing the subject's records create, its state today and when it ends (`end` inclusive)."""

    list: str
    label_zh: str | None
    label_en: str | None
    record: str
    agency: str
    decision_no: str | None
    legal_basis: str
    state: str
    noticed_on: date | None
    start: date
    end: date | None
    removal_reason: str | None
    extended: bool
    contested: bool


class Via(BaseModel):
    role: str
    of: str


class MeasureOut(BaseModel):
    """A measure in force today: what it does to which actions, from which listing, until when."""

    measure: str
    label_zh: str
    label_en: str
    list: str
    effect: str
    actions: tuple[str, ...]
    record: str
    legal_basis: str
    valid_from: date
    valid_to: date | None
    via: Via | None


class RatingOut(BaseModel):
    """The organisation's latest rating; score and points only outside the public view."""

    grade: str
    grade_label_zh: str | None
    grade_label_en: str | None
    model: str
    version: str
    as_of: date
    reasons: list[dict[str, Any]]
    score: float | None = None
    rated_at: datetime | None = None


class ObjectionOut(BaseModel):
    """An objection and where it stands."""

    objection: str
    record: str
    subject: str | None
    status: str
    grounds: str
    filed_by: str
    filed_at: datetime
    deadline: date
    deadline_kind: str
    escalated_at: datetime | None
    outcome: str | None
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class RepairOut(BaseModel):
    """A repair application and where it stands."""

    application: str
    record: str
    subject: str | None
    status: str
    reason: str
    earliest: date | None
    filed_by: str
    filed_at: datetime
    deadline: date | None
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None


class NoticeOut(BaseModel):
    """A notice of listing served on the subject and the first day the listing may start."""

    notice: str
    record: str
    list: str
    served_on: date
    served_by: str
    listing_from: date


class AccessOut(BaseModel):
    """One look at the subject by someone else: who, in which role, when, what and why."""

    at: datetime
    who: str
    role: str
    action: str
    purpose: str | None
    checked_action: str | None
    result: str


class NotificationOut(BaseModel):
    """Something the subject was told: the outcome of an objection or repair, a notice, an escalation."""

    at: datetime
    about: str | None
    event: str | None
    record: str | None
    message_zh: str | None
    message_en: str | None


class SubjectFileOut(BaseModel):
    """The subject's file as one view shows it; objections, repairs and notices only in the full view,
    the access log and notifications only for the subject itself."""

    view: Literal["public", "shared", "full"]
    as_of: date
    subject: Identity
    records: list[RecordOut]
    listings: list[ListingOut]
    measures: list[MeasureOut]
    rating: RatingOut | None = None
    objections: list[ObjectionOut] | None = None
    repairs: list[RepairOut] | None = None
    notices: list[NoticeOut] | None = None
    notifications: list[NotificationOut] | None = None
    access_log: list[AccessOut] | None = None


def json_response(doc: Any, status_code: int = 200) -> Response:
    """A JSON body from the services' plain values (dates as ISO strings)."""
    return Response(orjson.dumps(doc, default=str), status_code=status_code, media_type="application/json")


def own_file(conn: Connection, request: Request, subject: SubjectRow, now: datetime) -> dict[str, Any]:
    """The subject's full file with what it was told and who looked at it."""
    services = services_of(request)
    doc = subject_files.read_file(conn, services.catalog, subject, view="full", today=cst_day(now))
    doc["notifications"] = subject_files.notifications(conn, subject)
    doc["access_log"] = subject_files.access_log(conn, subject)
    return doc


@router.get(
    "/v1/subjects/{id}",
    response_model=SubjectFileOut,
    responses=problem_responses(401, 403, 404, 422),
    summary="A subject's file, cut to what the caller's role may see",
)
def get_subject(
    request: Request,
    id: Annotated[str, PathParam(max_length=64, description="USCC, resident ID or subject key (S00000042).")],
    principal: Annotated[Principal, Depends(ANYONE)],
    view: Annotated[
        Literal["public", "shared", "full"] | None, Query(description="A narrower view than the role's widest.")
    ] = None,
    history: Annotated[bool, Query(description="Add superseded versions (not in the public view).")] = False,
    x_purpose: Annotated[
        str | None, Header(alias="X-Purpose", max_length=256, description="Why (non-public views; logged).")
    ] = None,
    purpose: Annotated[str | None, Query(max_length=256, description="Why (or header X-Purpose).")] = None,
) -> Response:
    services = services_of(request)
    now = services.clock.now()
    objections.escalate_due(services.store, now)
    with services.store.connect() as conn:
        subject = _subject_for(conn, principal, id)
        own = principal.is_subject(subject.id_value, subject.key)
        widest = widest_view(principal.role, own)
        chosen: View = view or widest
        if not narrower(chosen, widest):
            raise Forbidden(f"role {principal.role} may read at most the {widest} view", field="view")
        # Another's read of non-public data states its purpose before anything is read.
        logged = chosen != "public" and not own
        stated = access.stated_purpose(unquote(x_purpose) if x_purpose is not None else purpose) if logged else None
        if own and chosen == "full":
            doc = own_file(conn, request, subject, now)
        else:
            doc = subject_files.read_file(
                conn, services.catalog, subject, view=chosen, today=cst_day(now), history=history
            )
    if logged:
        # Logged before the answer leaves: a read that cannot be logged is not answered.
        with services.store.unit_of_work() as conn:
            access.log_read(conn, principal, subject_object(subject), stated, at=now, detail={"view": chosen})
    return json_response(doc)


def _subject_for(conn: Connection, principal: Principal, raw: str) -> SubjectRow:
    """The subject in the path; a subject key gets 403 for anyone but itself, known or not (BOLA)."""
    if principal.role != "subject" or principal.is_subject(raw):
        return find_subject(conn, raw)
    try:  # the path may name the subject by its key, which the principal does not carry
        subject = find_subject(conn, raw)
    except (NotFound, InvalidInput):
        subject = None
    if subject is None or not principal.is_subject(subject.id_value, subject.key):
        raise Forbidden("a subject key may read only its own file", field="id")
    return subject
