"""The operator's pages: the linkage review queue (confirm, reject, or choose another subject), undecided
objections by deadline, ingestion batches with their quarantined rows, and the detailed oversight dashboard.
Signed in with an operator key; every decision is the review service's, audited under the operator's name."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Form, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse

from xinyong.clock import today
from xinyong.due_process import objections
from xinyong.errors import NotFound
from xinyong.link import review
from xinyong.portal.dashboard import dashboard_context
from xinyong.portal.identity import check_csrf, require_role
from xinyong.portal.pages import form_text, page
from xinyong.portal.rendering import render
from xinyong.portal.review_queue import SIDE_FIELDS, open_items
from xinyong.portal.state import services_of
from xinyong.screening import publish
from xinyong.store import batches, subjects
from xinyong.store import linkage as store_linkage

router = APIRouter(include_in_schema=False)
ROLE: Final = "operator"
#: How many quarantined rows a batch page shows.
QUARANTINE_ROWS: Final = 100
QUEUE_ITEMS: Final = 20


@router.get("/operator")
@page
def operator_home(request: Request) -> Response:
    """Where the operator's work is: counts of what waits, and the pages for it."""
    principal = require_role(request, ROLE)
    services = services_of(request)
    waiting = objections.undecided(services.store, services.clock)
    with services.store.connect() as conn:
        reviews = store_linkage.review_counts(conn)
        recent = batches.recent(conn, limit=5)
    context = {
        "open_reviews": reviews.get("open", 0),
        "undecided": len(waiting),
        "overdue": sum(o.status == "escalated" for o in waiting),
        "batches": recent,
    }
    return render(request, "operator_home.html", context, principal=principal, private=True)


@router.get("/operator/review")
@page
def review_queue(request: Request) -> Response:
    """Open review items, oldest first, each record next to its candidates with per-field match weights."""
    principal = require_role(request, ROLE)
    services = services_of(request)
    items = open_items(services.store, limit=QUEUE_ITEMS)
    with services.store.connect() as conn:
        counts = store_linkage.review_counts(conn)
    context = {
        "items": items,
        "counts": counts,
        "side_fields": SIDE_FIELDS,
        "done": request.query_params.get("done"),
        "decision": request.query_params.get("decision"),
        "error": None,
    }
    return render(request, "operator_review.html", context, principal=principal, private=True)


@router.post("/operator/review/{item}")
@page
def decide_item(
    request: Request,
    item: Annotated[int, PathParam(ge=1)],
    decision: Annotated[Literal["confirm", "reject", "assign"], Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
    subject: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Confirm the proposed subject, reject every candidate, or attach the record to another subject."""
    principal = require_role(request, ROLE)
    check_csrf(request, csrf)
    services = services_of(request)
    why = form_text(reason, "reason", limit=review.MAX_REASON) or ""
    if decision == "confirm":
        review.confirm(services.store, services.clock, item, by=principal.name, reason=why)
    elif decision == "reject":
        review.reject(services.store, services.clock, item, by=principal.name, reason=why)
    else:
        target = form_text(subject, "subject") or ""
        review.assign(services.store, services.clock, item, target, by=principal.name, reason=why)
    # A confirmed link may start measures: publish so platforms' change feed carries them.
    publish(services.store, services.catalog, services.clock)
    return RedirectResponse(f"/operator/review?done={item}&decision={decision}", status_code=303)


@router.get("/operator/objections")
@page
def undecided_objections(request: Request) -> Response:
    """Objections waiting for their agency, earliest deadline first; missed deadlines are escalated."""
    principal = require_role(request, ROLE)
    services = services_of(request)
    rows = objections.undecided(services.store, services.clock)
    with services.store.connect() as conn:
        people = subjects.get_many(conn, {row.subject_pk for row in rows})
    day = today(services.clock)
    items = [
        {
            "row": row,
            "subject": people[row.subject_pk].key if row.subject_pk in people else None,
            "days_left": (row.deadline - day).days,
        }
        for row in rows
    ]
    return render(request, "operator_objections.html", {"items": items}, principal=principal, private=True)


@router.get("/operator/batches")
@page
def batch_list(request: Request) -> Response:
    """The latest ingestion batches and what became of their rows."""
    principal = require_role(request, ROLE)
    services = services_of(request)
    with services.store.connect() as conn:
        recent = batches.recent(conn, limit=50)
    return render(request, "operator_batches.html", {"batches": recent}, principal=principal, private=True)


@router.get("/operator/batches/{pk}")
@page
def batch_detail(request: Request, pk: Annotated[int, PathParam(ge=1)]) -> Response:
    """One batch and the first rows of its quarantine file: row, field and reason for each rejected row."""
    principal = require_role(request, ROLE)
    services = services_of(request)
    with services.store.connect() as conn:
        batch = batches.get(conn, pk)
    if batch is None:
        raise NotFound(f"batch {pk} does not exist", field="batch")
    header, rows, error = _quarantine(batch.quarantine_path)
    context = {"batch": batch, "header": header, "rows": rows, "quarantine_error": error, "limit": QUARANTINE_ROWS}
    return render(request, "operator_batch.html", context, principal=principal, private=True)


@router.get("/operator/oversight")
@page
def operator_oversight(request: Request) -> Response:
    """The oversight dashboard with the operator's detail: agencies, linkage bands, every platform by month."""
    principal = require_role(request, ROLE)
    return render(request, "oversight.html", dashboard_context(request, "operator"), principal=principal, private=True)


def _quarantine(path: str | None) -> tuple[list[str], list[list[str]], str | None]:
    """The header and first rows of a quarantine file; a missing or unreadable file is said, not raised."""
    if not path:
        return [], [], None
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            rows = [row for _, row in zip(range(QUARANTINE_ROWS), reader, strict=False)]
    except OSError as exc:
        return [], [], f"{path}: {exc.strerror or exc}"
    return header, rows, None
