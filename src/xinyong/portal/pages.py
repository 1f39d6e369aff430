"""What every portal page handler shares: errors answered as pages rather than problem+json, sign-in
redirects, and the small checks on form input."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from xinyong.errors import Forbidden, InvalidInput, Unauthenticated, XinyongError
from xinyong.portal.identity import signed_in
from xinyong.portal.rendering import error_page

P = ParamSpec("P")
#: Longest text a form field may carry before the service even looks at it.
FORM_MAX = 20_000


def page(handler: Callable[P, Response]) -> Callable[P, Response]:
    """Answer a handler's XinyongError as an HTML page with the error's status; a missing sign-in on a page
    that needs one goes to the sign-in form and comes back. The handler takes `request: Request`."""

    @functools.wraps(handler)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        request = kwargs.get("request", args[0] if args else None)
        if not isinstance(request, Request):
            raise TypeError(f"{handler.__name__} must take `request: Request`")
        try:
            return handler(*args, **kwargs)
        except Unauthenticated as exc:
            if request.method == "GET":
                return sign_in_redirect(request)
            return error_page(request, exc)
        except XinyongError as exc:
            principal = signed_in(request) if isinstance(exc, Forbidden) else None
            return error_page(request, exc, principal=principal)

    return wrapper


def sign_in_redirect(request: Request) -> RedirectResponse:
    """To the sign-in form, coming back to this page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


def local_path(raw: str | None, default: str = "/") -> str:
    """A path on this site to go to after a form, never another site (no scheme, no `//`, no backslash)."""
    text = (raw or "").strip()
    if not text.startswith("/") or text.startswith("//") or "\\" in text or any(ord(c) < 32 for c in text):
        return default
    return text


def form_text(value: str | None, field: str, *, required: bool = True, limit: int = FORM_MAX) -> str | None:
    """A form field trimmed; InvalidInput naming the field when it is required and empty, or too long."""
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput("must not be empty", field=field)
        return None
    if len(text) > limit:
        raise InvalidInput(f"must be at most {limit} characters (got {len(text)})", field=field)
    return text
