"""One chunk of valid rows stored in one unit of work, together with the batch's running counts and the
audit entry that records them: a chunk is in the store entirely, counted and audited, or not at all."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Final

from xinyong.clock import Clock
from xinyong.ingest.rows import Identity, ValidRow
from xinyong.ingest.subjects import SubjectNamer
from xinyong.ingest.validation import VALUE_FIELDS
from xinyong.ingest.versions import PlannedVersion, plan_versions
from xinyong.store import BatchCounts, NewSubject, Store, audit_rows, batches, bulk_records, roles, subjects
from xinyong.store.audit_rows import Event
from xinyong.store.bulk_records import CurrentState
from xinyong.store.records import DATA_COLUMNS

#: The audit entry's role for an agency submitting records.
AGENCY_ROLE: Final = "agency"
#: Subjects (by identifier) a batch remembers having found or created, about 100 MB at most; the memory is
#: cleared when full. Each identifier not remembered is an index probe per chunk.
KNOWN_SUBJECTS: Final = 500_000

_KIND, _NAME, _ID_RAW, _REP_NAME = (
    VALUE_FIELDS.index(name) for name in ("subject_kind", "subject_name", "subject_id_raw", "legal_rep_name")
)
#: What a stored version adds to a row's values, in the order `_version_row` appends them.
_ADDED: Final = (
    "agency",
    "version",
    "subject_id",
    "subject_pk",
    "link",
    "link_probability",
    "link_run",
    "row_hash",
    "batch_pk",
    "source_file",
    "source_row",
)
# A version as the store's bulk path takes it (`DATA_COLUMNS` order), picked out of values + added in one step.
_as_columns: Final[Callable[[tuple[Any, ...]], tuple[Any, ...]]] = itemgetter(
    *((*VALUE_FIELDS, *_ADDED).index(name) for name in DATA_COLUMNS)
)

# How a record's latest version was linked, and the identity fields that linkage was decided on:
# (subject_kind, subject_name, subject_id_raw, subject_pk, link, probability, run).
_Linkage = tuple[str, str, str | None, int | None, str, float | None, str | None]


@dataclass(frozen=True, slots=True)
class BatchScope:
    """What every chunk of one batch shares: where it is stored, for which agency, and the subjects it has
    already found or created (identifier to pk and kind; subjects are never deleted)."""

    store: Store
    clock: Clock
    agency: str
    batch_pk: int
    namer: SubjectNamer
    subjects: dict[str, tuple[int, str]] = field(default_factory=dict)


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
        who = [[(p.row.subject, p.row.rep) for p in round_] for round_ in plan.rounds]
        found = scope.subjects
        wanted = {ident.id_value for pairs in who for pair in pairs for ident in pair if ident is not None}
        if len(found) >= KNOWN_SUBJECTS:
            found.clear()
        found.update(subjects.pks_by_id_values(conn, wanted - found.keys()))
        new = _new_subjects(scope.namer, plan.rounds, who, found)
        found.update(
            (s.id_value, (pk, s.kind))
            for s, pk in zip(new, subjects.insert_many(conn, new, at=now), strict=True)
            if s.id_value is not None
        )
        linkage = {record_id: _stored(r.current) for record_id, r in known.items() if r.current is not None}
        track = len(plan.rounds) > 1  # a record corrected within the chunk: later rounds look back
        inserted: dict[str, int] = {}
        claims: list[roles.RoleClaim] = []
        for round_, pairs in zip(plan.rounds, who, strict=True):
            ends = [p.ends_stored for p in round_ if p.ends_stored is not None]
            ends += [inserted[p.row.record_id] for p in round_ if p.ends_earlier]
            if ends:
                bulk_records.supersede_many(conn, ends, at=now)
            versions = [
                _version(scope, p, pair[0], found, linkage, track) for p, pair in zip(round_, pairs, strict=True)
            ]
            pks = bulk_records.insert_rows(conn, versions, recorded_at=now)
            for p, (_, rep), version, pk in zip(round_, pairs, versions, pks, strict=True):
                if track:
                    inserted[p.row.record_id] = pk
                if rep is not None:
                    claim = _claim(version, rep, found, pk)
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
            "subjects_created": len(new),
            "roles_added": added_roles,
        }
        audit_rows.record(
            conn,
            [Event(now, scope.agency, AGENCY_ROLE, "ingest", f"batch:{scope.batch_pk}", detail=detail)],
        )
    return after


def _new_subjects(
    namer: SubjectNamer,
    rounds: Sequence[Sequence[PlannedVersion]],
    who: Sequence[Sequence[tuple[Identity | None, Identity | None]]],
    found: dict[str, tuple[int, str]],
) -> list[NewSubject]:
    # Each identifier seen for the first time becomes a subject, named as its first record names it; a legal
    # representative needs a name to become one.
    new: dict[str, NewSubject] = {}
    for round_, pairs in zip(rounds, who, strict=True):
        for p, (subject, rep) in zip(round_, pairs, strict=True):
            values = p.row.values
            if subject is not None and subject.id_value not in found and subject.id_value not in new:
                new[subject.id_value] = namer.new_subject(subject, values[_NAME])
            rep_name = values[_REP_NAME]
            if rep is not None and rep_name and rep.id_value not in found and rep.id_value not in new:
                new[rep.id_value] = namer.new_subject(rep, rep_name)
    return list(new.values())


def _stored(current: CurrentState) -> _Linkage:
    return (
        current.subject_kind,
        current.subject_name,
        current.subject_id_raw,
        current.subject_pk,
        current.link,
        current.link_probability,
        current.link_run,
    )


def _version(
    scope: BatchScope,
    planned: PlannedVersion,
    subject: Identity | None,
    found: dict[str, tuple[int, str]],
    linkage: dict[str, _Linkage],
    track: bool,
) -> tuple[Any, ...]:
    # The version's columns: the row's values, linked by its identifier when valid; otherwise a correction
    # that leaves who the record is about untouched keeps linkage's (or a reviewer's) verdict.
    row = planned.row
    values = row.values
    subject_id = subject_pk = probability = run = None
    link = "pending"
    if subject is not None:
        subject_id = subject.id_value
        stored = found.get(subject_id)
        # An identifier held by a subject of the other kind is an anomaly for linkage to look at, not a link.
        if stored is not None and stored[1] == values[_KIND]:
            subject_pk, link = stored[0], "id"
    else:
        previous = linkage.get(row.record_id)
        if (
            previous is not None
            and previous[4] != "pending"
            and previous[:3] == (values[_KIND], values[_NAME], values[_ID_RAW])
        ):
            subject_pk, link, probability, run = previous[3:]
    if track:
        linkage[row.record_id] = (values[_KIND], values[_NAME], values[_ID_RAW], subject_pk, link, probability, run)
    added = (
        scope.agency,
        planned.version,
        subject_id,
        subject_pk,
        link,
        probability,
        run,
        row.row_hash,
        scope.batch_pk,
        row.file,
        row.number,
    )
    return _as_columns(values + added)


_AT: Final = {name: DATA_COLUMNS.index(name) for name in ("subject_pk", "link", "decided_on")}


def _claim(
    version: tuple[Any, ...], rep: Identity, found: dict[str, tuple[int, str]], record_pk: int
) -> roles.RoleClaim | None:
    # Only an organisation known by its code names its legal representative; a guess never does.
    subject_pk = version[_AT["subject_pk"]]
    if version[_AT["link"]] != "id" or subject_pk is None:
        return None
    person = found.get(rep.id_value)
    if person is None or person[1] != "person":
        return None
    return roles.RoleClaim(subject_pk, person[0], version[_AT["decided_on"]], record_pk)
