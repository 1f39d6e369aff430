"""Roles between subjects over time, chiefly who was an organisation's legal representative on which days.

Each (organisation, role) has a timeline of non-overlapping periods, ends inclusive. Naming a new holder
from a day ends the period that covered that day on the day before; nothing is deleted, so the history of
who represented the company when stays answerable.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter
from typing import Any, overload

from sqlalchemy import Connection, Row, bindparam, or_, select, update

from xinyong.store import bulk_records, changes
from xinyong.store.schema import subject_roles

LEGAL_REPRESENTATIVE = "legal_representative"


@dataclass(frozen=True, slots=True)
class RoleRow:
    """A person holding a role in an organisation from `valid_from` to `valid_to` (inclusive; None: held)."""

    pk: int
    org_pk: int
    person_pk: int
    role: str
    valid_from: date
    valid_to: date | None
    source_record_pk: int | None

    def held_on(self, day: date) -> bool:
        """Whether the role was held on that day."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def set_holder(
    conn: Connection,
    org_pk: int,
    person_pk: int,
    valid_from: date,
    *,
    role: str = LEGAL_REPRESENTATIVE,
    source_record_pk: int | None = None,
) -> RoleRow:
    """Name `person_pk` holder of the role from `valid_from` until the next known change; idempotent."""
    timeline = [period for period in history(conn, org_pk, role=role) if _nonempty(period)]
    covering = next((period for period in timeline if period.held_on(valid_from)), None)
    if covering is not None and covering.person_pk == person_pk:
        return covering
    later = [period.valid_from for period in timeline if period.valid_from > valid_from]
    until = min(later) - timedelta(days=1) if later else None
    if covering is not None:
        # A period that started the same day ends before it began: the earlier claim, kept as history.
        conn.execute(
            update(subject_roles)
            .where(subject_roles.c.pk == covering.pk)
            .values(valid_to=valid_from - timedelta(days=1))
        )
    statement = subject_roles.insert().values(
        org_pk=org_pk,
        person_pk=person_pk,
        role=role,
        valid_from=valid_from,
        valid_to=until,
        source_record_pk=source_record_pk,
    )
    pk = conn.execute(statement.returning(subject_roles.c.pk)).scalar_one()
    changes.touch(conn, [org_pk, person_pk], "role")
    return RoleRow(pk, org_pk, person_pk, role, valid_from, until, source_record_pk)


def set_legal_rep(
    conn: Connection, org_pk: int, person_pk: int, valid_from: date, *, source_record_pk: int | None = None
) -> RoleRow:
    """Name the organisation's legal representative from `valid_from` on."""
    return set_holder(conn, org_pk, person_pk, valid_from, source_record_pk=source_record_pk)


def history(conn: Connection, org_pk: int, *, role: str = LEGAL_REPRESENTATIVE) -> list[RoleRow]:
    """Every period of the role in the organisation, earliest first."""
    query = (
        select(subject_roles)
        .where(subject_roles.c.org_pk == org_pk, subject_roles.c.role == role)
        .order_by(subject_roles.c.valid_from, subject_roles.c.pk)
    )
    return [_row(row) for row in conn.execute(query)]


def holder_on(conn: Connection, org_pk: int, day: date, *, role: str = LEGAL_REPRESENTATIVE) -> RoleRow | None:
    """Who held the role in the organisation on that day."""
    return next((period for period in history(conn, org_pk, role=role) if period.held_on(day)), None)


def held_by(
    conn: Connection, person_pk: int, *, on: date | None = None, role: str = LEGAL_REPRESENTATIVE
) -> list[RoleRow]:
    """The roles a person held (on a day, or ever), so a measure can reach them through an organisation."""
    query = select(subject_roles).where(subject_roles.c.person_pk == person_pk, subject_roles.c.role == role)
    if on is not None:
        query = query.where(
            subject_roles.c.valid_from <= on,
            or_(subject_roles.c.valid_to.is_(None), subject_roles.c.valid_to >= on),
        )
    rows = [_row(row) for row in conn.execute(query.order_by(subject_roles.c.valid_from, subject_roles.c.pk))]
    return [period for period in rows if _nonempty(period)]


def _nonempty(period: RoleRow) -> bool:
    return period.valid_to is None or period.valid_to >= period.valid_from


def _row(row: Row[Any]) -> RoleRow:
    return RoleRow(**row._mapping)


@dataclass(frozen=True, slots=True)
class RoleClaim:
    """A record's word that a person held a role in an organisation from a day on."""

    org_pk: int
    person_pk: int
    valid_from: date
    source_record_pk: int | None = None
    role: str = LEGAL_REPRESENTATIVE


