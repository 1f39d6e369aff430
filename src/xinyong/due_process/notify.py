"""Telling the subject: every outcome of its objections and repairs, and every notice served on it, is an
audit entry addressed to it (action `notify`, object `subject:<id>`), written in the same transaction as
the step it reports.

The audit log is the channel on purpose: what the subject was told, and when, is then as tamper-evident
as the decision itself, and `GET /v1/me` reads it back without a second store of messages that could drift.
"""

from __future__ import annotations

from datetime import datetime

from xinyong.due_process.lookup import Actor, subject_object
from xinyong.store import SubjectRow
from xinyong.store.audit_rows import Event

NOTIFY_ACTION = "notify"


def message(
    subject: SubjectRow,
    *,
    at: datetime,
    by: Actor,
    about: str,
    event: str,
    record: str,
    zh: str,
    en: str,
) -> Event:
    """An entry telling the subject of one step (`about` names it, e.g. `objection:O00000001`)."""
    return Event(
        at=at,
        actor=by.name,
        role=by.role,
        action=NOTIFY_ACTION,
        object=subject_object(subject),
        detail={"about": about, "event": event, "record": record, "message_zh": zh, "message_en": en},
    )
