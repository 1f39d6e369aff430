"""One chunk of valid rows stored in one unit of work, together with the batch's running counts and the
audit entry that records them: a chunk is in the store entirely, counted and audited, or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from xinyong.clock import Clock
from xinyong.ingest.rows import ValidRow
from xinyong.ingest.subjects import Identity, IdentityChecker, new_subject
from xinyong.ingest.versions import PlannedVersion, plan_versions
from xinyong.store import (
    BatchCounts,
    NewSubject,
    RecordData,
    Store,
    audit_rows,
    batches,
    bulk_records,
    roles,
    subjects,
)
from xinyong.store.audit_rows import Event
from xinyong.store.bulk_records import CurrentState

#: The audit entry's role for an agency submitting records.
AGENCY_ROLE: Final = "agency"


@dataclass(frozen=True, slots=True)
class BatchScope:
    """What every chunk of one batch shares: where it is stored, for which agency, checked how."""

    store: Store
    clock: Clock
    agency: str
    batch_pk: int
    identities: IdentityChecker


@dataclass(frozen=True, slots=True)
class _Linkage:
    # How a record's latest version was linked, and the identity fields that linkage was decided on.
    subject_kind: str
    subject_name: str
    subject_id_raw: str | None
    subject_pk: int | None
    link: str
    probability: float | None
    run: str | None

    def carries_to(self, values: dict[str, object]) -> bool:
        # A correction that leaves who the record is about untouched keeps linkage's (or a reviewer's) verdict.
        return self.link != "pending" and (
            self.subject_kind == values["subject_kind"]
            and self.subject_name == values["subject_name"]
            and self.subject_id_raw == values["subject_id_raw"]
        )


def commit_chunk(
    scope: BatchScope,
    rows: Sequence[ValidRow],
    before: BatchCounts,
    *,
    read: int,
    rejected: int,
    chunk: int,
    quarantine_path: str | None,
) -> BatchCounts:
    """Store the chunk's valid rows and return the batch's counts after it (`read` rows, `rejected` of them)."""
    now = scope.clock.now()
    with scope.store.unit_of_work() as conn:
        bulk_records.lock_for_load(conn)
        if chunk > 1 and (chunk - 1) & (chunk - 2) == 0:  # after 1, 2, 4, 8... chunks
            bulk_records.refresh_statistics(conn)
        known = bulk_records.known_records(conn, scope.agency, {row.record_id for row in rows})
        plan = plan_versions(rows, known)
        planned = [version for round_ in plan.rounds for version in round_]
        who = {id(p): _identities(scope.identities, p) for p in planned}
        wanted = {ident.id_value for pair in who.values() for ident in pair if ident is not None}
        found = subjects.pks_by_id_values(conn, wanted)
        created = subjects.create_many(conn, _new_subjects(scope.batch_pk, planned, who, found), at=now)
        found.update((s.id_value, (s.pk, s.kind)) for s in created if s.id_value is not None)
        linkage = {
            record_id: _from_stored(record.current) for record_id, record in known.items() if record.current is not None
        }
        inserted: dict[str, int] = {}
        claims: list[roles.RoleClaim] = []
        for round_ in plan.rounds:
            ends = [p.ends_stored for p in round_ if p.ends_stored is not None]
            ends += [inserted[p.row.record_id] for p in round_ if p.ends_earlier]
            if ends:
                bulk_records.supersede_many(conn, ends, at=now)
            data = [_record(scope, p, who[id(p)][0], found, linkage) for p in round_]
            pks = bulk_records.bulk_insert(conn, data, recorded_at=now)
            for p, record, pk in zip(round_, data, pks, strict=True):
                inserted[p.row.record_id] = pk
                claim = _claim(record, who[id(p)][1], found, pk)
                if claim is not None:
                    claims.append(claim)
        added_roles = roles.set_holders(conn, claims)
        after = BatchCounts(
            rows=before.rows + read,
            accepted=before.accepted + plan.accepted,
            rejected=before.rejected + rejected,
            unchanged=before.unchanged + plan.unchanged,
            superseded=before.superseded + plan.superseded,
        )
        batches.record_progress(conn, scope.batch_pk, after, quarantine_path=quarantine_path)
        detail = {
            "chunk": chunk,
            "rows": read,
            "accepted": plan.accepted,
            "rejected": rejected,
            "unchanged": plan.unchanged,
            "superseded": plan.superseded,
            "subjects_created": len(created),
            "roles_added": added_roles,
        }
        audit_rows.record(
            conn,
            [Event(now, scope.agency, AGENCY_ROLE, "ingest", f"batch:{scope.batch_pk}", detail=detail)],
        )
    return after


def _identities(checker: IdentityChecker, planned: PlannedVersion) -> tuple[Identity | None, Identity | None]:
    # The subject's identity and, for an organisation identified by its code, its legal representative's.
    values = planned.row.values
    kind = values["subject_kind"]
    subject = checker.check(kind, values["subject_id_raw"])
    rep = None
    if kind == "org" and subject is not None:
        rep = checker.check("person", values["legal_rep_id"])
    return subject, rep


def _new_subjects(
    batch_pk: int,
    planned: Sequence[PlannedVersion],
    who: dict[int, tuple[Identity | None, Identity | None]],
    found: dict[str, tuple[int, str]],
) -> list[NewSubject]:
    # Each identifier seen for the first time becomes a subject, named as its first record names it; a legal
    # representative needs a name to become one.
    new: dict[str, NewSubject] = {}
    for p in planned:
        subject, rep = who[id(p)]
        values = p.row.values
        if subject is not None and subject.id_value not in found and subject.id_value not in new:
            new[subject.id_value] = new_subject(subject, values["subject_name"], batch_pk)
        rep_name = values["legal_rep_name"]
        if rep is not None and rep_name and rep.id_value not in found and rep.id_value not in new:
            new[rep.id_value] = new_subject(rep, rep_name, batch_pk)
    return list(new.values())


def _from_stored(current: CurrentState) -> _Linkage:
    return _Linkage(
        current.subject_kind,
        current.subject_name,
        current.subject_id_raw,
        current.subject_pk,
        current.link,
        current.link_probability,
        current.link_run,
    )


def _record(
    scope: BatchScope,
    planned: PlannedVersion,
    subject: Identity | None,
    found: dict[str, tuple[int, str]],
    linkage: dict[str, _Linkage],
) -> RecordData:
    values = planned.row.values
    record_id = planned.row.record_id
    subject_id = subject_pk = probability = run = None
    link = "pending"
    if subject is not None:
        subject_id = subject.id_value
        stored = found.get(subject.id_value)
        # An identifier held by a subject of the other kind is an anomaly for linkage to look at, not a link.
        if stored is not None and stored[1] == values["subject_kind"]:
            subject_pk, link = stored[0], "id"
    else:
        previous = linkage.get(record_id)
        if previous is not None and previous.carries_to(values):
            subject_pk, link, probability, run = previous.subject_pk, previous.link, previous.probability, previous.run
    linkage[record_id] = _Linkage(
        values["subject_kind"],
        values["subject_name"],
        values["subject_id_raw"],
        subject_pk,
        link,
        probability,
        run,
    )
    return RecordData(
        agency=scope.agency,
        row_hash=planned.row.row_hash,
        version=planned.version,
        subject_id=subject_id,
        subject_pk=subject_pk,
        link=link,
        link_probability=probability,
        link_run=run,
        batch_pk=scope.batch_pk,
        source_file=planned.row.file,
        source_row=planned.row.number,
        **values,
    )


def _claim(
    record: RecordData, rep: Identity | None, found: dict[str, tuple[int, str]], record_pk: int
) -> roles.RoleClaim | None:
    # Only an organisation known by its code names its legal representative; a guess never does.
    if rep is None or record.link != "id" or record.subject_pk is None:
        return None
    person = found.get(rep.id_value)
    if person is None or person[1] != "person":
        return None
    return roles.RoleClaim(record.subject_pk, person[0], record.decided_on, record_pk)
