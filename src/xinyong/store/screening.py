"""Repository for screening: subject change marks, published measure targets and the change feed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Connection, Row, Select, and_, cast, delete, func, select, text, true, union
from sqlalchemy.dialects.postgresql import ARRAY

from xinyong.store import records as record_repo
from xinyong.store.changes import touch
from xinyong.store.records import RecordRow
from xinyong.store.schema import records, subject_roles, unindexed
from xinyong.store.schema_screening import measure_events, measure_targets, subject_changes

__all__ = ["Event", "Target", "touch"]

_PUBLISH_LOCK = 0x7075626C6973  # "publis": one publisher at a time on PostgreSQL


@dataclass(frozen=True, slots=True)
class Target:
    """A record's list reaching one subject, directly or through a role, over a window (end inclusive)."""

    record_key: str
    target_pk: int
    target_id: str | None
    target_kind: str
    target_name: str
    source_pk: int
    via_role: str | None
    via_id: str | None
    list_code: str
    agency: str
    decision_no: str | None
    legal_basis: str
    valid_from: date
    valid_to: date | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.record_key, self.target_pk)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of the change feed: a target's window started, changed or was removed."""

    seq: int
    at: datetime
    event: str
    target: Target


def lock_publisher(conn: Connection) -> None:
    """Serialise publishers (SQLite's unit of work already holds the write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK})


@dataclass(frozen=True, slots=True)
class Span:
    """Record versions after `records_from` up to `records_to` (pks) and subject changes after
    `changes_from` up to `changes_to` (seqs): what one round of the publisher covers."""

    records_from: int
    changes_from: int
    records_to: int
    changes_to: int

    def empty(self) -> bool:
        """Whether nothing was stored in the span."""
        return self.records_to <= self.records_from and self.changes_to <= self.changes_from


def span_to_latest(conn: Connection, records_from: int, changes_from: int) -> Span:
    """From the cursors to the last record version and subject change stored now."""
    top_record = conn.execute(select(func.max(records.c.pk))).scalar_one()
    top_change = conn.execute(select(func.max(subject_changes.c.seq))).scalar_one()
    return Span(
        records_from,
        changes_from,
        max(int(top_record or 0), records_from),
        max(int(top_change or 0), changes_from),
    )


def subjects_in_span(conn: Connection, span: Span, *, after: int = 0, limit: int) -> list[int]:
    """The subjects (pk above `after`, ascending, at most `limit`) that a record version or a change in
    the span concerns.

    A version concerns the subject its predecessor was about too: a correction that names someone else
    (or no one yet: pending linkage) takes the record away from the earlier subject, whose listings must be
    worked out again, or the measure would stay on the person the record no longer names.
    """
    touched = union(
        select(records.c.subject_pk.label("pk")).where(
            records.c.pk > span.records_from,
            records.c.pk <= span.records_to,
            records.c.subject_pk > after,
        ),
        predecessor_subjects(span, after, postgres=conn.dialect.name == "postgresql"),
        select(subject_changes.c.subject_pk.label("pk")).where(
            subject_changes.c.seq > span.changes_from,
            subject_changes.c.seq <= span.changes_to,
            subject_changes.c.subject_pk > after,
        ),
    ).subquery()
    query = select(touched.c.pk).order_by(touched.c.pk).limit(limit)
    return [int(pk) for pk in conn.execute(query).scalars()]


def predecessor_subjects(span: Span, after: int, *, postgres: bool) -> Select[Any]:
    """The subjects (pk above `after`) of the versions that the record versions of the span superseded.

    Each predecessor is one look-up by (agency, record_id, version): on SQLite through the unique index, on
    PostgreSQL through a lateral subquery behind `OFFSET 0`, which no plan turns into a scan of every
    version whatever the statistics (as `listing_query_by_key`).
    """
    new, before = records.alias("new"), records.alias("before")
    same = (
        before.c.agency == new.c.agency,
        before.c.record_id == new.c.record_id,
        before.c.version == new.c.version - 1,
    )
    in_span = (new.c.pk > span.records_from, new.c.pk <= span.records_to, new.c.version > 1)
    if postgres:
        found = select(before.c.subject_pk).where(*same).offset(0).lateral("found")
        return (
            select(found.c.subject_pk.label("pk"))
            .select_from(new)
            .join(found, true())
            .where(*in_span, found.c.subject_pk > after)
        )
    return (
        select(before.c.subject_pk.label("pk"))
        .join_from(new, before, and_(*same))
        .where(*in_span, before.c.subject_pk > after)
    )


def listing_records(
    conn: Connection, subject_pks: Sequence[int], record_types: Sequence[str]
) -> dict[int, list[RecordRow]]:
    """Every version of the listing-type records resolved to these subjects, grouped by subject."""
    out: dict[int, list[RecordRow]] = {}
    postgres = conn.dialect.name == "postgresql"
    for chunk in _chunks(subject_pks):
        query = listing_query_by_key(chunk, record_types) if postgres else listing_query(chunk, record_types)
        for row in conn.execute(query):
            rec = record_repo.row_from(row)
            if rec.subject_pk is not None:
                out.setdefault(rec.subject_pk, []).append(rec)
    return out


def listing_query(subject_pks: Sequence[int], record_types: Sequence[str]) -> Select[Any]:
    """The versions of listing-type records of these subjects, found through the subject index (SQLite).

    The type is compared `unindexed`: SQLite plans without
    statistics and would otherwise walk the (record_type, decided_on) index through every listing record of
    the store for each chunk of subjects, a cost that grows with the store (measured: a round of 10^6 record
    versions took ten minutes at 10^7 subjects, 89 s for the whole of publishing at 10^6).
    """
    return select(records).where(
        records.c.subject_pk.in_(subject_pks), unindexed(records.c.record_type).in_(record_types)
    )


def listing_query_by_key(subject_pks: Sequence[int], record_types: Sequence[str]) -> Select[Any]:
    """`listing_query` for PostgreSQL: one probe of the subject index per subject, whatever the statistics.

    On partitions without statistics (a store just loaded; autovacuum off) `subject_pk IN (...)` was
    planned as a scan of every version, once per chunk of subjects: 0.3 s a chunk at 10^6 versions, most of
    publishing's time at 10^6 subjects and growing with the store. A lateral subquery behind `OFFSET 0` is
    not turned into a join, so each subject is one look-up, as in `bulk_records.rows_for_keys`; the type is
    compared `unindexed`, as for SQLite (else each look-up also reads the record-type index through every
    listing record).
    """
    wanted = func.unnest(cast(list(subject_pks), ARRAY(BigInteger))).table_valued("key").render_derived(name="wanted")
    found = (
        select(records)
        .where(records.c.subject_pk == wanted.c.key, unindexed(records.c.record_type).in_(record_types))
        .offset(0)
        .lateral("found")
    )
    return select(found).select_from(wanted).join(found, true())


def representatives(
    conn: Connection, org_pks: Sequence[int], role: str
) -> dict[int, list[tuple[int, date, date | None]]]:
    """Who held the role in each organisation and when (end inclusive), oldest period first."""
    out: dict[int, list[tuple[int, date, date | None]]] = {}
    for chunk in _chunks(org_pks):
        query = (
            select(subject_roles)
            .where(subject_roles.c.org_pk.in_(chunk), subject_roles.c.role == role)
            .order_by(subject_roles.c.valid_from)
        )
        for row in conn.execute(query):
            if row.valid_to is None or row.valid_to >= row.valid_from:
                out.setdefault(row.org_pk, []).append((row.person_pk, row.valid_from, row.valid_to))
    return out


def targets_from(conn: Connection, source_pks: Sequence[int]) -> dict[tuple[str, int], Target]:
    """The published targets that these subjects' records (or roles in them) created."""
    out: dict[tuple[str, int], Target] = {}
    for chunk in _chunks(source_pks):
        for row in conn.execute(select(measure_targets).where(measure_targets.c.source_pk.in_(chunk))):
            target = _target(row)
            out[target.key] = target
    return out


