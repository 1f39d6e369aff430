"""A subject's own pages: the full file, what it was told, who looked at it, and the forms to object to a
record or apply for its repair, with their status and deadlines. Signed in with a subject key (see
`portal.identity`); nobody reaches anyone else's file through these pages, as they take no subject."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from xinyong.access import Principal
from xinyong.clock import cst_day
from xinyong.due_process import Actor, objections, repairs
from xinyong.due_process.lookup import find_subject
from xinyong.due_process.subject_files import access_log, notifications, read_file
from xinyong.errors import NotFound, XinyongError
from xinyong.portal import credit
from xinyong.portal.identity import check_csrf, require_role
from xinyong.portal.pages import form_text, page
from xinyong.portal.rendering import render
from xinyong.portal.state import services_of

router = APIRouter(include_in_schema=False)
ROLE = "subject"


def _own_file(request: Request, principal: Principal) -> dict[str, Any] | None:
    """The signed-in subject's full file with its messages and access log; None when the registry holds
    nothing about them. Reading escalates overdue objections first, as every read of objections does."""
    services = services_of(request)
    if principal.subject is None:
        return None
    now = services.clock.now()
    objections.escalate_due(services.store, now)
    with services.store.connect() as conn:
        try:
            subject = find_subject(conn, principal.subject)
        except NotFound:
            return None
        file = read_file(conn, services.catalog, subject, view="full", today=cst_day(now))
        file["notifications"] = notifications(conn, subject)
        file["access_log"] = access_log(conn, subject)
    return file


def _me_page(
    request: Request,
    principal: Principal,
    *,
    status: int = 200,
    form: str | None = None,
    error: str | None = None,
    record: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    context = {
        "file": _own_file(request, principal),
        "form": form,
        "error": error,
        "chosen": record or request.query_params.get("record"),
        "done": request.query_params.get("done"),
        "done_key": request.query_params.get("key"),
        "values": values or {},
    }
    return render(request, "me.html", context, status=status, principal=principal, private=True)


@router.get("/me")
@page
def me(request: Request, record: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    """One's own full file."""
    principal = require_role(request, ROLE)
    return _me_page(request, principal, record=record)


@router.get("/me/report.pdf")
@page
def my_report(request: Request) -> Response:
    """One's own full file as a credit report PDF."""
    return credit.own_report(request, require_role(request, ROLE))


@router.post("/me/objections")
@page
def file_objection(
    request: Request,
    record: Annotated[str, Form(max_length=200)] = "",
    grounds: Annotated[str, Form(max_length=8000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Object to one of one's records; it is contested at once and the agency's deadline is set."""
    principal = require_role(request, ROLE)
    check_csrf(request, csrf)
    services = services_of(request)
    try:
        filed = objections.file(
            services.store,
            services.catalog,
            services.clock,
            subject=principal.subject or "",
            record=form_text(record, "record") or "",
            grounds=form_text(grounds, "grounds") or "",
            by=Actor(principal.name, principal.role),
        )
    except XinyongError as exc:
        values = {"record": record, "grounds": grounds}
        return _me_page(
            request, principal, status=exc.http_status, form="objection", error=exc.one_line(), values=values
        )
    return RedirectResponse(f"/me?done=objection&key={filed.key}#objections", status_code=303)


@router.post("/me/repairs")
@page
def apply_for_repair(
    request: Request,
    record: Annotated[str, Form(max_length=200)] = "",
    commitment: Annotated[str, Form(max_length=25_000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Apply for credit repair of one of one's records; refused at once with the rule, or sent to the agency."""
    principal = require_role(request, ROLE)
    check_csrf(request, csrf)
    services = services_of(request)
    try:
        filed = repairs.apply(
            services.store,
            services.catalog,
            services.clock,
            subject=principal.subject or "",
            record=form_text(record, "record") or "",
            commitment=form_text(commitment, "commitment", required=False, limit=25_000),
            by=Actor(principal.name, principal.role),
        )
    except XinyongError as exc:
        values = {"record": record, "commitment": commitment}
        return _me_page(request, principal, status=exc.http_status, form="repair", error=exc.one_line(), values=values)
    return RedirectResponse(f"/me?done=repair&key={filed.key}#repairs", status_code=303)
