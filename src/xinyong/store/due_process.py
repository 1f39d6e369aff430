"""What due process reads and writes: objections, repair applications and notices of listing, and the
audit entries a subject may see about itself (who read or checked it, and what it was told).

Keys are a letter and the pk zero-padded to eight digits (`O00000001`, `R00000001`, `N00000001`), handed
out before the insert as subjects' are. Decisions update a row only from the state they expect, so two
people deciding the same objection at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.exc import IntegrityError

from xinyong.audit.entries import AuditRow
from xinyong.errors import Conflict, NotFound
from xinyong.store import keys
from xinyong.store.engine import error_line
from xinyong.store.schema import audit_log
from xinyong.store.schema_due_process import UNDECIDED, notices, objections, repairs

KEY_DIGITS = 8


@dataclass(frozen=True, kw_only=True, slots=True)
class NewObjection:
    """An objection as filed: which record, whose, on what grounds, and the agency's deadline."""

    agency: str
    record_id: str
    subject_pk: int
    grounds: str
    filed_by: str
    filed_at: datetime
    deadline: date
    deadline_kind: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ObjectionRow(NewObjection):
    """A stored objection and where it stands."""

    pk: int
    key: str
    status: str = "open"
    outcome: str | None = None
    escalated_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    new_version_pk: int | None = None

    @property
    def record_key(self) -> str:
        """`agency:record_id` of the record objected to."""
        return f"{self.agency}:{self.record_id}"

    @property
    def undecided(self) -> bool:
        """Whether the agency has yet to decide (open, or escalated for a missed deadline)."""
        return self.status in UNDECIDED


@dataclass(frozen=True, kw_only=True, slots=True)
class NewRepair:
    """A repair application as filed, with the eligibility verdict it got at once."""

    agency: str
    record_id: str
    subject_pk: int
    filed_by: str
    filed_at: datetime
    status: str
    reason: str
    earliest: date | None = None
    commitment: str | None = None
    deadline: date | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class RepairRow(NewRepair):
    """A stored repair application."""

    pk: int
    key: str
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    new_version_pk: int | None = None

    @property
    def record_key(self) -> str:
        """`agency:record_id` of the record to be repaired."""
        return f"{self.agency}:{self.record_id}"


@dataclass(frozen=True, kw_only=True, slots=True)
class NewNotice:
    """A notice of an intended listing and the day it was served on the subject."""

    agency: str
    record_id: str
    subject_pk: int | None
    list_code: str
    served_on: date
    served_by: str
    recorded_at: datetime
    new_version_pk: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class NoticeRow(NewNotice):
    """A stored notice."""

    pk: int
    key: str

    @property
    def record_key(self) -> str:
        return f"{self.agency}:{self.record_id}"


# -- objections ------------------------------------------------------------------------------------


def insert_objection(conn: Connection, new: NewObjection) -> ObjectionRow:
    """Store a new open objection; a record with an undecided objection already is a Conflict."""
    pk = keys.allocate(conn, objections, 1)[0]
    row = ObjectionRow(pk=pk, key=_key("O", pk), **_values(new))
    _insert(conn, objections, row, f"record {new.agency}:{new.record_id} already has an undecided objection")
    return row


def get_objection(conn: Connection, key: str, *, lock: bool = False) -> ObjectionRow:
    """One objection by key; an unknown key is NotFound."""
    query = select(objections).where(objections.c.key == key.strip().upper())
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"no objection has key {key!r}", field="objection")
    return ObjectionRow(**row._mapping)


def objections_for_subject(conn: Connection, subject_pk: int) -> list[ObjectionRow]:
    """Every objection about one subject's records, oldest first."""
    query = select(objections).where(objections.c.subject_pk == subject_pk).order_by(objections.c.pk)
    return [ObjectionRow(**row._mapping) for row in conn.execute(query)]


def undecided_objections(conn: Connection, *, due_before: date | None = None) -> list[ObjectionRow]:
    """Objections waiting for a decision, by deadline; with `due_before`, only those whose deadline is earlier."""
    query = select(objections).where(objections.c.status.in_(UNDECIDED))
    if due_before is not None:
        query = query.where(objections.c.deadline < due_before)
    query = query.order_by(objections.c.deadline, objections.c.pk)
    return [ObjectionRow(**row._mapping) for row in conn.execute(query)]


def contested_records(conn: Connection, subject_pk: int) -> dict[str, str]:
    """Record key → the undecided objection that contests it, for one subject's records."""
    query = select(objections.c.agency, objections.c.record_id, objections.c.key).where(
        objections.c.subject_pk == subject_pk, objections.c.status.in_(UNDECIDED)
    )
    return {f"{agency}:{record_id}": key for agency, record_id, key in conn.execute(query)}


def escalate_objections(conn: Connection, pks: Sequence[int], *, at: datetime) -> set[int]:
    """Mark open objections escalated (their deadline passed); returns the pks this call escalated, so two
    callers racing never both report the same escalation."""
    if not pks:
        return set()
    statement = (
        update(objections)
        .where(objections.c.pk.in_(list(pks)), objections.c.status == "open")
        .values(status="escalated", escalated_at=at)
        .returning(objections.c.pk)
    )
    return {int(pk) for pk in conn.execute(statement).scalars()}


