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
from xinyong.screening.index import BatchError, Result, normalized_id
from xinyong.store import Store, subjects
from xinyong.store.audit_rows import Event


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
    """One entry per subject a check found on file (for its access log) and one for the whole request.

    Checks of people with no measure are counted but not listed one by one: logging every passenger an
    airline looks up would itself be the surveillance the registry must not become.
    """
    events: list[Event] = []
    hits = errors = 0
    for result in results:
        if isinstance(result, BatchError):
            errors += 1
            continue
        if result.subject is None:
            continue
        hits += 1
        events.append(
            Event(
                at=now,
                actor=actor,
                role=role,
                action="check",
                object=f"subject:{result.subject['id']}",
                purpose=purpose,
                result=result.effect,
                detail={"action": action, "at": at.isoformat(), "reasons": len(result.reasons)},
            )
        )
    if len(results) > 1 or not events:
        # A single check of a subject on file is fully described by its own entry; anything else gets one
        # entry for the whole request, so the log grows with requests and hits, not with IDs checked.
        events.append(
            Event(
                at=now,
                actor=actor,
                role=role,
                action="check.request",
                object=f"action:{action}",
                purpose=purpose,
                detail={"at": at.isoformat(), "ids": len(results), "on_file": hits, "invalid": errors},
            )
        )
    return events
