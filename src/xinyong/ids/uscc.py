"""The Unified Social Credit Code of legal persons and other organisations (GB 32100-2015).

Two checks guard a code. Position 18 is the GB 32100 MOD 31 character over positions 1-17; position 17
is the GB 11714 check character of the embedded nine-character organisation code. Every known-valid
example in the domain notes and 140 codes published by python-stdnum pass both, so a failure of
either is a reason; the few codes issued in pilot regions that fail a check are admitted only through
the operator's allow-list. The organisation-code check character is always a digit or X, both of which
the USCC alphabet has, so the rule never asks for a character a USCC cannot hold. Letters that GB 11714
allows but GB 32100 excludes (I O S V Z) are rejected by the alphabet rule first.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Final

from xinyong.errors import InvalidInput
from xinyong.ids.divisions import CENTRAL, division_problem
from xinyong.ids.model import IdCheck, IdKind, compact

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE: Final = {ch: i for i, ch in enumerate(ALPHABET)}
# W_i = 3^(i-1) mod 31 for positions 1..17.
WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
# GB 11714 weights over the eight body characters of the organisation code.
ORG_WEIGHTS: Final = (3, 7, 9, 10, 5, 8, 4, 2)

# Registration authority (position 1) → (label, {organisation type (position 2): label}).
# Agreed by many public implementations; not checked against the standard's own text (domain.md §1.1).
AUTHORITIES: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "1": (
        "establishment administration",
        {"1": "state organ", "2": "public institution", "3": "mass organisation", "9": "other"},
    ),
    "2": ("foreign affairs", {"1": "resident foreign news organisation", "9": "other"}),
    "3": (
        "justice administration",
        {
            "1": "law firm",
            "2": "notary office",
            "3": "grassroots legal service office",
            "4": "judicial appraisal body",
            "5": "arbitration commission",
            "9": "other",
        },
    ),
    "4": ("culture", {"1": "foreign cultural centre", "9": "other"}),
    "5": (
        "civil affairs",
        {"1": "social organisation", "2": "private non-enterprise unit", "3": "foundation", "9": "other"},
    ),
    "6": (
        "tourism",
        {"1": "foreign tourism office", "2": "Hong Kong/Macao/Taiwan tourism office", "9": "other"},
    ),
    "7": ("religion", {"1": "site for religious activities", "2": "religious college", "9": "other"}),
    "8": ("trade unions", {"1": "grassroots trade union", "9": "other"}),
    "9": (
        "industry and commerce",
        {"1": "enterprise", "2": "individual business", "3": "farmers' cooperative"},
    ),
    "A": (
        "Central Military Commission reform and establishment office",
        {"1": "military public institution", "9": "other"},
    ),
    "N": (
        "agriculture",
        {
            "1": "group-level collective economic organisation",
            "2": "village-level collective economic organisation",
            "3": "township-level collective economic organisation",
            "9": "other",
        },
    ),
    "Y": ("other", {"1": "other"}),
}


def normalize(raw: str) -> str:
    """The code folded to half-width capitals without spaces or dashes."""
    return compact(raw)


def check_char(code17: str) -> str:
    """The GB 32100 check character over the first 17 characters: C18 = 31 - (S mod 31), 31 → 0."""
    total = sum(_VALUE[ch] * w for ch, w in zip(code17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_char(body8: str) -> str:
    """The GB 11714 check character over the eight body characters of an organisation code (0-9, A-Z)."""
    total = sum(int(ch, 36) * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def _problem(code: str) -> str | None:
    if len(code) != 18:
        return f"a USCC has 18 characters, found {len(code)}"
    for pos, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            return (
                f"character {ch!r} at position {pos} is not in the USCC alphabet "
                "(digits and capitals except I, O, S, V, Z)"
            )
    authority, org_type = code[0], code[1]
    if authority not in AUTHORITIES:
        return f"unknown registration authority {authority!r} at position 1"
    label, types = AUTHORITIES[authority]
    if org_type not in types:
        return (
            f"unknown organisation type {org_type!r} at position 2 for registration authority {authority!r} ({label})"
        )
    division = code[2:8]
    if division != CENTRAL and (why := division_problem(division, "3-8")):
        return why
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"wrong check character at position 18: expected {expected}, found {code[17]}"
    expected_org = org_check_char(code[8:16])
    if code[16] != expected_org:
        return (
            "wrong organisation-code check character at position 17 (GB 11714): "
            f"expected {expected_org}, found {code[16]}"
        )
    return None


def validate(code: str) -> IdCheck:
    """Check a USCC, naming the first rule it breaks."""
    norm = normalize(code)
    why = _problem(norm)
    return IdCheck(
        valid=why is None,
        kind="uscc",
        normalized=norm if len(norm) == 18 else None,
        reason=why,
    )


def looks_like(code: str) -> bool:
    """Any 18-character code may be a USCC; the alphabet and the rest are reasons, not shape."""
    return len(code) == 18


def mask(code: str) -> str:
    """The code unchanged (normalised): an organisation's USCC is public on its licence and in NECIPS."""
    return normalize(code)


def generate(rng: random.Random, division: str = "110105", authority: str = "9", org_type: str = "1") -> str:
    """A random valid USCC for the given region, authority and type, both check characters included."""
    if authority not in AUTHORITIES:
        raise InvalidInput(f"unknown registration authority {authority!r}", field="authority")
    if org_type not in AUTHORITIES[authority][1]:
        raise InvalidInput(
            f"unknown organisation type {org_type!r} for registration authority {authority!r}",
            field="org_type",
        )
    if division != CENTRAL and (why := division_problem(division, "3-8")):
        raise InvalidInput(why, field="division")
    body = "".join(rng.choice(ALPHABET) for _ in range(8))
    code17 = authority + org_type + division + body + org_check_char(body)
    return code17 + check_char(code17)


def _check(code: str, today: date | None) -> IdCheck:
    return validate(code)


KIND: Final = IdKind(name="uscc", looks_like=looks_like, check=_check, mask=mask)
