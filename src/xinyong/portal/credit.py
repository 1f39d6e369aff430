"""Credit reports as downloads: the public view of any subject, and a signed-in subject's own full file,
each with the signed audit checkpoint of the moment it was made."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from xinyong.access import Principal
from xinyong.clock import cst_day
from xinyong.due_process.lookup import find_subject
from xinyong.due_process.subject_files import read_file
from xinyong.errors import NotFound
from xinyong.portal.i18n import Lang
from xinyong.portal.rendering import language
from xinyong.portal.state import portal_state, report_checkpoint, services_of
from xinyong.reports.credit_report import AuditReference, content_digest, render_credit_report


def public_report(request: Request, ident: str) -> Response:
    """The PDF of what the public may see about a subject today; the same file under the same checkpoint is
    made once and served again (a report is made in a fraction of a second, mostly reading the font)."""
    services = services_of(request)
    now = services.clock.now()
    with services.store.connect() as conn:
        row = find_subject(conn, ident)
        file = read_file(conn, services.catalog, row, view="public", today=cst_day(now))
    reference = AuditReference(report_checkpoint(request))
    lang, _ = language(request)
    key = (row.key, lang, reference.checkpoint.size, content_digest(file))
    body = portal_state(request).reports.get(key, lambda: _render(request, file, reference, lang))
    return _response(body, row.key, private=False)


def own_report(request: Request, principal: Principal) -> Response:
    """The PDF of a signed-in subject's own full file."""
    if principal.subject is None:
        raise NotFound("this key names no subject", field="subject")
    services = services_of(request)
    now = services.clock.now()
    with services.store.connect() as conn:
        row = find_subject(conn, principal.subject)
        file = read_file(conn, services.catalog, row, view="full", today=cst_day(now))
    return _pdf(request, file, row.key, private=True)


def _pdf(request: Request, file: dict[str, Any], key: str, *, private: bool = False) -> Response:
    reference = AuditReference(report_checkpoint(request))
    lang, _ = language(request)
    return _response(_render(request, file, reference, lang), key, private=private)


def _render(request: Request, file: dict[str, Any], reference: AuditReference, lang: Lang) -> bytes:
    services = services_of(request)
    return render_credit_report(file, services.catalog, reference, generated_at=services.clock.now(), lang=lang)


def _response(body: bytes, key: str, *, private: bool) -> Response:
    headers = {
        "Content-Disposition": f'attachment; filename="xinyong-credit-report-{key}.pdf"',
        "Cache-Control": "no-store" if private else "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type="application/pdf", headers=headers)
