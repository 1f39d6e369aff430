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


def histories(rows: Iterable[RecordRow], subject_key: str | None) -> list[list[RecordVersion]]:
    """Record versions grouped into one history per (agency, record_id)."""
    grouped: dict[tuple[str, str], list[RecordVersion]] = defaultdict(list)
    for row in rows:
        grouped[(row.agency, row.record_id)].append(records.to_domain(row, subject_key))
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
