"""The review queue: a person confirms the proposed subject, rejects it, or attaches the record to
another subject. Each decision changes the record's link and writes its audit entry in one unit of work.

A confirmation makes the link `confirmed`, the only link besides `id` through which a measure may
reach a subject. A rejection gives the record a new subject of its own (`new`) rather than leaving it
pending, so it does not come back to the queue with the same proposal; the rejected pair is remembered
and never proposed again for that record, whatever version of it arrives later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from xinyong.clock import Clock
from xinyong.errors import Conflict, InvalidInput, NotFound
from xinyong.ids.model import compact
from xinyong.store import LinkUpdate, NewSubject, Store
from xinyong.store import linkage as store_linkage
from xinyong.store import records as store_records
from xinyong.store import subjects as store_subjects
from xinyong.store.audit_rows import Event, record
from xinyong.store.linkage import Connection, ReviewItemRow
from xinyong.store.records import RecordRow
from xinyong.store.subjects import SubjectRow
from xinyong.text import normalize_name, normalize_org_name

Decision = Literal["confirm", "reject", "assign"]
ROLE: Final = "operator"
MAX_REASON: Final = 1000


@dataclass(frozen=True)
class ReviewView:
    """A review item as an operator sees it: the record, what it says, and the proposed subjects."""

    item: int
    status: str
    source: str
    run: str
    record: str
    kind: str
    name: str
    id_as_written: str | None
    probability: float
    candidates: list[dict[str, Any]]
    decided_by: str | None
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        """The item as `xinyong review list --json` prints it."""
        return {
            "item": self.item,
            "status": self.status,
            "source": self.source,
            "run": self.run,
            "record": self.record,
            "kind": self.kind,
            "name": self.name,
            "id_as_written": self.id_as_written,
            "probability": round(self.probability, 6),
            "candidates": self.candidates,
            "decided_by": self.decided_by,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ReviewOutcome:
    """What a decision did: the record, its new link and the subject it now belongs to."""

    item: int
    decision: Decision
    record: str
    link: str
    subject: str

    def as_dict(self) -> dict[str, Any]:
        """The outcome as `xinyong review confirm|reject|assign --json` prints it."""
        return {
            "item": self.item,
            "decision": self.decision,
            "record": self.record,
            "link": self.link,
            "subject": self.subject,
        }


def list_items(store: Store, *, status: str | None = "open", limit: int | None = None) -> list[ReviewView]:
    """Review items with their records and candidates, oldest first (open ones unless asked otherwise)."""
    if status is not None and status not in ("open", "confirmed", "rejected", "reassigned"):
        raise InvalidInput(f"unknown review status {status!r}", field="status")
    with store.connect() as conn:
        items = store_linkage.review_list(conn, status=status, limit=limit)
        wanted = {c["subject_pk"] for item in items for c in item.candidates}
        subjects = store_subjects.get_many(conn, wanted)
        views = []
        for item in items:
            row = store_records.get(conn, item.record_pk)
            assert row is not None  # the foreign key guarantees it
            views.append(_view(item, row, subjects))
    return views


def _view(item: ReviewItemRow, row: RecordRow, subjects: dict[int, SubjectRow]) -> ReviewView:
    candidates = []
    for c in item.candidates:
        subject = subjects.get(int(c["subject_pk"]))
        candidates.append(
            {
                "subject": subject.key if subject else c.get("subject"),
                "name": subject.name if subject else None,
                "probability": round(float(c["probability"]), 6),
                "match_weight": round(float(c["match_weight"]), 3),
            }
        )
    return ReviewView(
        item=item.pk,
        status=item.status,
        source=item.source,
        run=item.run,
        record=item.record_key,
        kind=row.subject_kind,
        name=row.subject_name,
        id_as_written=row.subject_id_raw,
        probability=item.probability,
        candidates=candidates,
        decided_by=item.decided_by,
        reason=item.reason,
    )


def confirm(store: Store, clock: Clock, item: int, *, by: str, reason: str) -> ReviewOutcome:
    """Attach the record to the proposed subject (`confirmed`)."""
    with store.unit_of_work() as conn:
        review, row = _open_item(conn, item)
        subject = store_subjects.get(conn, review.subject_pk)
        assert subject is not None  # the foreign key guarantees it
        return _decide(conn, clock, review, row, subject, "confirm", "confirmed", "confirmed", by, reason)


def reject(store: Store, clock: Clock, item: int, *, by: str, reason: str) -> ReviewOutcome:
    """Refuse every proposed subject: the record gets a subject of its own (`new`)."""
    with store.unit_of_work() as conn:
        review, row = _open_item(conn, item)
        norm = normalize_org_name(row.subject_name) if row.subject_kind == "org" else normalize_name(row.subject_name)
        subject = store_subjects.create(
            conn, NewSubject(kind=row.subject_kind, name=row.subject_name, name_norm=norm), at=clock.now()
        )
        return _decide(conn, clock, review, row, subject, "reject", "rejected", "new", by, reason)


def assign(store: Store, clock: Clock, item: int, subject: str, *, by: str, reason: str) -> ReviewOutcome:
    """Attach the record to a subject the operator names by key (`S…`) or identifier (`confirmed`)."""
    with store.unit_of_work() as conn:
        review, row = _open_item(conn, item)
        target = store_subjects.get_by_key(conn, subject.strip()) or store_subjects.get_by_id_value(
            conn, compact(subject)
        )
        if target is None:
            raise NotFound(f"no subject {subject!r} (give its key S… or its USCC or resident ID)", field="subject")
        if target.kind != row.subject_kind:
            raise InvalidInput(
                f"subject {target.key} is a {target.kind}, the record is about a {row.subject_kind}", field="subject"
            )
        status = "confirmed" if target.pk == review.subject_pk else "reassigned"
        return _decide(conn, clock, review, row, target, "assign", status, "confirmed", by, reason)


def _open_item(conn: Connection, item: int) -> tuple[ReviewItemRow, RecordRow]:
    review = store_linkage.review_get(conn, item, lock=True)
    if review.status != "open":
        raise Conflict(f"review item {item} was already decided ({review.status})", field="item")
    row = store_records.get(conn, review.record_pk)
    assert row is not None  # the foreign key guarantees it
    if row.link != "review" or not row.current:
        raise Conflict(f"record {review.record_key} is no longer waiting for review", field="item")
    return review, row


def _decide(
    conn: Connection,
    clock: Clock,
    review: ReviewItemRow,
    row: RecordRow,
    subject: SubjectRow,
    decision: Decision,
    status: str,
    link: str,
    by: str,
    reason: str,
) -> ReviewOutcome:
    who, why = by.strip(), " ".join(reason.split())
    if not who:
        raise InvalidInput("who decides must be named", field="by")
    if not why:
        raise InvalidInput("a decision needs a reason", field="reason")
    if len(why) > MAX_REASON:
        raise InvalidInput(f"at most {MAX_REASON} characters, got {len(why)}", field="reason")
    now = clock.now()
    store_linkage.review_decide(conn, review.pk, status=status, by=who, at=now, reason=why, subject_pk=subject.pk)
    store_records.set_links(conn, [LinkUpdate(row.pk, subject.pk, link, review.probability, review.run)], at=now)
    record(
        conn,
        [
            Event(
                at=now,
                actor=who,
                role=ROLE,
                action="review.decide",
                object=review.record_key,
                detail={
                    "item": review.pk,
                    "decision": decision,
                    "status": status,
                    "link": link,
                    "subject": subject.key,
                    "proposed": [c.get("subject") for c in review.candidates],
                    "probability": f"{review.probability:.6f}",
                    "reason": why,
                },
            )
        ],
    )
    return ReviewOutcome(item=review.pk, decision=decision, record=review.record_key, link=link, subject=subject.key)
