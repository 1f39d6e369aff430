"""A subject's file as the rules see it, read from the store: its listings and the organisations it
represents, as the registry knows it now or knew it at a given time (the slow path, for appeals)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from xinyong.catalog.model import Catalog
from xinyong.domain.files import RoleFile, SubjectFile
from xinyong.domain.listings import Listing
from xinyong.domain.records import RecordVersion
from xinyong.domain.subjects import Role, SubjectRef
from xinyong.rules.listings import listings_for
from xinyong.store import Connection, records, roles, subjects
from xinyong.store.records import RecordRow
from xinyong.store.subjects import SubjectRow


def ref(row: SubjectRow) -> SubjectRef:
    """The domain reference of a stored subject."""
    return SubjectRef(kind="org" if row.kind == "org" else "person", key=row.key, id=row.id_value, name=row.name)


def version(row: RecordRow, subject_key: str | None) -> RecordVersion:
    """The domain view of a stored record version."""
    return RecordVersion(
        agency=row.agency,
        record_id=row.record_id,
        version=row.version,
        record_type=row.record_type,
        subject_kind="org" if row.subject_kind == "org" else "person",
        subject_name=row.subject_name,
        decided_on=row.decided_on,
        recorded_at=row.recorded_at,
        subject_key=subject_key,
        subject_id=row.subject_id,
        link=row.link,  # type: ignore[arg-type]
        link_probability=row.link_probability,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        decision_no=row.decision_no,
        legal_basis=row.legal_basis,
        severity=row.severity,
        status=row.status,  # type: ignore[arg-type]
        amount=row.amount,
        grade=row.grade,
        result=row.result,
        legal_rep_name=row.legal_rep_name,
        legal_rep_id=row.legal_rep_id,
        summary=row.summary,
        superseded_at=row.superseded_at,
        extra=dict(row.extra),
    )


def histories(rows: Iterable[RecordRow], subject_key: str | None) -> list[list[RecordVersion]]:
    """Record versions grouped into one history per (agency, record_id)."""
    grouped: dict[tuple[str, str], list[RecordVersion]] = defaultdict(list)
    for row in rows:
        grouped[(row.agency, row.record_id)].append(version(row, subject_key))
    return list(grouped.values())


def listings_of(
    conn: Connection, catalog: Catalog, subject: SubjectRow, known_at: datetime | None = None
) -> tuple[Listing, ...]:
    """The listings a subject's records create, as known now or at `known_at`."""
    rows = records.for_subject(conn, subject.pk, current_only=False)
    return listings_for(histories(rows, subject.key), catalog, known_at)


def subject_file(
    conn: Connection, catalog: Catalog, subject: SubjectRow, known_at: datetime | None = None
) -> SubjectFile:
    """Everything `decide` needs about one subject, including the organisations it represented."""
    role_files: list[RoleFile] = []
    if subject.kind == "person":
        for period in roles.held_by(conn, subject.pk):
            org = subjects.get(conn, period.org_pk)
            if org is None:
                continue
            role = Role(role=period.role, org=ref(org), valid_from=period.valid_from, valid_to=period.valid_to)
            role_files.append(RoleFile(role, listings_of(conn, catalog, org, known_at)))
    return SubjectFile(
        subject=ref(subject), listings=listings_of(conn, catalog, subject, known_at), roles=tuple(role_files)
    )


def listing_record_types(catalog: Catalog) -> Sequence[str]:
    """Record types that can place anybody on a list."""
    return sorted(code for code, rt in catalog.record_types.items() if rt.places_on)
