"""Who may do what: principals with a role and scopes, their API keys, and the log of who read what and why.

A key is `xy_<prefix>_<secret>`: the prefix finds the stored row, the SHA-256 of the whole key must match
it, and the key itself is shown once when it is made and never stored. Creating and revoking a key are
audited in the same transaction as the change.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from xinyong.catalog.model import Catalog
from xinyong.clock import Clock
from xinyong.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from xinyong.ids import registry
from xinyong.store import Store, api_keys, audit_rows
from xinyong.store.audit_rows import Event
from xinyong.store.schema_access import ROLES as ROLES

#: Roles whose keys belong to one submitting agency and are scoped to its record types.
AGENCY_ROLES = frozenset({"agency", "court"})
#: Roles that may ask for decisions, and so carry an action scope.
CHECKING_ROLES = frozenset({"platform", "agency", "court"})
#: Grants a key may carry beyond its role, and the roles that may hold each: `feed:clear-ids` lets a
#: platform's change feed carry identifiers in the clear instead of as keyed hashes (where the law lets the
#: platform see them); every page it reads is audited, in each listed subject's access log too.
GRANTS: dict[str, frozenset[str]] = {"feed:clear-ids": frozenset({"platform"})}

KEY_PATTERN = re.compile(r"^xy_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
NAME_MAX = 128
PURPOSE_MAX = 256
# A key's last use is written at most this often, so authenticating is a read, not a write, per request.
TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Scopes:
    """What a principal may touch beyond its role: record types it submits, actions it checks, districts."""

    record_types: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    grants: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, list[str]]:
        """The scopes as sorted lists, as stored and as shown (`grants` only when there are any)."""
        out = {
            "record_types": sorted(self.record_types),
            "actions": sorted(self.actions),
            "districts": sorted(self.districts),
        }
        if self.grants:
            out["grants"] = sorted(self.grants)
        return out

    @classmethod
    def from_mapping(cls, data: Mapping[str, Sequence[str]]) -> Scopes:
        """Scopes read back from the store's JSON."""
        return cls(
            frozenset(data.get("record_types", ())),
            frozenset(data.get("actions", ())),
            frozenset(data.get("districts", ())),
            frozenset(data.get("grants", ())),
        )


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a named party in one role, the agency or subject it stands for, and its scopes."""

    name: str
    role: str
    agency: str | None = None
    subject: str | None = None
    scopes: Scopes = field(default_factory=Scopes)
    key_prefix: str | None = None

    @property
    def authenticated(self) -> bool:
        """Whether a key vouched for this principal (the anonymous public is not)."""
        return self.key_prefix is not None

    def may_check(self, action: str) -> bool:
        """Whether this principal may ask for decisions on `action`."""
        return self.role in CHECKING_ROLES and action in self.scopes.actions

    def may_submit(self, agency: str, record_type: str | None = None) -> bool:
        """Whether this principal may submit records for `agency` (of `record_type`, when given)."""
        if self.role not in AGENCY_ROLES or self.agency != agency:
            return False
        return record_type is None or record_type in self.scopes.record_types

    def has_grant(self, grant: str) -> bool:
        """Whether this principal's key carries `grant` (one of `GRANTS`) and its role may hold it."""
        return grant in self.scopes.grants and self.role in GRANTS.get(grant, frozenset())

    def covers_district(self, district: str) -> bool:
        """Whether a regulator's districts include `district` (a province code covers its counties)."""
        return self.role == "regulator" and any(district.startswith(_division_prefix(d)) for d in self.scopes.districts)

    def is_subject(self, *identifiers: str | None) -> bool:
        """Whether this is the subject known by any of these identifiers (USCC, resident ID or key)."""
        if self.role != "subject" or self.subject is None:
            return False
        own = self.subject
        return any(ident is not None and _same_identifier(own, ident) for ident in identifiers)

    def to_dict(self) -> dict[str, Any]:
        """The principal as shown to operators (no key material)."""
        return {
            "name": self.name,
            "role": self.role,
            "agency": self.agency,
            "subject": self.subject,
            "scopes": self.scopes.to_dict(),
        }


