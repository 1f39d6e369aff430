"""Which listing a record creates, from its versions and the catalog, as the registry knew it at a given time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from xinyong.catalog.model import Catalog
from xinyong.clock import cst_day
from xinyong.dates import end_after_months
from xinyong.domain.listings import Listing, RemovalReason
from xinyong.domain.records import ENDING_STATUSES, RecordVersion


def current_version(versions: Sequence[RecordVersion], known_at: datetime | None = None) -> RecordVersion | None:
    """The version that was current at a system time (now when None): the registry's word then."""
    if known_at is None:
        live = [v for v in versions if v.superseded_at is None]
    else:
        live = [v for v in versions if v.known_at(known_at)]
    return max(live, key=lambda v: v.version) if live else None


#: The record field (in `extra`) holding the day a prior notice of listing was served; without it the
#: decision itself counts as the notice, served on the day it was made.
NOTICE_SERVED_FIELD = "notice_served_on"


def served_on(version: RecordVersion) -> date | None:
    """The day a notice of listing was served for this version, if one is recorded in a readable form."""
    raw = version.extra.get(NOTICE_SERVED_FIELD)
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


_REMOVAL: dict[str, RemovalReason] = {"fulfilled": "fulfilled", "revoked": "revoked", "repaired": "repaired"}


def _natural_end(version: RecordVersion, start: date, catalog: Catalog, list_code: str) -> date | None:
    if version.valid_to is not None:
        return version.valid_to
    months = catalog.lists[list_code].default_months or catalog.record_types[version.record_type].default_valid_months
    return end_after_months(start, months) if months else None


def _ending_day(version: RecordVersion) -> date:
    """An ending version ends legal effect on its valid_to, else at the end of the day before it was recorded."""
    if version.valid_to is not None:
        return version.valid_to
    return cst_day(version.recorded_at) - timedelta(days=1)


def listing_from(
    versions: Sequence[RecordVersion],
    catalog: Catalog,
    known_at: datetime | None = None,
    ended_elsewhere: RecordVersion | None = None,
    contested: bool = False,
) -> Listing | None:
    """The listing one record creates, or None if its type places nobody on a list.

    `ended_elsewhere` is a later record of the same agency and decision number whose status ends it.
    """
    current = current_version(versions, known_at)
    if current is None:
        return None
    list_type = catalog.list_for(current.record_type, current.grade)
    if list_type is None:
        return None
    # The listing's opening terms come from the last version that was still in force, so a
    # fulfilment re-sent as a correction ends the listing without rewriting when it began.
    in_force = [v for v in versions if v.version <= current.version and v.status not in ENDING_STATUSES]
    if not in_force:
        return None  # a record that only ever reported an ending (a separate fulfilment notice) lists nobody
    terms = max(in_force, key=lambda v: v.version)
    noticed_on: date | None = None
    start = terms.valid_from or terms.decided_on
    if list_type.notice_days:
        # A notice stays served when a later correction does not repeat it; the latest one counts.
        served = [d for v in versions if v.version <= current.version and (d := served_on(v)) is not None]
        noticed_on = max(served, default=terms.decided_on)
        start = max(start, noticed_on + timedelta(days=list_type.notice_days))
    end = _natural_end(terms, start, catalog, list_type.code)
    first = min(versions, key=lambda v: v.version)
    first_end = _natural_end(first, start, catalog, list_type.code) if first is not terms else end
    extended = end is not None and first_end is not None and end > first_end
    ended_by: RemovalReason | None = None
    for ender in (current, ended_elsewhere):
        if ender is not None and ender.status in ENDING_STATUSES:
            day = _ending_day(ender)
            if end is None or day < end:
                end = day
                ended_by = _REMOVAL[ender.status]
    return Listing(
        list_code=list_type.code,
        record_key=current.key,
        agency=current.agency,
        subject_key=current.subject_key,
        link=current.link,
        decision_no=current.decision_no,
        legal_basis=current.legal_basis or list_type.legal_basis,
        noticed_on=noticed_on,
        start=start,
        end=end,
        extended=extended,
        ended_by=ended_by,
        contested=contested,
    )


def listings_for(
    records: Iterable[Sequence[RecordVersion]],
    catalog: Catalog,
    known_at: datetime | None = None,
    contested: frozenset[str] = frozenset(),
) -> tuple[Listing, ...]:
    """Every listing a subject's records create; a separate fulfilment record with the same decision ends it."""
    histories = [list(h) for h in records if h]
    enders: dict[tuple[str, str], RecordVersion] = {}
    for history in histories:
        cur = current_version(history, known_at)
        if cur is not None and cur.decision_no and cur.status in ENDING_STATUSES:
            enders[(cur.agency, cur.decision_no)] = cur
    out: list[Listing] = []
    for history in histories:
        cur = current_version(history, known_at)
        if cur is None:
            continue
        ender = enders.get((cur.agency, cur.decision_no)) if cur.decision_no else None
        if ender is cur:
            ender = None
        listing = listing_from(history, catalog, known_at, ender, cur.key in contested)
        if listing is not None:
            out.append(listing)
    return tuple(out)
