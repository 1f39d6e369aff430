"""decide(file, action, at, catalog): the joint-measures engine. Pure and deterministic."""

from __future__ import annotations

from datetime import date

from xinyong.catalog.model import Catalog
from xinyong.domain.decisions import EFFECT_STRENGTH, Decision, Effect, Reason, Via
from xinyong.domain.files import SubjectFile
from xinyong.domain.listings import Listing
from xinyong.domain.records import SANCTIONING_LINKS
from xinyong.errors import InvalidInput


def _reasons(listing: Listing, action: str, at: date, catalog: Catalog, via: Via | None) -> list[Reason]:
    # Principle 4: a probabilistic match nobody confirmed never carries a sanction.
    if listing.link not in SANCTIONING_LINKS or not listing.in_force(at):
        return []
    out = []
    for measure in catalog.measures_for_list(listing.list_code):
        if action not in measure.actions or (via is not None and not measure.reaches_legal_rep):
            continue
        out.append(
            Reason(
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
        )
    return out


def decide(file: SubjectFile | None, action: str, at: date, catalog: Catalog) -> Decision:
    """The decision of CONTRACT §4 for one subject, one action and one day (China Standard Time)."""
    if action not in catalog.actions:
        raise InvalidInput(f"unknown action {action!r}", field="action")
    if file is None:
        return Decision(subject=None, action=action, at=at, effect="allow")
    reasons: list[Reason] = []
    for listing in file.listings:
        reasons.extend(_reasons(listing, action, at, catalog, None))
    for role_file in file.roles:
        # A company's measure reaches a person only on the days the person holds the role.
        if not role_file.role.held_on(at):
            continue
        org = role_file.role.org
        via = Via(role=role_file.role.role, of=org.id or org.key)
        for listing in role_file.org_listings:
            reasons.extend(_reasons(listing, action, at, catalog, via))
    unique = sorted(
        set(reasons),
        key=lambda r: (-EFFECT_STRENGTH[r.effect], r.list, r.measure, r.record, r.via is not None),
    )
    effect: Effect = unique[0].effect if unique else "allow"
    subject = {"kind": file.subject.kind, "id": file.subject.id, "name": file.subject.name}
    return Decision(subject=subject, action=action, at=at, effect=effect, reasons=tuple(unique))