def iter_targets(conn: Connection, *, chunk: int = 20_000, identified_only: bool = True) -> Iterator[Target]:
    """Every published target with an identifier (or every one, `identified_only=False`), in pk order, read
    in chunks."""
    last = 0
    wanted = measure_targets.c.target_id.is_not(None) if identified_only else true()
    while True:
        rows = conn.execute(
            select(measure_targets)
            .where(measure_targets.c.pk > last, wanted)
            .order_by(measure_targets.c.pk)
            .limit(chunk)
        ).all()
        if not rows:
            return
        last = int(rows[-1].pk)
        yield from (_target(r) for r in rows)


def apply(
    conn: Connection,
    added: Sequence[Target],
    changed: Sequence[Target],
    removed: Sequence[Target],
    at: datetime,
) -> int:
    """Write target changes and their feed events in one go; returns the number of events."""
    for target in (*removed, *changed):
        conn.execute(
            delete(measure_targets).where(
                measure_targets.c.record_key == target.record_key,
                measure_targets.c.target_pk == target.target_pk,
            )
        )
    if added or changed:
        conn.execute(measure_targets.insert(), [_fields(t) for t in (*added, *changed)])
    events = [("listed", t) for t in added] + [("changed", t) for t in changed] + [("removed", t) for t in removed]
    if events:
        conn.execute(
            measure_events.insert(),
            [{"at": at, "event": kind, **_event_fields(t)} for kind, t in events],
        )
    return len(events)


def events_after(conn: Connection, after_seq: int, *, limit: int = 1000) -> list[Event]:
    """Feed entries after a cursor, oldest first."""
    rows = conn.execute(
        select(measure_events).where(measure_events.c.seq > after_seq).order_by(measure_events.c.seq).limit(limit)
    ).all()
    return [Event(int(r.seq), r.at, r.event, _target_of_event(r)) for r in rows]


def last_event_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(measure_events.c.seq), 0))).scalar_one())


def _fields(target: Target) -> dict[str, Any]:
    """A target's columns (`dataclasses.asdict` deep-copies every value: a fifth of a large publish)."""
    return {name: getattr(target, name) for name in _TARGET_FIELDS}


_TARGET_FIELDS = Target.__slots__
_EVENT_FIELDS = tuple(name for name in _TARGET_FIELDS if name != "source_pk")


def _event_fields(target: Target) -> dict[str, Any]:
    return {name: getattr(target, name) for name in _EVENT_FIELDS}


def _target(row: Row[Any]) -> Target:
    m = row._mapping
    return Target(**{name: m[name] for name in Target.__slots__})


def _target_of_event(row: Row[Any]) -> Target:
    m = dict(row._mapping)
    m["source_pk"] = 0
    return Target(**{name: m[name] for name in Target.__slots__})


def _chunks(pks: Sequence[int], size: int = 5000) -> Iterator[Sequence[int]]:
    for start in range(0, len(pks), size):
        yield pks[start : start + size]