#: The caller who presented no key: the public, who sees only what the catalog marks public.
ANONYMOUS = Principal(name="anonymous", role="public")


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just made: `key` is shown this once and exists nowhere else afterwards."""

    key: str
    prefix: str
    principal: Principal
    created_at: datetime


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A stored key as an operator sees it: prefix, owner and dates, never the key."""

    prefix: str
    principal: Principal
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for `keys list --json`."""
        return {
            "prefix": self.prefix,
            **self.principal.to_dict(),
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


def principal_spec(
    catalog: Catalog,
    *,
    name: str,
    role: str,
    agency: str | None = None,
    subject: str | None = None,
    actions: Iterable[str] = (),
    record_types: Iterable[str] | None = None,
    districts: Iterable[str] = (),
    grants: Iterable[str] = (),
) -> Principal:
    """A principal checked against the roles and the catalog; every wrong field is an InvalidInput."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise InvalidInput(f"must be 1 to {NAME_MAX} printable characters", field="name")
    if role not in ROLES:
        raise InvalidInput(f"{role!r} is not a role (one of {', '.join(ROLES)})", field="role")
    agency = agency or None
    if role in AGENCY_ROLES:
        if agency is None:
            raise InvalidInput(f"a {role} key must name its agency", field="agency")
        known = catalog.agencies.get(agency)
        if known is None:
            raise InvalidInput(f"{agency!r} is not an agency in the catalog", field="agency")
        if (known.kind == "court") != (role == "court"):
            expected = "court" if known.kind == "court" else "agency"
            raise InvalidInput(f"{agency!r} is a {known.kind} agency; use role {expected}", field="role")
    elif agency is not None:
        raise InvalidInput(f"only agency and court keys belong to an agency, not {role}", field="agency")
    subject_id = _subject_identifier(role, subject)
    wanted_actions = _codes(actions)
    if wanted_actions and role not in CHECKING_ROLES:
        raise InvalidInput(f"a {role} key cannot check; only {', '.join(sorted(CHECKING_ROLES))}", field="actions")
    if role == "platform" and not wanted_actions:
        raise InvalidInput("a platform key must list the actions it enforces", field="actions")
    for action in sorted(wanted_actions):
        if action not in catalog.actions:
            raise InvalidInput(f"{action!r} is not an action in the catalog", field="actions")
    types = _record_types(catalog, role, agency, record_types)
    wanted_districts = _codes(districts)
    if wanted_districts and role != "regulator":
        raise InvalidInput(f"only regulator keys cover districts, not {role}", field="districts")
    if role == "regulator" and not wanted_districts:
        raise InvalidInput("a regulator key must list the districts it covers", field="districts")
    for district in sorted(wanted_districts):
        if not re.fullmatch(r"\d{6}", district):
            raise InvalidInput(f"{district!r} is not a 6-digit division code", field="districts")
    wanted_grants = _codes(grants)
    for grant in sorted(wanted_grants):
        if grant not in GRANTS:
            raise InvalidInput(f"{grant!r} is not a grant (one of {', '.join(sorted(GRANTS))})", field="grants")
        if role not in GRANTS[grant]:
            raise InvalidInput(f"a {role} key cannot hold {grant}", field="grants")
    scopes = Scopes(types, wanted_actions, wanted_districts, wanted_grants)
    return Principal(name=name, role=role, agency=agency, subject=subject_id, scopes=scopes)


def create_key(
    store: Store,
    clock: Clock,
    spec: Principal,
    *,
    actor: str = "operator",
    actor_role: str = "operator",
) -> IssuedKey:
    """Make a key for the principal `spec` (created on first use of its name) and audit it.

    A second key for an existing name is a rotation and must repeat the same role, agency, subject and
    scopes; anything else is a Conflict, so a key's powers never change behind its holder's back.
    """
    at = clock.now()
    prefix = secrets.token_hex(4)
    key = f"xy_{prefix}_{secrets.token_urlsafe(32)}"
    with store.unit_of_work() as conn:
        stored = api_keys.principal_named(conn, spec.name)
        if stored is None:
            stored = api_keys.insert_principal(
                conn,
                name=spec.name,
                role=spec.role,
                agency=spec.agency,
                subject=spec.subject,
                scopes=spec.scopes.to_dict(),
                at=at,
            )
        elif stored.revoked_at is not None:
            raise Conflict(f"principal {spec.name!r} was revoked; choose another name", field="name")
        elif _principal_of(stored) != spec:
            raise Conflict(
                f"principal {spec.name!r} exists with another role, agency, subject or scopes; choose another name",
                field="name",
            )
        api_keys.insert_key(conn, principal_pk=stored.pk, prefix=prefix, sha256=key_hash(key), at=at)
        audit_rows.record(
            conn,
            [
                Event(
                    at,
                    actor,
                    actor_role,
                    "key.create",
                    f"key:{prefix}",
                    detail={"principal": spec.name, "role": spec.role, "scopes": spec.scopes.to_dict()},
                )
            ],
        )
    principal = Principal(
        name=spec.name,
        role=spec.role,
        agency=spec.agency,
        subject=spec.subject,
        scopes=spec.scopes,
        key_prefix=prefix,
    )
    return IssuedKey(key, prefix, principal, at)


def list_keys(store: Store) -> list[KeyInfo]:
    """Every key ever made, oldest first, revoked ones included."""
    with store.connect() as conn:
        return [_info(key, owner) for key, owner in api_keys.all_keys(conn)]


def revoke_key(
    store: Store, clock: Clock, prefix: str, *, actor: str = "operator", actor_role: str = "operator"
) -> KeyInfo:
    """Revoke the key with this prefix from now on, and audit it; an unknown or revoked key is an error."""
    prefix = prefix.strip().removeprefix("xy_")[:8]
    at = clock.now()
    with store.unit_of_work() as conn:
        found = api_keys.key_with_principal(conn, prefix)
        if found is None:
            raise NotFound(f"no key has prefix {prefix!r}", field="prefix")
        if not api_keys.revoke_key(conn, prefix, at=at):
            raise Conflict(f"key {prefix} was revoked already", field="prefix")
        audit_rows.record(
            conn,
            [Event(at, actor, actor_role, "key.revoke", f"key:{prefix}", detail={"principal": found[1].name})],
        )
        key, owner = api_keys.key_with_principal(conn, prefix) or found
    return _info(key, owner)


