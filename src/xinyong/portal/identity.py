"""Who is signed in to the portal: the plug-in point for an identity provider.

This version signs people in with an API key (role `subject` for one's own file, `operator` for the
operator pages) kept in an HttpOnly, SameSite=Strict cookie; the key is checked on every request exactly as
the API checks a Bearer key, so a revoked key stops working at once. A national e-ID provider replaces
`sign_in` (verify its assertion, map it to a principal whose `subject` is the person's resident ID) and
`signed_in`; the pages ask only for a `Principal` and never see how it was proven.

Forms that change something carry a CSRF token derived from the session key, which a page on another
site can neither read nor compute.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from fastapi import Request, Response

from xinyong import access
from xinyong.access import Principal
from xinyong.errors import Forbidden, Unauthenticated
from xinyong.portal.state import key_cache, services_of

SESSION_COOKIE: Final = "xy_session"
#: Sessions last a working day; the key itself stays valid until revoked.
SESSION_AGE: Final = 8 * 3600
_CSRF_LABEL: Final = b"xinyong portal csrf v1"


def sign_in(request: Request, key: str) -> Principal:
    """The principal an API key belongs to; Unauthenticated when it is malformed, unknown or revoked."""
    services = services_of(request)
    return access.authenticate(services.store, services.clock, key.strip())


def signed_in(request: Request) -> Principal | None:
    """The principal of this request's session cookie, None when there is none or it no longer works.

    Called from synchronous routes (run in the thread pool), so the key is looked up without awaiting.
    """
    cached = getattr(request.state, "portal_principal", None)
    if isinstance(cached, Principal):
        return cached
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        return None
    keys = key_cache(request)
    principal = keys.get(key) if keys is not None else None
    if principal is None:
        try:
            principal = sign_in(request, key)
        except Unauthenticated:
            return None
        if keys is not None:
            keys.put(key, principal)
    request.state.portal_principal = principal
    return principal


def require_role(request: Request, role: str) -> Principal:
    """The signed-in principal when it has this role; Unauthenticated (sign in) or Forbidden otherwise."""
    principal = signed_in(request)
    if principal is None:
        raise Unauthenticated(f"sign in with a key of role {role}")
    if principal.role != role:
        raise Forbidden(f"this page needs a key of role {role}, not {principal.role}")
    return principal


def start_session(request: Request, response: Response, key: str) -> None:
    """Keep the key in the session cookie: HttpOnly, SameSite=Strict, Secure when served over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        key.strip(),
        max_age=SESSION_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(response: Response) -> None:
    """Forget the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def csrf_token(request: Request) -> str | None:
    """The token this session's forms must send back, None without a session."""
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        return None
    return hmac.new(hashlib.sha256(key.encode("utf-8")).digest(), _CSRF_LABEL, hashlib.sha256).hexdigest()[:40]


def check_csrf(request: Request, token: str | None) -> None:
    """Forbidden unless the form carried this session's token."""
    expected = csrf_token(request)
    if expected is None or token is None or not hmac.compare_digest(expected, token):
        raise Forbidden("the form has expired or came from another site; reload the page and try again", field="csrf")
