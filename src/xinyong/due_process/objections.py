"""Objections (异议): a subject contests one of its records; the agency that supplied it must decide by a
deadline the catalog sets, counted in working days (holidays and make-up days included) or calendar days.

While an objection is undecided the record is contested on every view. The agency upholds it — the record
is withdrawn (a new version with status `revoked`, ending its effect the day before the decision) or
corrected (a new version with the corrected fields) — or rejects it with a reason, and the record stays in
force meanwhile and after (SPC defaulter provisions Art. 11-12: the listing stays in effect during review).
A deadline that passes undecided escalates the objection to the operator the next time anyone looks: no
job has to run for it. Every step is audited and told to the subject in the same transaction.

Call `xinyong.screening.publish` after a decision so the platforms' change feed carries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from xinyong.catalog.model import Catalog, RecordType
from xinyong.clock import Clock, cst_day
from xinyong.due_process import notify
from xinyong.due_process.corrections import checked_changes
from xinyong.due_process.lookup import SYSTEM_ACTOR, Actor, clean_text, find_record, find_subject
from xinyong.due_process.versions import day_before, ended_on, successor
from xinyong.errors import Conflict, InvalidInput
from xinyong.store import Connection, RecordRow, Store, audit_rows, records, subjects
from xinyong.store import due_process as repo
from xinyong.store.audit_rows import Event
from xinyong.store.due_process import ObjectionRow
from xinyong.workdays import add_working_days

Decision = Literal["withdraw", "correct", "reject"]
#: The operator's name for escalations in the audit log.
ESCALATION = Actor(SYSTEM_ACTOR, "operator")


@dataclass(frozen=True, slots=True)
class Decided:
    """An objection after its decision, and the record version the decision made (None for a rejection)."""

    objection: ObjectionRow
    version: RecordRow | None

    def as_dict(self) -> dict[str, Any]:
        o = self.objection
        return {
            "objection": o.key,
            "record": o.record_key,
            "status": o.status,
            "outcome": o.outcome,
            "reason": o.reason,
            "version": self.version.version if self.version is not None else None,
        }


def deadline_for(record_type: RecordType, filed_on: date) -> date:
    """The last day for the agency's decision: `objection_days` working days after filing (the filing day
    not counted), or calendar days when the governing rule counts those."""
    if record_type.objection_day_kind == "working":
        return add_working_days(filed_on, record_type.objection_days)
    return filed_on + timedelta(days=record_type.objection_days)


def file(
    store: Store, catalog: Catalog, clock: Clock, *, subject: str, record: str, grounds: str, by: Actor
) -> ObjectionRow:
    """File an objection to one of the subject's records; it is contested from this moment."""
    text = clean_text(grounds, "grounds")
    now = clock.now()
    today = cst_day(now)
    with store.unit_of_work() as conn:
        who = find_subject(conn, subject)
        row = find_record(conn, catalog, who, record)
        record_type = catalog.record_types.get(row.record_type)
        if record_type is None:
            raise InvalidInput(f"record type {row.record_type!r} is not in the catalog", field="record")
        already = repo.contested_records(conn, who.pk).get(_key(row))
        if already is not None:
            raise Conflict(f"record {_key(row)} is already contested by objection {already}", field="record")
        filed = repo.insert_objection(
            conn,
            repo.NewObjection(
                agency=row.agency,
                record_id=row.record_id,
                subject_pk=who.pk,
                grounds=text,
                filed_by=by.name,
                filed_at=now,
                deadline=deadline_for(record_type, today),
                deadline_kind=record_type.objection_day_kind,
            ),
        )
        audit_rows.record(
            conn,
            [
                Event(
                    now,
                    by.name,
                    by.role,
                    "objection.file",
                    f"objection:{filed.key}",
                    detail={
                        "record": filed.record_key,
                        "subject": who.key,
                        "agency": row.agency,
                        "deadline": filed.deadline.isoformat(),
                        "deadline_kind": filed.deadline_kind,
                        "basis": record_type.objection_basis,
                    },
                ),
                notify.message(
                    who,
                    at=now,
                    by=by,
                    about=f"objection:{filed.key}",
                    event="objection.filed",
                    record=filed.record_key,
                    zh=f"您对记录 {filed.record_key} 的异议已受理，{row.agency} 应于 {filed.deadline} 前作出处理。",
                    en=f"Your objection to {filed.record_key} was received; "
                    f"{row.agency} must decide by {filed.deadline}.",
                ),
            ],
        )
    return filed


