"""Record versions, bitemporal: legal time `valid_from`/`valid_to`, system time `recorded_at`/`superseded_at`.

A correction never overwrites: `supersede` ends the current version's system time and inserts the next
version, so "what did the registry say at instant T" (`as_of`) and "what was in force on day D"
(`in_force_on`) can both be answered for any past T and D.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from xinyong.domain.records import RecordVersion
from xinyong.errors import Conflict, NotFound
from xinyong.store import changes
from xinyong.store.engine import error_line
from xinyong.store.schema import records


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordData:
    """One version of an agency record as ingestion validated it, before the store assigns its pk and time."""

    agency: str
    record_id: str
    record_type: str
    subject_kind: str
    subject_name: str
    decided_on: date
    row_hash: str
    version: int = 1
    subject_id_raw: str | None = None
    subject_id: str | None = None
    subject_pk: int | None = None
    link: str = "pending"
    link_probability: float | None = None
    link_run: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    decision_no: str | None = None
    legal_basis: str | None = None
    severity: str | None = None
    status: str = "in_force"
    amount: Decimal | None = None
    grade: str | None = None
    result: str | None = None
    legal_rep_name: str | None = None
    legal_rep_id: str | None = None
    address: str | None = None
    phone: str | None = None
    birth_date: date | None = None
    summary: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    batch_pk: int | None = None
    source_file: str | None = None
    source_row: int | None = None

    @property
    def key(self) -> str:
        """`agency:record_id`, the record's name across its versions."""
        return f"{self.agency}:{self.record_id}"


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordRow(RecordData):
    """A stored version: the data with its pk and its system time."""

    pk: int
    recorded_at: datetime
    superseded_at: datetime | None = None

    @property
    def current(self) -> bool:
        """Whether this is the registry's present word on the record."""
        return self.superseded_at is None


class LinkUpdate(NamedTuple):
    """Linkage's verdict on one record version: the subject it resolved to and how (a tuple, in the order a
    run stages its verdicts, as a run builds a million of them)."""

    pk: int
    subject_pk: int | None
    link: str
    probability: float | None = None
    run: str | None = None


#: The columns a RecordData fills, in table order (the bulk path writes them positionally).
DATA_COLUMNS: tuple[str, ...] = tuple(
    column.name for column in records.columns if column.name in {f.name for f in fields(RecordData)}
)


def data_params(data: RecordData) -> dict[str, Any]:
    """The column values of a version's data."""
    values = {name: getattr(data, name) for name in DATA_COLUMNS}
    values["extra"] = dict(data.extra)
    return values


def row_from(row: Row[Any]) -> RecordRow:
    """A stored version from a row of `records`."""
    return RecordRow(**row._mapping)


def insert_version(conn: Connection, data: RecordData, *, recorded_at: datetime) -> RecordRow:
    """Store one version as the record's current word from `recorded_at` on."""
    params = data_params(data) | {"recorded_at": recorded_at, "superseded_at": None}
    try:
        pk = conn.execute(records.insert().values(**params).returning(records.c.pk)).scalar_one()
    except IntegrityError as exc:
        raise Conflict(
            f"record {data.key} version {data.version} cannot be stored: {error_line(exc)}", field="record_id"
        ) from None
    return RecordRow(**params, pk=pk)


def get(conn: Connection, pk: int) -> RecordRow | None:
    """One version by its pk."""
    row = conn.execute(select(records).where(records.c.pk == pk)).first()
    return row_from(row) if row is not None else None


def current(conn: Connection, agency: str, record_id: str, *, lock: bool = False) -> RecordRow | None:
    """The current version of an agency record; `lock` holds it (PostgreSQL) until the transaction ends."""
    query = select(records).where(
        records.c.agency == agency, records.c.record_id == record_id, records.c.superseded_at.is_(None)
    )
    row = conn.execute(query.with_for_update() if lock else query).first()
    return row_from(row) if row is not None else None


def history(conn: Connection, agency: str, record_id: str) -> list[RecordRow]:
    """Every version of an agency record, oldest first."""
    query = (
        select(records).where(records.c.agency == agency, records.c.record_id == record_id).order_by(records.c.version)
    )
    return [row_from(row) for row in conn.execute(query)]


def supersede(conn: Connection, data: RecordData, *, at: datetime) -> RecordRow:
    """Replace the current version with `data` as the next version; the old one is kept, ended at `at`."""
    old = current(conn, data.agency, data.record_id, lock=True)
    if old is None:
        raise NotFound(f"record {data.key} has no current version to supersede", field="record_id")
    if at < old.recorded_at:
        raise Conflict(
            f"record {data.key}: cannot supersede at {at.isoformat()}, "
            f"before version {old.version} was recorded ({old.recorded_at.isoformat()})",
            field="recorded_at",
        )
    ended = conn.execute(
        update(records).where(records.c.pk == old.pk, records.c.superseded_at.is_(None)).values(superseded_at=at)
    )
    if ended.rowcount != 1:
        raise Conflict(f"record {data.key} was superseded by someone else meanwhile", field="record_id")
    return insert_version(conn, replace(data, version=old.version + 1), recorded_at=at)


