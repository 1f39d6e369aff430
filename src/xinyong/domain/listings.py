"""A subject's place on a list: when it starts and ends in legal time, and why it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

ListingState = Literal["noticed", "listed", "extended", "removed"]
RemovalReason = Literal["fulfilled", "revoked", "repaired", "expired"]


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing derived from a record: its list, its decision and its legal lifetime (end inclusive)."""

    list_code: str
    record_key: str
    agency: str
    subject_key: str | None
    link: str
    decision_no: str | None
    legal_basis: str
    noticed_on: date | None
    start: date
    end: date | None
    extended: bool = False
    ended_by: RemovalReason | None = None
    contested: bool = False

    def in_force(self, day: date) -> bool:
        """Whether the listing has legal effect on that China Standard Time day."""
        return self.start <= day and (self.end is None or day <= self.end)

    def state(self, day: date) -> ListingState:
        """The listing's state on a day; expiry needs no job, it is read off the dates."""
        if self.in_force(day):
            return "extended" if self.extended else "listed"
        if day < self.start and self.ended_by is None:
            return "noticed"
        return "removed"

    def removal_reason(self, day: date) -> RemovalReason | None:
        """Why the listing no longer applies on that day, if it does not."""
        if self.in_force(day) or (day < self.start and self.ended_by is None):
            return None
        return self.ended_by or "expired"
