"""A credit record as the registry holds it: one version of an agency's record, with legal and system time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

Link = Literal["pending", "id", "model", "confirmed", "review", "new"]
Status = Literal["in_force", "fulfilled", "revoked", "repaired"]

#: Links strong enough for a sanction to reach a subject (principle 4).
SANCTIONING_LINKS: frozenset[str] = frozenset({"id", "confirmed"})

#: Statuses that end whatever the record started.
ENDING_STATUSES: frozenset[str] = frozenset({"fulfilled", "revoked", "repaired"})


def record_key(agency: str, record_id: str) -> str:
    """The stable key of a record across its versions, as objections and decisions name it."""
    return f"{agency}:{record_id}"


@dataclass(frozen=True, slots=True)
class RecordVersion:
    """One stored version of an agency record; a correction is a later version, never an overwrite."""

    agency: str
    record_id: str
    version: int
    record_type: str
    subject_kind: Literal["org", "person"]
    subject_name: str
    decided_on: date
    recorded_at: datetime
    subject_key: str | None = None
    subject_id: str | None = None
    link: Link = "pending"
    link_probability: float | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    decision_no: str | None = None
    legal_basis: str | None = None
    severity: str | None = None
    status: Status = "in_force"
    amount: Decimal | None = None
    grade: str | None = None
    result: str | None = None
    legal_rep_name: str | None = None
    legal_rep_id: str | None = None
    summary: str | None = None
    superseded_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return record_key(self.agency, self.record_id)

    def known_at(self, instant: datetime) -> bool:
        """Whether this version was the registry's current word at that system time."""
        return self.recorded_at <= instant and (self.superseded_at is None or self.superseded_at > instant)
