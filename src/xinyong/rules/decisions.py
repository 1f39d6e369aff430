"""decide(file, action, at, catalog): the joint-measures engine. Pure and deterministic.

It runs in two steps so the screening index can cache the first: `applicable` lists every measure that
could reach the subject for an action, with the window in which it does; `decide_from` keeps those whose
window holds the day and lets the strongest effect win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from xinyong.catalog.model import Catalog
from xinyong.domain.decisions import EFFECT_STRENGTH, Decision, Effect, Reason, Via
from xinyong.domain.files import SubjectFile
from xinyong.domain.listings import Listing
from xinyong.domain.records import SANCTIONING_LINKS
from xinyong.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Applicable:
    """A reason and the days it applies: the listing's window, cut to the role's where it comes via a role."""

    reason: Reason
    start: date
    end: date | None

    def holds(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def _later(a: date, b: date) -> date:
    return a if a >= b else b


def _earlier(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    return a if b is None or a <= b else b


def _applicable(
    listing: Listing, action: str, catalog: Catalog, via: Via | None, held: tuple[date, date | None] | None
) -> list[Applicable]:
    # Principle 4: a probabilistic match nobody confirmed never carries a sanction.
    if listing.link not in SANCTIONING_LINKS:
        return []
    start, end = listing.start, listing.end
    if held is not None:
        start, end = _later(start, held[0]), _earlier(end, held[1])
    if end is not None and end < start:
        return []
    out = []
    for measure in catalog.measures_for_list(listing.list_code):
        if action not in measure.actions or (via is not None and not measure.reaches_legal_rep):
            continue
        reason = Reason(
            measure=measure.code,
            list=listing.list_code,
            effect=measure.effect,
            record=listing.record_key,
            agency=listing.agency,
            decision_no=listing.decision_no,
            legal_basis=measure.legal_basis,
            valid_from=listing.start,
            valid_to=listing.end,
            via=via,
        )
        out.append(Applicable(reason, start, end))
    return out


def applicable(file: SubjectFile, action: str, catalog: Catalog) -> tuple[Applicable, ...]:
    """Every measure that reaches the subject for the action on some day, strongest first."""
    found: list[Applicable] = []
    for listing in file.listings:
        found.extend(_applicable(listing, action, catalog, None, None))
    for role_file in file.roles:
        # A company's measure reaches a person only on the days the person holds the role.
        role, org = role_file.role, role_file.role.org
        via = Via(role=role.role, of=org.id or org.key)
        for listing in role_file.org_listings:
            found.extend(_applicable(listing, action, catalog, via, (role.valid_from, role.valid_to)))
    unique = set(found)
    return tuple(
        sorted(
            unique,
            key=lambda a: (
                -EFFECT_STRENGTH[a.reason.effect],
                a.reason.list,
                a.reason.measure,
                a.reason.record,
                a.reason.via is not None,
                a.start,
            ),
        )
    )


def decide_from(subject: dict[str, Any] | None, candidates: tuple[Applicable, ...], action: str, at: date) -> Decision:
    """The decision on a day from the measures that could apply; the strongest effect wins."""
    # `applicable` already removed duplicates, and role periods never overlap, so no reason repeats on a day.
    reasons = tuple([a.reason for a in candidates if a.start <= at and (a.end is None or at <= a.end)])
    effect: Effect = reasons[0].effect if reasons else "allow"
    return Decision(subject=subject, action=action, at=at, effect=effect, reasons=reasons)


def subject_of(file: SubjectFile) -> dict[str, Any]:
    """The subject as a decision names it."""
    return {"kind": file.subject.kind, "id": file.subject.id, "name": file.subject.name}


def decide(file: SubjectFile | None, action: str, at: date, catalog: Catalog) -> Decision:
    """The decision of CONTRACT §4 for one subject, one action and one day (China Standard Time)."""
    if action not in catalog.actions:
        raise InvalidInput(f"unknown action {action!r}", field="action")
    if file is None:
        return Decision(subject=None, action=action, at=at, effect="allow")
    return decide_from(subject_of(file), applicable(file, action, catalog), action, at)
