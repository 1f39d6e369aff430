"""Credit repair (信用修复): a subject asks for a record's publication and listing to end early.

Eligibility is the catalog's repair rule for the record type, checked at once: the type must be repairable;
the minimum publicity period for the record's severity must have passed (from the decision date), and for a
listing the months before early removal may be asked (from the listing's start); obligations must be shown
fulfilled when the rule requires it; a commitment letter must come with the application when required. An
ineligible application is refused on the spot, naming every rule it fails and the earliest day the time
rules let it succeed (null when it never can). An eligible one waits for the agency, which must decide
within the rule's working days.

Fulfilment is evidenced by the agency, never by the applicant's word: the record's status `fulfilled`, a
`fulfilled_on` or `paid_on` date the agency sent with it (kept in `extra`), or a separate record of the
same agency and decision number with status `fulfilled` (a fulfilment notice).

A granted repair makes a new version with status `repaired`, ending its effect the day before the grant
(CST): the record leaves public display, any listing it created ends and its measures lift, and after
`xinyong.screening.publish` the change feed carries the end of each measure. The old versions stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from xinyong.catalog.model import Catalog, RecordType
from xinyong.clock import Clock, cst_day
from xinyong.dates import add_months
from xinyong.domain.listings import Listing
from xinyong.domain.records import RecordVersion
from xinyong.due_process import notify
from xinyong.due_process.disclosure import WITHDRAWN, severity_of
from xinyong.due_process.lookup import Actor, clean_text, find_record, find_subject
from xinyong.due_process.versions import day_before, ended_on, histories, successor
from xinyong.errors import Conflict, InvalidInput
from xinyong.rules.listings import current_version, listings_for
from xinyong.store import RecordRow, Store, audit_rows, records, subjects
from xinyong.store import due_process as repo
from xinyong.store.audit_rows import Event
from xinyong.store.due_process import RepairRow
from xinyong.workdays import add_working_days

#: Fields in `extra` by which an agency reports the day an obligation was met.
FULFILMENT_FIELDS = ("fulfilled_on", "paid_on")
#: The longest commitment letter kept.
COMMITMENT_MAX = 20_000


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The verdict on an application: whether it may go to the agency, why, and the earliest day it could."""

    eligible: bool
    reason: str
    earliest: date | None


@dataclass(frozen=True, slots=True)
class Decided:
    """A repair application after its decision, and the version a grant made."""

    application: RepairRow
    version: RecordRow | None

    def as_dict(self) -> dict[str, Any]:
        a = self.application
        return {
            "application": a.key,
            "record": a.record_key,
            "status": a.status,
            "reason": a.decision_reason,
            "version": self.version.version if self.version is not None else None,
        }


def fulfilment_evidence(version: RecordVersion, others: Sequence[RecordVersion]) -> str | None:
    """What shows the record's obligations were met, as the agency reported it; None when nothing does."""
    if version.status == "fulfilled":
        return "the agency reported the record fulfilled"
    for name in FULFILMENT_FIELDS:
        value = version.extra.get(name)
        if isinstance(value, str) and value.strip():
            return f"the agency reported {name} {value.strip()}"
    if version.decision_no:
        for other in others:
            if (
                other.key != version.key
                and other.agency == version.agency
                and other.decision_no == version.decision_no
                and other.status == "fulfilled"
            ):
                return f"fulfilment record {other.key} of the same decision"
    return None