@dataclass(slots=True)
class _Period:
    # A period being worked on in memory: pk None until inserted; `order` sorts it as history() would.
    pk: int | None
    person_pk: int
    valid_from: date
    valid_to: date | None
    source_record_pk: int | None
    order: int
    changed: bool = False

    def held_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def nonempty(self) -> bool:
        return self.valid_to is None or self.valid_to >= self.valid_from


def set_holders(conn: Connection, claims: Sequence[RoleClaim]) -> int:
    """Apply many claims at once, exactly as `set_holder` one after another in order of their first day.

    One read of the organisations' timelines and one write of what changed, however many claims: the ingest
    of a whole register names thousands of legal representatives per chunk. Returns the periods added.
    """
    if not claims:
        return 0
    timelines = _timelines(conn, {(claim.org_pk, claim.role) for claim in claims})
    fresh: list[tuple[tuple[int, str], _Period]] = []
    next_order = 1 + max((p.order for periods in timelines.values() for p in periods), default=0)
    for claim in _collapsed(claims, timelines):
        periods = timelines.setdefault((claim.org_pk, claim.role), [])
        timeline = sorted((p for p in periods if p.nonempty()), key=lambda p: (p.valid_from, p.order))
        covering = next((p for p in timeline if p.held_on(claim.valid_from)), None)
        if covering is not None and covering.person_pk == claim.person_pk:
            continue
        later = [p.valid_from for p in timeline if p.valid_from > claim.valid_from]
        until = min(later) - timedelta(days=1) if later else None
        if covering is not None:
            covering.valid_to = claim.valid_from - timedelta(days=1)
            covering.changed = True
        period = _Period(None, claim.person_pk, claim.valid_from, until, claim.source_record_pk, next_order)
        next_order += 1
        periods.append(period)
        fresh.append(((claim.org_pk, claim.role), period))
    ended = [
        {"target_pk": p.pk, "new_valid_to": p.valid_to}
        for periods in timelines.values()
        for p in periods
        if p.pk is not None and p.changed
    ]
    if ended:
        conn.execute(
            update(subject_roles)
            .where(subject_roles.c.pk == bindparam("target_pk"))
            .values(valid_to=bindparam("new_valid_to")),
            ended,
        )
    if fresh:  # on the bare driver (COPY on PostgreSQL): a register's load adds thousands per chunk
        names = ("org_pk", "person_pk", "role", "valid_from", "valid_to", "source_record_pk")
        rows = [(org, p.person_pk, role, p.valid_from, p.valid_to, p.source_record_pk) for (org, role), p in fresh]
        bulk_records.load_columns(conn, subject_roles, names, [list(column) for column in zip(*rows, strict=True)])
    return len(fresh)


def _collapsed(claims: Sequence[RoleClaim], timelines: dict[tuple[int, str], list[_Period]]) -> list[RoleClaim]:
    # The claims in the order they are applied (by organisation, role, first day), less those that cannot
    # change anything: a claim naming the same person as the one applied before it for the same role falls
    # in the period that one opened or found, unless a stored period starts or ends in between (a
    # register's load names the same representative in record after record).
    kept: list[RoleClaim] = []
    previous: RoleClaim | None = None
    starts: list[date] = []
    for claim in sorted(claims, key=lambda c: (c.org_pk, c.role, c.valid_from)):
        key = (claim.org_pk, claim.role)
        if previous is None or (previous.org_pk, previous.role) != key:
            stored = timelines.get(key, ())
            starts = sorted(
                [p.valid_from for p in stored] + [p.valid_to + timedelta(days=1) for p in stored if p.valid_to]
            )
        elif previous.person_pk == claim.person_pk and bisect_right(starts, claim.valid_from) == bisect_right(
            starts, previous.valid_from
        ):
            continue
        kept.append(claim)
        previous = claim
    return kept


def _timelines(conn: Connection, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], list[_Period]]:
    # Plain columns on the bare driver rather than RoleRow objects: a chunk of a register's load reads
    # thousands of these.
    columns = ("org_pk", "role", "pk", "person_pk", "valid_from", "valid_to", "source_record_pk")
    found: dict[tuple[int, str], list[_Period]] = {}
    rows = bulk_records.rows_for_keys(conn, subject_roles.name, columns, "org_pk", {org for org, _ in wanted})
    for org_pk, role, pk, person_pk, valid_from, valid_to, source in sorted(rows, key=itemgetter(2)):
        if (org_pk, role) in wanted:
            found.setdefault((org_pk, role), []).append(
                _Period(pk, person_pk, _day(valid_from), _day(valid_to), source, pk)
            )
    return found


@overload
def _day(value: date | str) -> date: ...
@overload
def _day(value: date | str | None) -> date | None: ...
def _day(value: date | str | None) -> date | None:
    # SQLite's driver gives the stored ISO text; PostgreSQL's a date.
    return date.fromisoformat(value) if isinstance(value, str) else value