def decide(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    key: str,
    *,
    decision: Decision,
    reason: str,
    by: Actor,
    corrections: Mapping[str, Any] | None = None,
) -> Decided:
    """The agency's decision: withdraw or correct the record (upheld), or reject with a reason."""
    text = clean_text(reason, "reason")
    if decision == "correct" and not corrections:
        raise InvalidInput("an upheld objection that corrects needs the corrected fields", field="correct")
    if decision != "correct" and corrections:
        raise InvalidInput("corrections are given only with --correct", field="correct")
    now = clock.now()
    today = cst_day(now)
    with store.unit_of_work() as conn:
        escalate_overdue(conn, now)
        objection = repo.get_objection(conn, key, lock=True)
        if not objection.undecided:
            raise Conflict(f"objection {objection.key} was already decided ({objection.status})", field="objection")
        who = subjects.get(conn, objection.subject_pk)
        old = records.current(conn, objection.agency, objection.record_id, lock=True)
        if who is None or old is None:
            raise Conflict(f"record {objection.record_key} has no current version to decide on", field="objection")
        cause = f"objection:{objection.key}"
        version: RecordRow | None = None
        if decision == "withdraw":
            data = successor(old, cause, {"status": "revoked", "valid_to": ended_on(old, day_before(now))})
            version = records.supersede(conn, data, at=now)
        elif decision == "correct":
            assert corrections is not None
            version = records.supersede(
                conn, successor(old, cause, checked_changes(catalog, old, corrections, today)), at=now
            )
        status = "rejected" if decision == "reject" else "upheld"
        outcome = None if decision == "reject" else decision
        repo.decide_objection(
            conn,
            objection.pk,
            status=status,
            outcome=outcome,
            decided_by=by.name,
            decided_at=now,
            reason=text,
            new_version_pk=version.pk if version is not None else None,
        )
        decided = repo.get_objection(conn, objection.key)
        told_zh, told_en = _outcome_text(decided, version)
        audit_rows.record(
            conn,
            [
                Event(
                    now,
                    by.name,
                    by.role,
                    f"objection.{'reject' if decision == 'reject' else 'uphold'}",
                    cause,
                    detail={
                        "record": objection.record_key,
                        "subject": who.key,
                        "outcome": outcome,
                        "reason": text,
                        "version": version.version if version is not None else None,
                        "fields": sorted(corrections) if corrections else [],
                    },
                ),
                notify.message(
                    who,
                    at=now,
                    by=by,
                    about=cause,
                    event=f"objection.{status}",
                    record=objection.record_key,
                    zh=told_zh,
                    en=told_en,
                ),
            ],
        )
    return Decided(decided, version)


def undecided(
    store: Store, clock: Clock, *, overdue_only: bool = False, agency: str | None = None
) -> list[ObjectionRow]:
    """Objections waiting for a decision, earliest deadline first; missed deadlines are escalated first."""
    now = clock.now()
    with store.unit_of_work() as conn:
        escalate_overdue(conn, now)
        rows = repo.undecided_objections(conn, due_before=cst_day(now) if overdue_only else None)
    return [row for row in rows if agency is None or row.agency == agency]


def escalate_due(store: Store, now: datetime) -> int:
    """Escalate missed deadlines, looking first on a read connection so that a read of a file takes the
    write lock only on the rare occasion that a deadline has just passed; returns how many were escalated."""
    with store.connect() as conn:
        due = any(row.status == "open" for row in repo.undecided_objections(conn, due_before=cst_day(now)))
    if not due:
        return 0
    with store.unit_of_work() as conn:
        return len(escalate_overdue(conn, now))


def escalate_overdue(conn: Connection, now: datetime) -> list[ObjectionRow]:
    """Escalate every open objection whose deadline passed before today (CST) to the operator, audited and
    told to the subject; called whenever objections are read, so a missed deadline needs no job to notice."""
    due = [row for row in repo.undecided_objections(conn, due_before=cst_day(now)) if row.status == "open"]
    if not due:
        return []
    escalated = repo.escalate_objections(conn, [row.pk for row in due], at=now)
    late = [row for row in due if row.pk in escalated]
    events: list[Event] = []
    people = subjects.get_many(conn, {row.subject_pk for row in late})
    for row in late:
        about = f"objection:{row.key}"
        events.append(
            Event(
                now,
                ESCALATION.name,
                ESCALATION.role,
                "objection.escalate",
                about,
                result="escalated",
                detail={"record": row.record_key, "agency": row.agency, "deadline": row.deadline.isoformat()},
            )
        )
        who = people.get(row.subject_pk)
        if who is not None:
            events.append(
                notify.message(
                    who,
                    at=now,
                    by=ESCALATION,
                    about=about,
                    event="objection.escalated",
                    record=row.record_key,
                    zh=f"{row.agency} 未在 {row.deadline} 前处理您的异议，已移交运营方督办。",
                    en=f"{row.agency} did not decide your objection by {row.deadline}; "
                    "it was escalated to the operator.",
                )
            )
    audit_rows.record(conn, events)
    return [repo.get_objection(conn, row.key) for row in late]


def _key(row: RecordRow) -> str:
    return f"{row.agency}:{row.record_id}"


def _outcome_text(objection: ObjectionRow, version: RecordRow | None) -> tuple[str, str]:
    record, reason = objection.record_key, objection.reason
    if objection.outcome == "withdraw":
        return (
            f"您的异议成立，记录 {record} 已撤销。理由：{reason}",
            f"Your objection was upheld and {record} was withdrawn. Reason: {reason}",
        )
    if objection.outcome == "correct":
        n = version.version if version is not None else "?"
        return (
            f"您的异议成立，记录 {record} 已更正（第 {n} 版）。理由：{reason}",
            f"Your objection was upheld and {record} was corrected (version {n}). Reason: {reason}",
        )
    return (
        f"您的异议未获支持，记录 {record} 维持不变。理由：{reason}",
        f"Your objection was rejected and {record} stands. Reason: {reason}",
    )