def eligibility(
    record_type: RecordType,
    version: RecordVersion,
    listing: Listing | None,
    *,
    fulfilled_by: str | None,
    commitment: bool,
    today: date,
) -> Eligibility:
    """Check an application against the catalog's repair rule for the record type (a pure function)."""
    rule = record_type.repair
    if rule is None:
        return Eligibility(
            False, f"{record_type.code} records cannot be repaired: the catalog has no repair rule", None
        )
    if not rule.repairable:
        why = f" ({rule.note.strip()})" if rule.note else ""
        return Eligibility(
            False, f"{record_type.code} records cannot be repaired: the catalog's repair rule excludes it{why}", None
        )
    if version.status in WITHDRAWN:
        return Eligibility(False, f"the record is {version.status} already; there is nothing to repair", None)
    basis = f" ({rule.legal_basis})" if rule.legal_basis else ""
    waits: list[tuple[date, str]] = []
    if record_type.publicity is not None:
        severity = severity_of(version)
        period = record_type.publicity.get(severity)
        months = period.min_months if period is not None else max(p.min_months for p in record_type.publicity.values())
        waits.append(
            (
                add_months(version.decided_on, months),
                f"the minimum publicity period for a {severity} {record_type.code} is {months} months "
                f"from the decision on {version.decided_on}",
            )
        )
    if listing is not None and rule.early_removal_after_months:
        months = rule.early_removal_after_months
        waits.append(
            (
                add_months(listing.start, months),
                f"early removal from {listing.list_code} may be asked {months} months after listing on {listing.start}",
            )
        )
    time_ok = max((day for day, _ in waits), default=None)
    failures = [f"{why}, so not before {day}{basis}" for day, why in waits if today < day]
    if rule.requires_fulfilment and fulfilled_by is None:
        failures.append(
            "the obligations are not shown fulfilled: the agency has not reported the record fulfilled "
            f"(status fulfilled, a fulfilled_on or paid_on date, or a fulfilment record){basis}"
        )
    if rule.requires_commitment and not commitment:
        failures.append(f"a credit-repair commitment letter (信用修复承诺书) must come with the application{basis}")
    if failures:
        earliest = max(time_ok, today) if time_ok is not None else today
        return Eligibility(False, "; ".join(failures), earliest)
    met = [f"{why} (passed on {day})" for day, why in waits]
    if fulfilled_by is not None and rule.requires_fulfilment:
        met.append(f"obligations fulfilled: {fulfilled_by}")
    if rule.requires_commitment:
        met.append("commitment letter given")
    return Eligibility(True, ("eligible: " + "; ".join(met)) if met else "eligible", time_ok)


def apply(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    *,
    subject: str,
    record: str,
    commitment: str | None,
    by: Actor,
) -> RepairRow:
    """File an application; it is refused at once or sent to the agency with its deadline."""
    letter = _letter(commitment)
    now = clock.now()
    today = cst_day(now)
    with store.unit_of_work() as conn:
        who = find_subject(conn, subject)
        row = find_record(conn, catalog, who, record)
        record_type = catalog.record_types.get(row.record_type)
        if record_type is None:
            raise InvalidInput(f"record type {row.record_type!r} is not in the catalog", field="record")
        pending = repo.pending_repair(conn, row.agency, row.record_id)
        if pending is not None:
            raise Conflict(
                f"record {row.agency}:{row.record_id} already has pending application {pending.key}", field="record"
            )
        by_record = histories(records.for_subject(conn, who.pk, current_only=False), who.key)
        key = f"{row.agency}:{row.record_id}"
        listing = next((x for x in listings_for(by_record.values(), catalog) if x.record_key == key), None)
        currents = [v for h in by_record.values() if (v := current_version(h)) is not None]
        version = next(v for v in currents if v.key == key)
        verdict = eligibility(
            record_type,
            version,
            listing,
            fulfilled_by=fulfilment_evidence(version, currents),
            commitment=letter is not None,
            today=today,
        )
        rule = record_type.repair
        deadline = add_working_days(today, rule.decide_working_days) if verdict.eligible and rule is not None else None
        reason = verdict.reason + (f"; the agency decides by {deadline}" if deadline is not None else "")
        filed = repo.insert_repair(
            conn,
            repo.NewRepair(
                agency=row.agency,
                record_id=row.record_id,
                subject_pk=who.pk,
                filed_by=by.name,
                filed_at=now,
                status="pending" if verdict.eligible else "refused",
                reason=reason[:4000],
                earliest=verdict.earliest,
                commitment=letter,
                deadline=deadline,
            ),
        )
        about = f"repair:{filed.key}"
        if verdict.eligible:
            zh = f"您对记录 {key} 的信用修复申请已受理，{row.agency} 应于 {deadline} 前作出决定。"
            en = f"Your repair application for {key} was accepted; {row.agency} must decide by {deadline}."
        else:
            later = f"最早可于 {verdict.earliest} 再次申请。" if verdict.earliest else "该记录不能修复。"
            zh = f"您对记录 {key} 的信用修复申请不符合条件：{verdict.reason}。{later}"
            en = f"Your repair application for {key} was refused: {verdict.reason}." + (
                f" It could succeed from {verdict.earliest}." if verdict.earliest else " The record cannot be repaired."
            )
        audit_rows.record(
            conn,
            [
                Event(
                    now,
                    by.name,
                    by.role,
                    "repair.apply",
                    about,
                    result=filed.status,
                    detail={
                        "record": key,
                        "subject": who.key,
                        "reason": filed.reason,
                        "earliest": verdict.earliest.isoformat() if verdict.earliest else None,
                        "deadline": deadline.isoformat() if deadline else None,
                        "commitment": letter is not None,
                    },
                ),
                notify.message(
                    who, at=now, by=by, about=about, event=f"repair.{filed.status}", record=key, zh=zh, en=en
                ),
            ],
        )
    return filed