def decide_objection(
    conn: Connection,
    pk: int,
    *,
    status: str,
    outcome: str | None,
    decided_by: str,
    decided_at: datetime,
    reason: str,
    new_version_pk: int | None,
) -> None:
    """Record the agency's decision on an undecided objection; a decided one is a Conflict."""
    statement = (
        update(objections)
        .where(objections.c.pk == pk, objections.c.status.in_(UNDECIDED))
        .values(
            status=status,
            outcome=outcome,
            decided_by=decided_by,
            decided_at=decided_at,
            reason=reason,
            new_version_pk=new_version_pk,
        )
    )
    if conn.execute(statement).rowcount != 1:
        raise Conflict("the objection was decided by someone else meanwhile", field="objection")


# -- repairs ---------------------------------------------------------------------------------------


def insert_repair(conn: Connection, new: NewRepair) -> RepairRow:
    """Store a repair application; a second pending one for the same record is a Conflict."""
    pk = keys.allocate(conn, repairs, 1)[0]
    row = RepairRow(pk=pk, key=_key("R", pk), **_values(new))
    _insert(conn, repairs, row, f"record {new.agency}:{new.record_id} already has a pending repair application")
    return row


def get_repair(conn: Connection, key: str, *, lock: bool = False) -> RepairRow:
    """One repair application by key; an unknown key is NotFound."""
    query = select(repairs).where(repairs.c.key == key.strip().upper())
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"no repair application has key {key!r}", field="application")
    return RepairRow(**row._mapping)


def repairs_for_subject(conn: Connection, subject_pk: int) -> list[RepairRow]:
    """Every repair application about one subject's records, oldest first."""
    query = select(repairs).where(repairs.c.subject_pk == subject_pk).order_by(repairs.c.pk)
    return [RepairRow(**row._mapping) for row in conn.execute(query)]


def pending_repair(conn: Connection, agency: str, record_id: str) -> RepairRow | None:
    """The pending application for a record, if there is one."""
    query = select(repairs).where(
        repairs.c.agency == agency, repairs.c.record_id == record_id, repairs.c.status == "pending"
    )
    row = conn.execute(query).first()
    return RepairRow(**row._mapping) if row is not None else None


def decide_repair(
    conn: Connection,
    pk: int,
    *,
    status: str,
    decided_by: str,
    decided_at: datetime,
    reason: str,
    new_version_pk: int | None,
) -> None:
    """Record the decision on a pending application; one decided already is a Conflict."""
    statement = (
        update(repairs)
        .where(repairs.c.pk == pk, repairs.c.status == "pending")
        .values(
            status=status,
            decided_by=decided_by,
            decided_at=decided_at,
            decision_reason=reason,
            new_version_pk=new_version_pk,
        )
    )
    if conn.execute(statement).rowcount != 1:
        raise Conflict("the repair application was decided by someone else meanwhile", field="application")


# -- notices ---------------------------------------------------------------------------------------


def insert_notice(conn: Connection, new: NewNotice) -> NoticeRow:
    """Store a served notice."""
    pk = keys.allocate(conn, notices, 1)[0]
    row = NoticeRow(pk=pk, key=_key("N", pk), **_values(new))
    _insert(conn, notices, row, "the notice cannot be stored")
    return row


def link_notice_version(conn: Connection, pk: int, version_pk: int) -> None:
    """Name the record version that carries a notice's served day."""
    conn.execute(update(notices).where(notices.c.pk == pk).values(new_version_pk=version_pk))


def get_notice(conn: Connection, key: str) -> NoticeRow:
    """One notice by key; an unknown key is NotFound."""
    row = conn.execute(select(notices).where(notices.c.key == key.strip().upper())).first()
    if row is None:
        raise NotFound(f"no notice has key {key!r}", field="notice")
    return NoticeRow(**row._mapping)


def notices_for_subject(conn: Connection, subject_pk: int) -> list[NoticeRow]:
    """Every notice served on one subject, oldest first."""
    query = select(notices).where(notices.c.subject_pk == subject_pk).order_by(notices.c.pk)
    return [NoticeRow(**row._mapping) for row in conn.execute(query)]


def notices_for_record(conn: Connection, agency: str, record_id: str) -> list[NoticeRow]:
    """Every notice served about one record, oldest first."""
    query = select(notices).where(notices.c.agency == agency, notices.c.record_id == record_id).order_by(notices.c.pk)
    return [NoticeRow(**row._mapping) for row in conn.execute(query)]


# -- what a subject may see of the audit log -------------------------------------------------------


def entries_about(
    conn: Connection, objects: Collection[str], actions: Collection[str], *, limit: int = 200
) -> list[AuditRow]:
    """The newest audit entries about these objects with these actions, newest first."""
    if not objects or not actions:
        return []
    query = (
        select(audit_log)
        .where(audit_log.c.object.in_(sorted(objects)), audit_log.c.action.in_(sorted(actions)))
        .order_by(audit_log.c.seq.desc())
        .limit(limit)
    )
    return [AuditRow(**row._mapping) for row in conn.execute(query)]


def _key(letter: str, pk: int) -> str:
    return f"{letter}{pk:0{KEY_DIGITS}d}"


def _values(new: object) -> dict[str, Any]:
    return {f.name: getattr(new, f.name) for f in fields(new)}  # type: ignore[arg-type]


def _insert(conn: Connection, table: Table, row: object, conflict: str) -> None:
    try:
        conn.execute(table.insert().values(**_values(row)))
    except IntegrityError as exc:
        raise Conflict(f"{conflict} ({error_line(exc)})", field="record") from None
