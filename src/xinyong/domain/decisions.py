"""The decision a platform gets (CONTRACT §4): allowed, the effect, and every reason with its law and dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, NamedTuple

Effect = Literal["deny", "review", "expedite", "allow"]

#: Strongest first; the strongest effect among the reasons wins.
EFFECT_STRENGTH: dict[str, int] = {"deny": 3, "review": 2, "expedite": 1, "allow": 0}


@dataclass(frozen=True, slots=True)
class Via:
    """The role through which a measure on an organisation reaches a person."""

    role: str
    of: str


@dataclass(frozen=True, slots=True)
class Reason:
    """One measure that applies, traced to its list, record, agency, decision number, law and dates."""

    measure: str
    list: str
    effect: Effect
    record: str
    agency: str
    decision_no: str | None
    legal_basis: str
    valid_from: date
    valid_to: date | None
    via: Via | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "list": self.list,
            "effect": self.effect,
            "record": self.record,
            "agency": self.agency,
            "decision_no": self.decision_no,
            "legal_basis": self.legal_basis,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            "via": {"role": self.via.role, "of": self.via.of} if self.via else None,
        }


class Decision(NamedTuple):
    """The answer to "may this subject do this today?"; `subject` is None for an unknown identifier.

    A named tuple rather than a dataclass: a batch check builds one per hit, and this builds five times faster.
    """

    subject: dict[str, Any] | None
    action: str
    at: date
    effect: Effect
    reasons: tuple[Reason, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.effect != "deny"

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "action": self.action,
            "at": self.at.isoformat(),
            "allowed": self.allowed,
            "effect": self.effect,
            "reasons": [r.as_dict() for r in self.reasons],
        }