def as_of(
    conn: Connection,
    system_time: datetime,
    *,
    agency: str | None = None,
    record_id: str | None = None,
    subject_pk: int | None = None,
) -> list[RecordRow]:
    """What the registry said at `system_time`: the versions recorded by then and not yet superseded."""
    query = _filtered(select(records), agency=agency, record_id=record_id, subject_pk=subject_pk)
    query = query.where(_known_at(system_time)).order_by(records.c.agency, records.c.record_id)
    return [row_from(row) for row in conn.execute(query)]


def in_force_on(
    conn: Connection,
    day: date,
    *,
    system_time: datetime | None = None,
    subject_pk: int | None = None,
    record_type: str | None = None,
) -> list[RecordRow]:
    """Versions whose legal effect covers `day` (ends inclusive), as known now or at `system_time`.

    Only the dates are compared: what a status such as `fulfilled` means for the effect is the rules' call.
    """
    query = _filtered(select(records), subject_pk=subject_pk, record_type=record_type).where(
        or_(records.c.valid_from.is_(None), records.c.valid_from <= day),
        or_(records.c.valid_to.is_(None), records.c.valid_to >= day),
        records.c.superseded_at.is_(None) if system_time is None else _known_at(system_time),
    )
    return [row_from(row) for row in conn.execute(query.order_by(records.c.agency, records.c.record_id))]


def for_subject(conn: Connection, subject_pk: int, *, current_only: bool = True) -> list[RecordRow]:
    """The versions resolved to a subject, current ones only unless asked for the history."""
    query = _filtered(select(records), subject_pk=subject_pk)
    if current_only:
        query = query.where(records.c.superseded_at.is_(None))
    order = (records.c.decided_on, records.c.agency, records.c.record_id, records.c.version)
    return [row_from(row) for row in conn.execute(query.order_by(*order))]


def pending(conn: Connection, *, limit: int | None = None) -> list[RecordRow]:
    """Current versions that linkage has not resolved to a subject yet, oldest first."""
    query = (
        select(records)
        .where(records.c.link == "pending", records.c.superseded_at.is_(None))
        .order_by(records.c.pk)
        .limit(limit)
    )
    return [row_from(row) for row in conn.execute(query)]


def by_batch(conn: Connection, batch_pk: int) -> list[RecordRow]:
    """The versions one ingestion batch stored, in source order."""
    query = select(records).where(records.c.batch_pk == batch_pk).order_by(records.c.pk)
    return [row_from(row) for row in conn.execute(query)]


def iter_versions(
    conn: Connection, *, agency: str | None = None, after_pk: int = 0, chunk: int = 2000
) -> Iterator[RecordRow]:
    """Every stored version in pk order, read a chunk at a time so the whole table never sits in memory."""
    while True:
        query = _filtered(select(records), agency=agency).where(records.c.pk > after_pk)
        rows = [row_from(row) for row in conn.execute(query.order_by(records.c.pk).limit(chunk))]
        yield from rows
        if len(rows) < chunk:
            return
        after_pk = rows[-1].pk


def count(conn: Connection, *, agency: str | None = None, current_only: bool = False) -> int:
    """How many versions are stored (current ones only if asked)."""
    query = _filtered(select(func.count()).select_from(records), agency=agency)
    if current_only:
        query = query.where(records.c.superseded_at.is_(None))
    return int(conn.execute(query).scalar_one())


def set_links(conn: Connection, updates: Sequence[LinkUpdate], *, at: datetime | None = None) -> int:
    """Store linkage's verdicts in place: resolving a subject is the registry's act, not a new version.

    Both the subjects a record leaves and the ones it joins are marked changed, so screening republishes them.
    """
    if not updates:
        return 0
    pks = [u.pk for u in updates]
    before: list[int | None] = []
    for start in range(0, len(pks), 10_000):  # SQLite caps the number of bound values in one statement
        before.extend(
            conn.execute(select(records.c.subject_pk).where(records.c.pk.in_(pks[start : start + 10_000]))).scalars()
        )
    changes.touch(conn, [*before, *(u.subject_pk for u in updates)], "link", at=at)
    statement = (
        update(records)
        .where(records.c.pk == bindparam("target_pk"))
        .values(
            subject_pk=bindparam("new_subject_pk"),
            link=bindparam("new_link"),
            link_probability=bindparam("new_probability"),
            link_run=bindparam("new_run"),
        )
    )
    params = [
        {
            "target_pk": u.pk,
            "new_subject_pk": u.subject_pk,
            "new_link": u.link,
            "new_probability": u.probability,
            "new_run": u.run,
        }
        for u in updates
    ]
    conn.execute(statement, params)
    return len(updates)


def _known_at(system_time: datetime) -> ColumnElement[bool]:
    return and_(
        records.c.recorded_at <= system_time,
        or_(records.c.superseded_at.is_(None), records.c.superseded_at > system_time),
    )


def _filtered(query: Select[Any], **equal: object) -> Select[Any]:
    for name, value in equal.items():
        if value is not None:
            query = query.where(records.c[name] == value)
    return query


def to_domain(row: RecordRow, subject_key: str | None) -> RecordVersion:
    """The domain view of a stored version, the one every service derives listings from."""
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
