"""The public portal's pages: search, a subject's public view and its PDF, the public oversight dashboard,
the stylesheet, and signing in and out. The subject's own pages and the operator's are in `routes_me`
and `routes_operator`, included here so the HTTP app lists one module.

Public pages need no key; the service's rate limit per client address applies to them as to the API.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse

from xinyong.clock import today
from xinyong.due_process.lookup import find_subject
from xinyong.due_process.subject_files import read_file
from xinyong.errors import NotFound, Unauthenticated
from xinyong.portal import credit, routes_me, routes_operator
from xinyong.portal.dashboard import dashboard_context
from xinyong.portal.identity import end_session, sign_in, signed_in, start_session
from xinyong.portal.pages import local_path, page
from xinyong.portal.rendering import TEMPLATES, render
from xinyong.portal.search import MAX_QUERY, public_hits
from xinyong.portal.state import portal_state, services_of

router = APIRouter(include_in_schema=False)
STATIC: Final = TEMPLATES.parent / "static"
#: Files under /static/, with their media types; nothing else is served from disk.
STATIC_FILES: Final[dict[str, str]] = {"portal.css": "text/css; charset=utf-8"}
RESULTS: Final = 20


@router.get("/")
@page
def home(request: Request) -> Response:
    """The search box and what the registry is."""
    return render(request, "home.html", principal=signed_in(request))


@router.get("/search")
@page
def search(request: Request, q: Annotated[str, Query(max_length=MAX_QUERY * 2)] = "") -> Response:
    """Subjects by name (Chinese or pinyin) or by code; people only when something about them is public."""
    services = services_of(request)
    index = portal_state(request).search
    index.refresh(services.store)
    found = index.find(q, limit=RESULTS * 3)
    hits = public_hits(services.store, services.catalog, found.hits, today=today(services.clock), limit=RESULTS)
    context = {"q": found.query, "kind": found.kind, "hits": hits, "more": found.more or len(found.hits) > len(hits)}
    return render(request, "search.html", context, principal=signed_in(request))


@router.get("/subjects/{ident}")
@page
def subject(request: Request, ident: Annotated[str, PathParam(max_length=64)]) -> Response:
    """What the public may see about one subject today."""
    services = services_of(request)
    with services.store.connect() as conn:
        row = find_subject(conn, ident)
        file = read_file(conn, services.catalog, row, view="public", today=today(services.clock))
    return render(request, "subject.html", {"file": file}, principal=signed_in(request))


@router.get("/subjects/{ident}/report.pdf")
@page
def subject_report(request: Request, ident: Annotated[str, PathParam(max_length=64)]) -> Response:
    """The public credit report of one subject as a PDF."""
    return credit.public_report(request, ident)


@router.get("/oversight")
@page
def oversight(request: Request) -> Response:
    """The public oversight dashboard."""
    return render(request, "oversight.html", dashboard_context(request, "public"), principal=signed_in(request))


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The portal's stylesheet (a fixed list of files, never a path from the request)."""
    media = STATIC_FILES.get(name)
    if media is None:
        raise NotFound(f"no static file {name!r}", field="name")
    body = (STATIC / name).read_bytes()
    return Response(body, media_type=media, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/sign-in")
@page
def sign_in_form(request: Request, next: Annotated[str, Query(max_length=500)] = "/me") -> Response:
    """The sign-in form (an API key in this version; see `portal.identity` for an e-ID)."""
    return render(
        request, "sign_in.html", {"next": local_path(next, "/me"), "error": None}, principal=signed_in(request)
    )


@router.post("/sign-in")
@page
def sign_in_submit(
    request: Request,
    key: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/me",
) -> Response:
    """Check the key, keep it in the session cookie, go on to the page asked for."""
    target = local_path(next, "/me")
    try:
        principal = sign_in(request, key)
    except Unauthenticated as exc:
        context = {"next": target, "error": exc.one_line()}
        return render(request, "sign_in.html", context, status=401, private=True)
    if principal.role == "operator" and target == "/me":
        target = "/operator"
    response = RedirectResponse(target, status_code=303)
    start_session(request, response, key)
    return response


@router.post("/sign-out")
@page
def sign_out(request: Request) -> Response:
    """End the session."""
    response = RedirectResponse("/", status_code=303)
    end_session(response)
    return response


router.include_router(routes_me.router)
router.include_router(routes_operator.router)
