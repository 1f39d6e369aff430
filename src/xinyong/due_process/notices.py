"""Notices before listing (事先告知): for a list the catalog gives `notice_days`, the subject is told of the
intended listing, its reasons and its rights first, and the listing may start only once that many days
have passed since the notice was served.

Serving a notice stores it (`notices`) and writes the served day onto the record as a new version
(`extra.notice_served_on`), which is where the rules read it: a listing starts no earlier than the served
day plus `notice_days`, whatever start the agency asked for, so listing inside the notice period is refused
by the rules themselves and every check agrees. An agency may also send `notice_served_on` as a feed column.
Without any notice the decision counts as served on the day it was made (the notice travels with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from xinyong.catalog.model import Catalog
from xinyong.clock import Clock, cst_day
from xinyong.dates import not_in_future
from xinyong.domain.records import ENDING_STATUSES
from xinyong.due_process import notify
from xinyong.due_process.lookup import Actor, parse_record_ref
from xinyong.due_process.versions import successor
from xinyong.errors import Conflict, InvalidInput, NotFound
from xinyong.rules.listings import NOTICE_SERVED_FIELD
from xinyong.store import RecordRow, Store, audit_rows, records, subjects
from xinyong.store import due_process as repo
from xinyong.store.audit_rows import Event
from xinyong.store.due_process import NoticeRow


@dataclass(frozen=True, slots=True)
class Served:
    """A served notice, the first day the listing may start, and the version that carries the notice."""

    notice: NoticeRow
    listing_from: date
    version: RecordRow | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "notice": self.notice.key,
            "record": self.notice.record_key,
            "list": self.notice.list_code,
            "served_on": self.notice.served_on,
            "listing_from": self.listing_from,
        }


def serve(store: Store, catalog: Catalog, clock: Clock, *, record: str, served_on: date, by: Actor) -> Served:
    """Record that the notice of listing for `record` (`AGENCY:RECORD_ID`) was served on `served_on`."""
    now = clock.now()
    not_in_future(served_on, cst_day(now), "served_on")
    agency, record_id = parse_record_ref(catalog, record)
    with store.unit_of_work() as conn:
        old = records.current(conn, agency, record_id, lock=True)
        if old is None:
            raise NotFound(f"no record {agency}:{record_id}", field="record")
        list_type = catalog.list_for(old.record_type, old.grade)
        if list_type is None:
            raise InvalidInput(f"a {old.record_type} record places nobody on a list", field="record")
        if not list_type.notice_days:
            raise InvalidInput(f"list {list_type.code} needs no prior notice", field="record")
        if old.status in ENDING_STATUSES:
            raise Conflict(
                f"record {agency}:{record_id} is {old.status}; there is no listing to give notice of", field="record"
            )
        key = f"{agency}:{record_id}"
        notice = repo.insert_notice(
            conn,
            repo.NewNotice(
                agency=agency,
                record_id=record_id,
                subject_pk=old.subject_pk,
                list_code=list_type.code,
                served_on=served_on,
                served_by=by.name,
                recorded_at=now,
            ),
        )
        version: RecordRow | None = None
        if old.extra.get(NOTICE_SERVED_FIELD) != served_on.isoformat():
            data = successor(old, f"notice:{notice.key}", {}, {NOTICE_SERVED_FIELD: served_on.isoformat()})
            version = records.supersede(conn, data, at=now)
            repo.link_notice_version(conn, notice.pk, version.pk)
        listing_from = served_on + timedelta(days=list_type.notice_days)
        about = f"notice:{notice.key}"
        events = [
            Event(
                now,
                by.name,
                by.role,
                "notice.serve",
                about,
                detail={
                    "record": key,
                    "list": list_type.code,
                    "served_on": served_on.isoformat(),
                    "listing_from": listing_from.isoformat(),
                },
            )
        ]
        who = subjects.get(conn, old.subject_pk) if old.subject_pk is not None else None
        if who is not None:
            events.append(
                notify.message(
                    who,
                    at=now,
                    by=by,
                    about=about,
                    event="notice.served",
                    record=key,
                    zh=f"{agency} 拟将您列入{list_type.label_zh}（记录 {key}），告知书于 {served_on} 送达，"
                    f"最早于 {listing_from} 列入；您可在此前陈述、申辩或提出异议。",
                    en=f"{agency} intends to place you on the {list_type.label_en} (record {key}); notice served on "
                    f"{served_on}, listing no earlier than {listing_from}. You may respond or object before then.",
                )
            )
        audit_rows.record(conn, events)
        notice = repo.get_notice(conn, notice.key)
    return Served(notice, listing_from, version)