def authenticate(store: Store, clock: Clock, token: str) -> Principal:
    """The principal a presented key belongs to; a malformed, unknown or revoked key is Unauthenticated."""
    match = KEY_PATTERN.fullmatch(token.strip())
    if match is None:
        raise Unauthenticated("the API key is malformed")
    prefix = match.group(1)
    with store.connect() as conn:
        found = api_keys.key_with_principal(conn, prefix)
    # Compare hashes in constant time even for an unknown prefix, so timing does not tell them apart.
    stored_hash = found[0].sha256 if found is not None else "0" * 64
    if not hmac.compare_digest(stored_hash, key_hash(token.strip())) or found is None:
        raise Unauthenticated("the API key is not known")
    key, owner = found
    if key.revoked_at is not None or owner.revoked_at is not None:
        revoked = key.revoked_at or owner.revoked_at
        raise Unauthenticated(f"the API key was revoked at {revoked:%Y-%m-%dT%H:%M:%SZ}")
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        with store.unit_of_work() as conn:
            api_keys.touch_key(conn, key.pk, at=now)
    return Principal(
        name=owner.name,
        role=owner.role,
        agency=owner.agency,
        subject=owner.subject,
        scopes=Scopes.from_mapping(owner.scopes),
        key_prefix=key.prefix,
    )


def key_hash(key: str) -> str:
    """The hex SHA-256 a key is stored as; keys are 256-bit random, so no salt or stretching is needed."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def stated_purpose(purpose: str | None) -> str:
    """A reader's declared purpose, tidied; required for every read of non-public data."""
    text = " ".join((purpose or "").split())
    if not text:
        raise InvalidInput("a stated purpose is required to read non-public data", field="purpose")
    if len(text) > PURPOSE_MAX or not text.isprintable():
        raise InvalidInput(f"must be at most {PURPOSE_MAX} printable characters", field="purpose")
    return text


def log_read(
    conn: Connection,
    principal: Principal,
    object: str,
    purpose: str | None,
    *,
    at: datetime | None = None,
    result: str = "ok",
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Audit one read of non-public data (`object` like `subject:S00000042`) in the caller's transaction."""
    event = Event(
        at or datetime.now(UTC),
        principal.name,
        principal.role,
        "read",
        object,
        result=result,
        purpose=stated_purpose(purpose),
        detail={"key": principal.key_prefix, **(detail or {})},
    )
    audit_rows.record(conn, [event])


def _subject_identifier(role: str, subject: str | None) -> str | None:
    if role != "subject":
        if subject:
            raise InvalidInput(f"only subject keys name a subject, not {role}", field="subject")
        return None
    if not subject:
        raise InvalidInput("a subject key must name the subject's USCC or resident ID", field="subject")
    check = registry.check(subject)
    if not check.valid or check.normalized is None:
        raise InvalidInput(f"{check.reason or 'not a valid identifier'}", field="subject")
    return check.normalized


def _record_types(catalog: Catalog, role: str, agency: str | None, wanted: Iterable[str] | None) -> frozenset[str]:
    codes = _codes(wanted or ())
    if role not in AGENCY_ROLES or agency is None:
        if codes:
            raise InvalidInput(f"only agency and court keys submit records, not {role}", field="record_types")
        return frozenset()
    allowed = {rt.code for rt in catalog.record_types_for(agency)}
    if wanted is None or not codes:
        return frozenset(allowed)
    for code in sorted(codes):
        if code not in catalog.record_types:
            raise InvalidInput(f"{code!r} is not a record type in the catalog", field="record_types")
        if code not in allowed:
            raise InvalidInput(f"{agency} may not submit {code} records (catalog)", field="record_types")
    return codes


def _codes(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip() for v in values if v.strip())


def _division_prefix(district: str) -> str:
    # 110000 is Beijing, 110100 its city districts, 110105 Chaoyang: trailing "00" pairs widen the area.
    code = district
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


def _same_identifier(own: str, other: str) -> bool:
    if hmac.compare_digest(own.encode(), other.encode()):
        return True
    check = registry.check(other)
    return check.normalized is not None and hmac.compare_digest(own.encode(), check.normalized.encode())


def _principal_of(row: api_keys.PrincipalRow) -> Principal:
    return Principal(
        name=row.name,
        role=row.role,
        agency=row.agency,
        subject=row.subject,
        scopes=Scopes.from_mapping(row.scopes),
    )


def _info(key: api_keys.KeyRow, owner: api_keys.PrincipalRow) -> KeyInfo:
    principal = Principal(
        name=owner.name,
        role=owner.role,
        agency=owner.agency,
        subject=owner.subject,
        scopes=Scopes.from_mapping(owner.scopes),
        key_prefix=key.prefix,
    )
    return KeyInfo(key.prefix, principal, key.created_at, key.revoked_at, key.last_used_at)