def decide(store: Store, clock: Clock, key: str, *, grant: bool, reason: str, by: Actor) -> Decided:
    """The agency's decision on a pending application: grant ends the record's effect from today."""
    text = clean_text(reason, "reason")
    now = clock.now()
    with store.unit_of_work() as conn:
        application = repo.get_repair(conn, key, lock=True)
        if application.status != "pending":
            raise Conflict(
                f"application {application.key} was already decided ({application.status})", field="application"
            )
        who = subjects.get(conn, application.subject_pk)
        old = records.current(conn, application.agency, application.record_id, lock=True)
        if who is None or old is None:
            raise Conflict(f"record {application.record_key} has no current version to repair", field="application")
        about = f"repair:{application.key}"
        version: RecordRow | None = None
        if grant:
            if old.status in WITHDRAWN:
                raise Conflict(f"record {application.record_key} is {old.status} already", field="application")
            data = successor(old, about, {"status": "repaired", "valid_to": ended_on(old, day_before(now))})
            version = records.supersede(conn, data, at=now)
        status = "granted" if grant else "refused_after_review"
        repo.decide_repair(
            conn,
            application.pk,
            status=status,
            decided_by=by.name,
            decided_at=now,
            reason=text,
            new_version_pk=version.pk if version is not None else None,
        )
        decided = repo.get_repair(conn, application.key)
        record = application.record_key
        if grant:
            zh = f"您对记录 {record} 的信用修复申请已批准，该记录自 {cst_day(now)} 起停止公示，相关名单与措施同时解除。"
            en = (
                f"Your repair of {record} was granted: it is no longer published from {cst_day(now)}, "
                "and its listing and measures end."
            )
        else:
            zh = f"您对记录 {record} 的信用修复申请未获批准。理由：{text}"
            en = f"Your repair application for {record} was refused after review. Reason: {text}"
        audit_rows.record(
            conn,
            [
                Event(
                    now,
                    by.name,
                    by.role,
                    f"repair.{'grant' if grant else 'refuse'}",
                    about,
                    result=status,
                    detail={
                        "record": record,
                        "subject": who.key,
                        "reason": text,
                        "version": version.version if version is not None else None,
                    },
                ),
                notify.message(who, at=now, by=by, about=about, event=f"repair.{status}", record=record, zh=zh, en=en),
            ],
        )
    return Decided(decided, version)


def _letter(commitment: str | None) -> str | None:
    if commitment is None:
        return None
    text = commitment.strip()
    if not text:
        raise InvalidInput("the commitment letter is empty", field="commitment")
    if len(text) > COMMITMENT_MAX:
        raise InvalidInput(f"must be at most {COMMITMENT_MAX} characters (got {len(text)})", field="commitment")
    return text
