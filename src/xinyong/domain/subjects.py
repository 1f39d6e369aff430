"""Subjects (companies and people) and the roles that connect them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

SubjectKind = Literal["org", "person"]


@dataclass(frozen=True, slots=True)
class SubjectRef:
    """Who a file or a decision is about: kind, strong identifier (if any), name and internal key."""

    kind: SubjectKind
    key: str
    id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Role:
    """A person's role in an organisation over a period (end inclusive, None while held)."""

    role: str
    org: SubjectRef
    valid_from: date
    valid_to: date | None = None

    def held_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)
