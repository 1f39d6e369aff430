"""Publishing: turn what changed in the store into measure targets and change-feed events.

Any replica may run it; a lock makes one publisher at a time, so the feed is written in one order.
Windows carry their end dates, so an expiry needs no event and no job: it is already in the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from xinyong.catalog.model import Catalog
from xinyong.clock import Clock
from xinyong.domain.listings import Listing
from xinyong.domain.records import SANCTIONING_LINKS
from xinyong.rules.listings import listings_for
from xinyong.screening.files import histories
from xinyong.store import Connection, Store, meta, screening, subjects
from xinyong.store.roles import LEGAL_REPRESENTATIVE
from xinyong.store.screening import Target
from xinyong.store.subjects import SubjectRow

RECORDS_CURSOR = "screening.records_cursor"
CHANGES_CURSOR = "screening.changes_cursor"


#: Subjects read per step of a round (in subject order); each is published once per round.
ROUND = 1_000_000


def publish(store: Store, catalog: Catalog, clock: Clock, *, chunk: int = 20_000, round_size: int = ROUND) -> int:
    """Publish everything stored since the last run; returns the number of feed events written.

    A round takes every record version and subject change stored after the cursors, up to the last one
    stored when it starts, and publishes each subject they concern exactly once: the subjects are read in
    subject order, `round_size` at a time, and published in transactions of `chunk`; then the cursors move
    to where the round ended. A subject whose records lie all over the store (a yearly tax grade from each
    of several feeds) is worked out once however large the backlog. Killed mid-round, the next run redoes
    the round: republishing compares with what is published, so nothing is written twice.
    """
    written = 0
    with store.connect() as conn:  # look before taking the write lock: most rounds find nothing new
        if not _pending(conn):
            return 0
    while True:
        with store.connect() as conn:
            span = _span(conn)
        if span.empty():
            return written
        after = 0
        while True:
            with store.connect() as conn:
                subjects_ = screening.subjects_in_span(conn, span, after=after, limit=round_size)
            for start in range(0, len(subjects_), chunk):
                with store.unit_of_work() as conn:
                    screening.lock_publisher(conn)
                    written += republish(conn, catalog, subjects_[start : start + chunk], clock.now())
            if len(subjects_) < round_size:
                break
            after = subjects_[-1]
        with store.unit_of_work() as conn:
            screening.lock_publisher(conn)
            _advance(conn, RECORDS_CURSOR, span.records_to)
            _advance(conn, CHANGES_CURSOR, span.changes_to)


def _advance(conn: Connection, cursor: str, to: int) -> None:
    """Move a cursor to `to`, never back: another publisher may have moved it further meanwhile."""
    meta.put(conn, cursor, str(max(to, int(meta.get(conn, cursor) or 0))))


def _pending(conn: Connection) -> bool:
    return not _span(conn).empty()


def _span(conn: Connection) -> screening.Span:
    # From the cursors to what is stored now.
    return screening.span_to_latest(
        conn, int(meta.get(conn, RECORDS_CURSOR) or 0), int(meta.get(conn, CHANGES_CURSOR) or 0)
    )


def republish(conn: Connection, catalog: Catalog, source_pks: Sequence[int], now: datetime) -> int:
    """Recompute the targets these subjects' records create and write the differences as events."""
    if not source_pks:
        return 0
    wanted = _targets(conn, catalog, source_pks)
    published = screening.targets_from(conn, source_pks)
    added = [t for k, t in wanted.items() if k not in published]
    changed = [t for k, t in wanted.items() if k in published and published[k] != t]
    removed = [t for k, t in published.items() if k not in wanted]
    return screening.apply(conn, added, changed, removed, now)


def _targets(conn: Connection, catalog: Catalog, source_pks: Sequence[int]) -> dict[tuple[str, int], Target]:
    types = [code for code, rt in catalog.record_types.items() if rt.places_on]
    by_subject = screening.listing_records(conn, source_pks, types)
    people = subjects.get_many(conn, by_subject)
    reps = screening.representatives(conn, [pk for pk, s in people.items() if s.kind == "org"], LEGAL_REPRESENTATIVE)
    people.update(subjects.get_many(conn, {p for periods in reps.values() for p, _, _ in periods} - set(people)))
    out: dict[tuple[str, int], Target] = {}
    for pk, rows in by_subject.items():
        source = people[pk]
        for listing in listings_for(histories(rows, source.key), catalog):
            if listing.link not in SANCTIONING_LINKS or (listing.end is not None and listing.end < listing.start):
                continue
            direct = _target(listing, source, source, None, listing.start, listing.end)
            out[direct.key] = direct
            if not catalog.lists[listing.list_code].reaches_legal_rep:
                continue
            for person_pk, held_from, held_to in reps.get(pk, ()):
                start = max(listing.start, held_from)
                end = _earlier(listing.end, held_to)
                if end is None or end >= start:
                    via = _target(listing, people[person_pk], source, LEGAL_REPRESENTATIVE, start, end)
                    out[via.key] = via  # a later period of the same person replaces an earlier one
    return out


def _earlier(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def _target(
    listing: Listing,
    target: SubjectRow,
    source: SubjectRow,
    via_role: str | None,
    start: date,
    end: date | None,
) -> Target:
    return Target(
        record_key=listing.record_key,
        target_pk=target.pk,
        target_id=target.id_value,
        target_kind=target.kind,
        target_name=target.name,
        source_pk=source.pk,
        via_role=via_role,
        via_id=(source.id_value or source.key) if via_role else None,
        list_code=listing.list_code,
        agency=listing.agency,
        decision_no=listing.decision_no,
        legal_basis=listing.legal_basis,
        valid_from=start,
        valid_to=end,
    )
