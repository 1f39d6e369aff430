"""Every identifier kind the system knows, tried in turn: checking a code is a loop, not an if-chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Final

from xinyong.errors import InvalidInput
from xinyong.ids import resident_id, uscc
from xinyong.ids.allowlist import AllowList
from xinyong.ids.model import IdCheck, IdKind, Kind, compact

# Order matters only when no kind validates: the first kind that claims the shape gives the reason.
# A person's number claims only 17 digits + digit/X with a birth-date shape, so it goes first.
KINDS: Final[tuple[IdKind, ...]] = (resident_id.KIND, uscc.KIND)
NO_KIND_REASON: Final = "not an 18-character USCC or resident ID"


def _admit(result: IdCheck, code: str, allow_list: AllowList | None) -> IdCheck:
    if result.valid or allow_list is None or code not in allow_list:
        return result
    return replace(result, valid=True, normalized=code, reason=None, allowlisted=True)


def check(raw: str, allow_list: AllowList | None = None, *, today: date | None = None) -> IdCheck:
    """Check a code of any kind: the first kind that validates it wins, else the first claimant says why."""
    code = compact(raw)
    claimed: list[IdCheck] = []
    for kind in KINDS:
        if not kind.looks_like(code):
            continue
        result = kind.check(code, today)
        if result.valid:
            return result
        claimed.append(result)
    if not claimed:
        return IdCheck(
            valid=False,
            kind=None,
            normalized=None,
            reason=f"{NO_KIND_REASON} (found {len(code)} characters)",
        )
    return _admit(claimed[0], code, allow_list)


def kind_named(name: str) -> IdKind:
    """The registered kind with this name."""
    for kind in KINDS:
        if kind.name == name:
            return kind
    known = ", ".join(k.name for k in KINDS)
    raise InvalidInput(f"unknown identifier kind {name!r} (known: {known})", field="kind")


def check_kind(
    raw: str, kind: Kind | str, allow_list: AllowList | None = None, *, today: date | None = None
) -> IdCheck:
    """Check a code that must be of one kind, such as a feed's `subject_id` for an `org`."""
    code = compact(raw)
    return _admit(kind_named(kind).check(code, today), code, allow_list)


def mask(result: IdCheck) -> str | None:
    """The normalised code as it may be displayed: a person's number masked, an organisation's code as is."""
    if result.normalized is None:
        return None
    if result.kind is None:
        return "*" * len(result.normalized)
    return kind_named(result.kind).mask(result.normalized)
