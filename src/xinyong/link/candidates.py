"""Deterministic candidates from mistyped codes: a code that fails its check but is one character away
from exactly one known subject whose name also agrees.

Such a record is never linked on this evidence alone (a single slip can also land on a stranger's
code), it goes to review with that subject as the candidate. Finding the codes one substitution away
uses the check character's arithmetic: changing one position moves the weighted sum by a known
amount, so only substitutions that land on the written check character are tried against the full
validator, not all 17 × 30 of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from xinyong.ids import resident_id, uscc
from xinyong.ids.model import compact
from xinyong.link.normalise import org_keys
from xinyong.store.linkage import PendingRow, SubjectEntry
from xinyong.text import normalize_name

_BODY: Final = 17
_DIGITS: Final = "0123456789"


@dataclass(frozen=True)
class _Scheme:
    """How a kind's check character follows from its first 17 characters: the weighted sum of their
    values modulo a prime, and which residue each check character stands for."""

    alphabet: str
    weights: tuple[int, ...]
    modulus: int
    residue: dict[str, int]  # check character → the weighted sum modulo `modulus` it certifies
    valid: Callable[[str, date], bool]

    def value(self, ch: str) -> int:
        """The character's value in the weighted sum."""
        return self.alphabet.index(ch)


_SCHEMES: Final[dict[str, _Scheme]] = {
    # GB 32100: C18 = 31 - (S mod 31), with 31 written as 0.
    "org": _Scheme(
        alphabet=uscc.ALPHABET,
        weights=uscc.WEIGHTS,
        modulus=31,
        residue={ch: (31 - i) % 31 for i, ch in enumerate(uscc.ALPHABET)},
        valid=lambda code, today: uscc.validate(code).valid,
    ),
    # ISO 7064 MOD 11-2: the check character is CHECK_CHARS[S mod 11].
    "person": _Scheme(
        alphabet=_DIGITS,
        weights=resident_id.WEIGHTS,
        modulus=11,
        residue={ch: i for i, ch in enumerate(resident_id.CHECK_CHARS)},
        valid=lambda code, today: resident_id.validate(code, today).valid,
    ),
}


def near_misses(code: str, kind: str, today: date) -> tuple[str, ...]:
    """Every code one substitution away that passes the kind's check character, sorted.

    Only the check character is tested: the codes are looked up among known subjects, whose codes
    passed the full validation when they were stored. A code that is itself valid has no near miss.
    Changing position i moves the weighted sum by (new − old) × w_i, and the modulus is prime, so at
    each position exactly one value (if the alphabet has it) lands on the written check character.
    """
    scheme = _SCHEMES[kind]
    text = compact(code)
    if len(text) != _BODY + 1 or scheme.valid(text, today):
        return ()
    body, last = text[:_BODY], text[_BODY]
    bad = [i for i, ch in enumerate(body) if ch not in scheme.alphabet]
    if len(bad) > 1 or (bad and last not in scheme.residue):
        return ()  # two slips at least: not a near miss
    m = scheme.modulus
    values = [0 if i in bad else scheme.value(ch) for i, ch in enumerate(body)]
    total = sum(v * w for v, w in zip(values, scheme.weights, strict=True))
    found: set[str] = set()
    if not bad:
        # The slip may be the check character itself.
        found.update(body + ch for ch, r in scheme.residue.items() if r == total % m and ch != last)
    if last in scheme.residue:
        for i in bad or range(_BODY):
            rest = total - values[i] * scheme.weights[i]
            value = (scheme.residue[last] - rest) * pow(scheme.weights[i], -1, m) % m
            if value < len(scheme.alphabet) and scheme.alphabet[value] != body[i]:
                found.add(body[:i] + scheme.alphabet[value] + body[i + 1 :] + last)
    return tuple(sorted(found))


def names_agree(kind: str, a: str, b: str) -> bool:
    """Whether two names are the same once normalised (an organisation's by its distinctive core)."""
    if kind == "org":
        return org_keys(a)[1] == org_keys(b)[1]
    return normalize_name(a) == normalize_name(b)


def near_miss_candidate(
    record: PendingRow, codes: Sequence[str], known: Mapping[str, SubjectEntry]
) -> SubjectEntry | None:
    """The one known subject that a near miss of the record's code (`codes`) names and whose name agrees."""
    hits = [
        known[code]
        for code in codes
        if code in known and known[code].kind == record.kind and names_agree(record.kind, record.name, known[code].name)
    ]
    return hits[0] if len(hits) == 1 else None
