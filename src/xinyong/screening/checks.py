"""Checks outside the index: one subject straight from the store (exact for any `known_at`), and the audit
entries every check leaves behind."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from xinyong.catalog.model import Catalog
from xinyong.domain.decisions import Decision
from xinyong.domain.records import SANCTIONING_LINKS
from xinyong.rules.decisions import decide
from xinyong.screening.files import subject_file
from xinyong.screening.index import BatchTally, Result, normalized_id
from xinyong.store import Store, subjects
from xinyong.store.audit_rows import Concerns, Event


def check_in_store(
    store: Store, catalog: Catalog, raw_id: str, action: str, at: date, known_at: datetime | None = None
) -> Decision:
    """The decision read from the store: what is in force on `at`, as the registry knew it at `known_at`."""
    code = normalized_id(raw_id)
    with store.connect() as conn:
        row = subjects.get_by_id_value(conn, code)
        if row is None or (known_at is not None and row.created_at > known_at):
            return decide(None, action, at, catalog)
        file = subject_file(conn, catalog, row, known_at)
    # As in the index: a subject no measure ever reaches is answered like an unknown one, so a platform
    # learns nothing about people with a clean file.
    reachable = [*file.listings, *(listing for rf in file.roles for listing in rf.org_listings)]
    if not any(listing.link in SANCTIONING_LINKS for listing in reachable):
        return decide(None, action, at, catalog)
    return decide(file, action, at, catalog)


def audit_events(
    *,
    actor: str,
    role: str,
    purpose: str | None,
    action: str,
    at: date,
    results: Sequence[Result],
    now: datetime,
) -> list[Event]:
    """The audit entry of a check: its own entry for a single check of a subject on file, else one for the
    whole request (see `request_event`)."""
    single = results[0] if len(results) == 1 else None
    if isinstance(single, Decision) and single.subject is not None:
        return [
            Event(
                at=now,
                actor=actor,
                role=role,
                action="check",
                object=f"subject:{single.subject['id']}",
                purpose=purpose,
                result=single.effect,
                detail={"action": action, "at": at.isoformat(), "reasons": len(single.reasons)},
            )
        ]
    return [
        request_event(
            actor=actor, role=role, purpose=purpose, action=action, at=at, tally=BatchTally.of(results), now=now
        )
    ]


def request_event(
    *, actor: str, role: str, purpose: str | None, action: str, at: date, tally: BatchTally, now: datetime
) -> Event:
    """One entry for a request of many IDs (or of one not on file): who asked, about what action and day, how
    many IDs, and every subject found on file with its effect, so each finds the check in its access log.

    Checks of people with no measure are counted but not listed one by one: logging every passenger an
    airline looks up would itself be the surveillance the registry must not become. The log grows with
    requests, not with IDs; the access index grows with the subjects on file.
    """
    return Event(
        at=now,
        actor=actor,
        role=role,
        action="check.request",
        object=f"action:{action}",
        purpose=purpose,
        detail={
            "action": action,
            "at": at.isoformat(),
            "ids": tally.ids,
            "on_file": len(tally.objects),
            "invalid": tally.invalid,
        },
        concerns=Concerns("check", tally.objects, tally.effects) if tally.objects else None,
    )
