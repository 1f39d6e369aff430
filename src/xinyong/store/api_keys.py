"""Principals and their API keys: stored, found by a key's public prefix, revoked, never deleted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update
from sqlalchemy.exc import IntegrityError

from xinyong.errors import Conflict
from xinyong.store.engine import error_line
from xinyong.store.schema_access import api_keys, principals

_KEYS_WITH_PRINCIPALS = select(api_keys, principals).join(principals, principals.c.pk == api_keys.c.principal_pk)


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalRow:
    """A stored principal: its role, the agency or subject it stands for, and its scopes."""

    pk: int
    name: str
    role: str
    agency: str | None
    subject: str | None
    scopes: Mapping[str, Sequence[str]]
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyRow:
    """A stored key: its public prefix and the SHA-256 of the whole key, never the key itself."""

    pk: int
    principal_pk: int
    prefix: str
    sha256: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def insert_principal(
    conn: Connection,
    *,
    name: str,
    role: str,
    agency: str | None,
    subject: str | None,
    scopes: Mapping[str, Sequence[str]],
    at: datetime,
) -> PrincipalRow:
    """Store a new principal; a name already taken is a Conflict."""
    values: dict[str, Any] = {
        "name": name,
        "role": role,
        "agency": agency,
        "subject": subject,
        "scopes": {k: list(v) for k, v in scopes.items()},
        "created_at": at,
    }
    try:
        pk = conn.execute(principals.insert().values(**values).returning(principals.c.pk)).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"principal {name!r} cannot be stored: {error_line(exc)}", field="name") from None
    return PrincipalRow(pk=int(pk), revoked_at=None, **values)


def principal_named(conn: Connection, name: str) -> PrincipalRow | None:
    """The principal with this name, None when there is none."""
    row = conn.execute(select(principals).where(principals.c.name == name)).first()
    return _principal(row) if row is not None else None


def principal(conn: Connection, pk: int) -> PrincipalRow | None:
    """The principal with this pk, None when there is none."""
    row = conn.execute(select(principals).where(principals.c.pk == pk)).first()
    return _principal(row) if row is not None else None


def insert_key(conn: Connection, *, principal_pk: int, prefix: str, sha256: str, at: datetime) -> KeyRow:
    """Store a key's prefix and hash for a principal; a prefix already taken is a Conflict."""
    values: dict[str, Any] = {
        "principal_pk": principal_pk,
        "prefix": prefix,
        "sha256": sha256,
        "created_at": at,
    }
    try:
        pk = conn.execute(api_keys.insert().values(**values).returning(api_keys.c.pk)).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"key prefix {prefix!r} cannot be stored: {error_line(exc)}", field="prefix") from None
    return KeyRow(pk=int(pk), revoked_at=None, last_used_at=None, **values)


def key_with_principal(conn: Connection, prefix: str) -> tuple[KeyRow, PrincipalRow] | None:
    """The key with this prefix and its principal, in one query; None when the prefix is unknown."""
    row = conn.execute(_KEYS_WITH_PRINCIPALS.where(api_keys.c.prefix == prefix)).first()
    return _pair(row) if row is not None else None


def all_keys(conn: Connection) -> list[tuple[KeyRow, PrincipalRow]]:
    """Every key with its principal, oldest first."""
    return [_pair(row) for row in conn.execute(_KEYS_WITH_PRINCIPALS.order_by(api_keys.c.pk))]


def revoke_key(conn: Connection, prefix: str, *, at: datetime) -> bool:
    """Mark the key revoked at `at`; False when it was unknown or revoked already."""
    statement = (
        update(api_keys).where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None)).values(revoked_at=at)
    )
    return conn.execute(statement).rowcount == 1


def touch_key(conn: Connection, pk: int, *, at: datetime) -> None:
    """Record that the key was used at `at`."""
    conn.execute(update(api_keys).where(api_keys.c.pk == pk).values(last_used_at=at))


def _principal(row: Row[Any]) -> PrincipalRow:
    return PrincipalRow(**row._mapping)


def _pair(row: Row[Any]) -> tuple[KeyRow, PrincipalRow]:
    m = row._mapping
    key = KeyRow(**{c.name: m[c] for c in api_keys.columns})
    owner = PrincipalRow(**{c.name: m[c] for c in principals.columns})
    return key, owner
