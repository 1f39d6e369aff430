"""Who is calling and what they may do: the Bearer key becomes a Principal; routes declare roles and scopes.

A route states its rule in its signature, where it shows in the OpenAPI document too:

    principal: Annotated[Principal, Depends(require(roles={"platform", "agency", "court"}, action_scope=True))]

`require` answers 401 before anything else when a key is needed and missing, unknown or revoked, and
403 when the role is wrong or (with `action_scope`) the `action` query parameter is outside the key's
scope. Object-level checks (BOLA) are one call in the route once it knows the object: `ensure_subject`,
`ensure_agency`, `ensure_record_types`, `ensure_action`, `ensure_district`. Reads of non-public data
take `purpose: Purpose` (header `X-Purpose` or query `purpose`) and log it with `access.log_read`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from xinyong import access
from xinyong.access import ANONYMOUS, Principal
from xinyong.bootstrap import Services
from xinyong.errors import Forbidden, Unauthenticated
from xinyong.store.schema_access import ROLES

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="An API key made by `xinyong keys create`, sent as `Authorization: Bearer <key>`.",
)


def services_of(request: Request) -> Services:
    """The services of the app serving this request."""
    services: Services = request.app.state.services
    return services


class KeyCache:
    """Principals of keys seen in the last few seconds, so a busy platform's checks do not each cost a
    database read. A key revoked elsewhere (`xinyong keys revoke`) stops working within `ttl` seconds;
    only successes are kept, so an unknown key is looked up every time (and throttled by the failures
    budget of `RateLimit`). Entries are keyed by the key's hash, never the key itself."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        """The principal of a key seen less than `ttl` seconds ago, else None."""
        if self.ttl <= 0:
            return None
        found = self._entries.get(access.key_hash(token))
        if found is None or found[0] <= self.clock():
            return None
        return found[1]

    def put(self, token: str, principal: Principal) -> None:
        """Remember that this key authenticated as `principal`."""
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[access.key_hash(token)] = (self.clock() + self.ttl, principal)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller: the key's principal, or the anonymous public when no Authorization header is sent.

    A header that is present but wrong is a 401, never a silent downgrade to the public.
    """
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    if credentials is None:
        if request.headers.get("authorization"):
            raise Unauthenticated("the Authorization header must be `Bearer <api key>`")
        principal = ANONYMOUS
    else:
        token = credentials.credentials
        keys: KeyCache = request.app.state.key_cache
        found = keys.get(token)
        if found is None:
            services = services_of(request)
            found = await run_in_threadpool(access.authenticate, services.store, services.clock, token)
            keys.put(token, found)
        principal = found
    request.state.principal = principal
    return principal


AnyPrincipal = Annotated[Principal, Depends(current_principal)]


class RoleGuard:
    """A dependency that admits only some roles; routes get one from `require`, tests find it by type."""

    def __init__(self, roles: frozenset[str], action_scope: bool) -> None:
        self.roles = roles
        self.action_scope = action_scope
        self._named = ", ".join(sorted(roles))

    async def __call__(self, request: Request, principal: AnyPrincipal) -> Principal:
        if not principal.authenticated and "public" not in self.roles:
            raise Unauthenticated(f"this route needs an API key of role {self._named}")
        if principal.role not in self.roles:
            raise Forbidden(f"role {principal.role} may not use this route (allowed: {self._named})")
        if self.action_scope:
            action = request.query_params.get("action") or request.path_params.get("action")
            if action is not None:
                ensure_action(principal, action)
        return principal


def require(*, roles: Iterable[str], action_scope: bool = False) -> RoleGuard:
    """A dependency that admits only these roles (and, with `action_scope`, only actions the key may check)."""
    allowed = frozenset(roles)
    unknown = allowed - set(ROLES)
    if unknown or not allowed:
        raise ValueError(f"unknown roles {sorted(unknown)} (roles are {', '.join(ROLES)})")
    return RoleGuard(allowed, action_scope)


def ensure_action(principal: Principal, action: str) -> None:
    """403 unless the key may ask for decisions on this action."""
    if not principal.may_check(action):
        raise Forbidden(f"this key may not check action {action!r}", field="action")


def ensure_agency(principal: Principal, agency: str) -> None:
    """403 unless the key belongs to this agency (an agency acts only for itself)."""
    if principal.role not in access.AGENCY_ROLES or principal.agency != agency:
        raise Forbidden(f"this key may not act for agency {agency!r}", field="agency")


def ensure_record_types(principal: Principal, agency: str, record_types: Iterable[str]) -> None:
    """403 unless the key may submit every one of these record types for this agency."""
    ensure_agency(principal, agency)
    outside = sorted(set(record_types) - principal.scopes.record_types)
    if outside:
        raise Forbidden(f"this key may not submit {', '.join(outside)} records", field="record_type")


def ensure_subject(principal: Principal, *identifiers: str | None) -> None:
    """403 when a subject key asks about anyone but itself (BOLA); other roles are cut by disclosure instead.

    Pass every name the object is known by (USCC or resident ID, internal key) so the comparison holds
    whichever one the path used.
    """
    if principal.role == "subject" and not principal.is_subject(*identifiers):
        raise Forbidden("a subject key may read only its own file", field="id")


def ensure_district(principal: Principal, district: str | None) -> None:
    """403 unless a regulator's districts cover this one (an operator sees every district)."""
    if principal.role == "operator":
        return
    if district is None or not principal.covers_district(district):
        raise Forbidden(f"this key does not cover district {district!r}", field="district")


def stated_purpose(
    x_purpose: Annotated[
        str | None,
        Header(alias="X-Purpose", max_length=256, description="Why the data is read; logged."),
    ] = None,
    purpose: Annotated[
        str | None, Query(max_length=256, description="Why the data is read (or header X-Purpose).")
    ] = None,
) -> str:
    """The reader's declared purpose from `X-Purpose` or `?purpose=`; 422 naming `purpose` when absent.

    Headers carry only Latin-1, so a purpose in Chinese comes percent-encoded (UTF-8) in the header.
    """
    return access.stated_purpose(unquote(x_purpose) if x_purpose is not None else purpose)


Purpose = Annotated[str, Depends(stated_purpose)]
