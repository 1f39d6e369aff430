"""Notices before listing: a served notice is recorded with its date, the listing starts no earlier than
the served day plus the list's notice days, and a listing inside the notice period is refused by the rules
(checks allow until the period ends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from due_samples import ORG_ID, TODAY, People, Registry, clock_on, person_defaulter

from xinyong.catalog import default_catalog
from xinyong.clock import FixedClock
from xinyong.due_process import Actor, notices, subject_files
from xinyong.errors import InvalidInput
from xinyong.screening import check_in_store
from xinyong.store import RecordData, Store, audit_rows, records, subjects

CAT = default_catalog()
SAMR = Actor("samr-robot", "agency")
NOTICE_DAYS = CAT.lists["serious_dishonesty"].notice_days


def _serious(registry: Registry, people: People, decided: date) -> None:
    registry.record(
        "samr.110000",
        "S1",
        "market.serious_illegal",
        people.org,
        subject_kind="org",
        subject_name="某某科技有限公司",
        decided_on=decided,
        valid_from=decided,  # the agency asks for the listing to start on the decision day
        recorded_at=clock_on(decided, 9).now(),
    )


def test_listing_waits_for_the_notice_period_from_the_served_day(
    store: Store, registry: Registry, people: People
) -> None:
    assert NOTICE_DAYS > 0
    decided = date(2025, 5, 1)
    _serious(registry, people, decided)
    # Without a notice on file the decision counts as served the day it was made.
    first_day = decided + timedelta(days=NOTICE_DAYS)
    assert check_in_store(store, CAT, ORG_ID, "honor_award", first_day).effect == "deny"

    served_on = date(2025, 5, 20)
    served = notices.serve(
        store, CAT, clock_on(date(2025, 5, 21)), record="samr.110000:S1", served_on=served_on, by=SAMR
    )
    listing_from = served_on + timedelta(days=NOTICE_DAYS)
    assert (served.notice.key, served.notice.list_code, served.listing_from) == (
        "N00000001",
        "serious_dishonesty",
        listing_from,
    )
    assert served.version is not None
    assert served.version.extra["notice_served_on"] == "2025-05-20"
    assert served.notice.new_version_pk == served.version.pk

    # Inside the notice period the listing is refused: the measure does not apply, whatever valid_from says.
    assert check_in_store(store, CAT, ORG_ID, "honor_award", first_day).effect == "allow"
    assert check_in_store(store, CAT, ORG_ID, "honor_award", listing_from - timedelta(days=1)).effect == "allow"
    assert check_in_store(store, CAT, ORG_ID, "honor_award", listing_from).effect == "deny"

    with store.connect() as conn:
        org = subjects.get(conn, people.org)
        assert org is not None
        doc = subject_files.read_file(conn, CAT, org, view="full", today=date(2025, 5, 25))
        (entry,) = audit_rows.for_object(conn, "notice:N00000001")
        told = subject_files.notifications(conn, org)
    (listing,) = doc["listings"]
    assert (listing["state"], listing["noticed_on"], listing["start"]) == ("noticed", served_on, listing_from)
    assert doc["notices"] == [
        {
            "notice": "N00000001",
            "record": "samr.110000:S1",
            "list": "serious_dishonesty",
            "served_on": served_on,
            "served_by": "samr-robot",
            "listing_from": listing_from,
        }
    ]
    assert entry.action == "notice.serve"
    assert told[0]["event"] == "notice.served"


def test_a_later_correction_keeps_the_served_notice(store: Store, registry: Registry, people: People) -> None:
    _serious(registry, people, date(2025, 5, 1))
    notices.serve(
        store, CAT, clock_on(date(2025, 5, 21)), record="samr.110000:S1", served_on=date(2025, 5, 20), by=SAMR
    )
    with store.connect() as conn:
        current = records.current(conn, "samr.110000", "S1")
    assert current is not None
    data = RecordData(**{f: getattr(current, f) for f in RecordData.__dataclass_fields__})
    with store.unit_of_work() as conn:
        records.supersede(
            conn, replace(data, summary="corrected", extra={}, row_hash="h2"), at=clock_on(date(2025, 5, 22)).now()
        )
    assert check_in_store(store, CAT, ORG_ID, "honor_award", date(2025, 5, 29)).effect == "allow"
    assert check_in_store(store, CAT, ORG_ID, "honor_award", date(2025, 5, 30)).effect == "deny"


def test_notices_are_refused_where_the_list_needs_none_or_the_date_is_wrong(
    store: Store, registry: Registry, people: People, clock: FixedClock
) -> None:
    person_defaulter(registry, people.person)
    with pytest.raises(InvalidInput, match="list defaulter needs no prior notice"):
        notices.serve(store, CAT, clock, record="court.110105:D1", served_on=TODAY, by=SAMR)
    _serious(registry, people, date(2025, 5, 1))
    with pytest.raises(InvalidInput, match="lies in the future") as future:
        notices.serve(store, CAT, clock, record="samr.110000:S1", served_on=TODAY + timedelta(days=1), by=SAMR)
    assert future.value.field == "served_on"
