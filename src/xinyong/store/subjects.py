"""Subjects: the companies and people records resolve to, each with a stable internal key.

A subject's key is `S` followed by its pk zero-padded to eight digits (`S00000042`): short, stable for the
life of the database (pks are never reused, as subjects are never deleted), reproducible for a replayed
demo, and free of the identifier itself, so it can appear in a URL without revealing a resident ID.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, Row, select
from sqlalchemy.exc import IntegrityError

from xinyong.errors import Conflict
from xinyong.store import bulk_records, keys
from xinyong.store.engine import error_line
from xinyong.store.schema import subjects

KEY_PREFIX = "S"
KEY_DIGITS = 8
#: The columns of `subjects` in the order the bulk path writes them.
_COLUMNS = (
    "pk",
    "key",
    "kind",
    "id_kind",
    "id_value",
    "name",
    "name_norm",
    "allowlisted",
    "created_at",
    "created_by_batch",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class NewSubject:
    """A subject about to be created: linkage found no existing one for these records."""

    kind: str
    name: str
    name_norm: str
    id_kind: str | None = None
    id_value: str | None = None
    allowlisted: bool = False
    created_by_batch: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class SubjectRow(NewSubject):
    """A stored subject."""

    pk: int
    key: str
    created_at: datetime


def subject_key(pk: int) -> str:
    """The internal key of the subject with this pk."""
    return f"{KEY_PREFIX}{pk:0{KEY_DIGITS}d}"


def create(conn: Connection, subject: NewSubject, *, at: datetime) -> SubjectRow:
    """Store one new subject and return it with its key."""
    return create_many(conn, [subject], at=at)[0]


def create_many(conn: Connection, new: Sequence[NewSubject], *, at: datetime) -> list[SubjectRow]:
    """Store new subjects in one statement, in the order given; call inside a unit of work."""
    return [
        SubjectRow(
            pk=pk,
            key=subject_key(pk),
            created_at=at,
            kind=s.kind,
            name=s.name,
            name_norm=s.name_norm,
            id_kind=s.id_kind,
            id_value=s.id_value,
            allowlisted=s.allowlisted,
            created_by_batch=s.created_by_batch,
        )
        for pk, s in zip(insert_many(conn, new, at=at), new, strict=True)
    ]


def insert_many(conn: Connection, new: Sequence[NewSubject], *, at: datetime) -> list[int]:
    """`create_many` returning only the pks, in the order given: what ingestion needs of the thousands of
    subjects a chunk of a register creates (COPY on PostgreSQL, one executemany on SQLite)."""
    if not new:
        return []
    pks = keys.allocate(conn, subjects, len(new))
    rows = [
        (pk, subject_key(pk), s.kind, s.id_kind, s.id_value, s.name, s.name_norm, s.allowlisted, at, s.created_by_batch)
        for pk, s in zip(pks, new, strict=True)
    ]
    try:
        bulk_records.load_columns(conn, subjects, _COLUMNS, [list(column) for column in zip(*rows, strict=True)])
    except (IntegrityError, psycopg.IntegrityError) as exc:
        raise Conflict(f"subject cannot be created: {_first_line(exc)}", field="id_value") from None
    return pks


def get(conn: Connection, pk: int) -> SubjectRow | None:
    """A subject by pk."""
    return _one(conn, subjects.c.pk == pk)


def get_by_key(conn: Connection, key: str) -> SubjectRow | None:
    """A subject by its internal key (`S00000042`)."""
    return _one(conn, subjects.c.key == key)


def get_by_id_value(conn: Connection, id_value: str) -> SubjectRow | None:
    """A subject by its normalised strong identifier (USCC or resident ID)."""
    return _one(conn, subjects.c.id_value == id_value)


def get_many(conn: Connection, pks: Iterable[int]) -> dict[int, SubjectRow]:
    """Subjects by pk, for resolving many records at once."""
    wanted = sorted(set(pks))
    found: dict[int, SubjectRow] = {}
    for start in range(0, len(wanted), 500):
        query = select(subjects).where(subjects.c.pk.in_(wanted[start : start + 500]))
        found.update((row.pk, row) for row in map(_row, conn.execute(query)))
    return found


def by_id_values(conn: Connection, id_values: Iterable[str]) -> dict[str, SubjectRow]:
    """Subjects by strong identifier, for linking a whole batch by id in one pass."""
    wanted = sorted(set(id_values))
    found: dict[str, SubjectRow] = {}
    for start in range(0, len(wanted), 500):
        query = select(subjects).where(subjects.c.id_value.in_(wanted[start : start + 500]))
        for row in map(_row, conn.execute(query)):
            if row.id_value is not None:
                found[row.id_value] = row
    return found


def pks_by_id_values(conn: Connection, id_values: Iterable[str]) -> dict[str, tuple[int, str]]:
    """The pk and kind of the subject holding each identifier that is known: what ingestion needs to link a
    chunk's records, without building whole subjects."""
    found = bulk_records.rows_for_keys(conn, subjects.name, ("id_value", "pk", "kind"), "id_value", set(id_values))
    return {id_value: (pk, kind) for id_value, pk, kind in found}


def by_name_norm(conn: Connection, name_norm: str, *, kind: str | None = None) -> list[SubjectRow]:
    """Subjects whose normalised name is exactly this, by pk."""
    query = select(subjects).where(subjects.c.name_norm == name_norm)
    if kind is not None:
        query = query.where(subjects.c.kind == kind)
    return [_row(row) for row in conn.execute(query.order_by(subjects.c.pk))]


def _one(conn: Connection, condition: Any) -> SubjectRow | None:
    row = conn.execute(select(subjects).where(condition)).first()
    return _row(row) if row is not None else None


def _row(row: Row[Any]) -> SubjectRow:
    return SubjectRow(**row._mapping)


def _first_line(exc: IntegrityError | psycopg.IntegrityError) -> str:
    return error_line(exc) if isinstance(exc, IntegrityError) else str(exc).splitlines()[0]
