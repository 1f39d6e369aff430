"""The "double random" draw itself: targets weighted by grade, inspectors at random, both from one seed.

The method is simple enough to re-run by hand from the published seed, so anyone can check a draw:

1. The generator is NumPy's PCG64 seeded with the seed (a decimal integer); its hash, published before
   the draw, is SHA-256 of the seed's decimal text.
2. Candidates are taken in USCC order. Each draws u = 1 - random() in (0, 1] and gets the key
   -ln(u) / weight; the `n` smallest keys are the targets, in that order (weighted sampling without
   replacement, Efraimidis and Spirakis 2006: a weight-4 entity is about four times as likely to be
   drawn as a weight-1 entity while few are drawn).
3. For each target in order, the inspectors of the roster (by code) without a conflict of interest with
   it each draw a key the same way with weight 1; the `per_target` smallest are its inspectors.

Only `random()` of the generator is used, whose output for a given seed NumPy has kept stable.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from xinyong.errors import InvalidInput

SEED_BITS = 128
MIN_INSPECTORS = 2


@dataclass(frozen=True)
class Candidate:
    """An organisation that may be drawn, and its sampling weight (from its grade)."""

    uscc: str
    weight: float
    subject_key: str = ""
    name: str = ""
    grade: str | None = None


@dataclass(frozen=True)
class Inspector:
    """A law-enforcement officer of the regulator; `resident_id` and `conflicts` (USCCs) exclude targets."""

    code: str
    name: str
    resident_id: str | None = None
    conflicts: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Assignment:
    """One drawn target and the inspectors sent to it."""

    rank: int
    target: Candidate
    inspectors: tuple[Inspector, ...]


def new_seed() -> str:
    """A fresh random seed (128 bits, decimal) to commit to."""
    return str(secrets.randbits(SEED_BITS))


def normalise_seed(raw: str) -> str:
    """The seed's canonical decimal text; anything but a non-negative whole number is refused."""
    text = raw.strip()
    if not text.isdigit() or not text.isascii():
        raise InvalidInput(f"{raw!r} is not a non-negative whole number", field="seed")
    value = int(text)
    if value.bit_length() > SEED_BITS:
        raise InvalidInput(f"must fit in {SEED_BITS} bits", field="seed")
    return str(value)


def seed_hash(seed: str) -> str:
    """SHA-256 of the seed's canonical decimal text: what is published before the draw."""
    return hashlib.sha256(normalise_seed(seed).encode("ascii")).hexdigest()


def generator(seed: str) -> np.random.Generator:
    """The draw's random generator: PCG64 seeded with the seed."""
    return np.random.Generator(np.random.PCG64(int(normalise_seed(seed))))


def population_hash(candidates: Sequence[Candidate]) -> str:
    """SHA-256 of `uscc:weight` lines in USCC order, so a published population can be checked."""
    text = "".join(f"{c.uscc}:{c.weight!r}\n" for c in sorted(candidates, key=lambda c: c.uscc))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def select_targets(rng: np.random.Generator, candidates: Sequence[Candidate], n: int) -> list[Candidate]:
    """`n` candidates drawn without replacement with probability growing with their weight."""
    if n < 1:
        raise InvalidInput("must be at least 1", field="n")
    if n > len(candidates):
        raise InvalidInput(f"cannot draw {n} targets from {len(candidates)} organisations", field="n")
    ordered = sorted(candidates, key=lambda c: c.uscc)
    weights = np.asarray([c.weight for c in ordered], dtype=np.float64)
    if not np.isfinite(weights).all() or (weights <= 0).any():
        raise InvalidInput("every sampling weight must be a positive number", field="weight")
    keys = _keys(rng, weights)
    picks = np.argsort(keys, kind="stable")[:n]
    return [ordered[int(i)] for i in picks]


def assign_inspectors(
    rng: np.random.Generator,
    targets: Sequence[Candidate],
    roster: Sequence[Inspector],
    legal_reps: Mapping[str, frozenset[str]],
    per_target: int = MIN_INSPECTORS,
) -> list[Assignment]:
    """`per_target` inspectors for each target, at random among those with no conflict of interest.

    An inspector is in conflict with a target when the target is among the inspector's declared
    conflicts, or the inspector is (or was) the target's legal representative (`legal_reps`: USCC to
    resident IDs).
    """
    if per_target < MIN_INSPECTORS:
        raise InvalidInput(f"at least {MIN_INSPECTORS} inspectors go to every target", field="per_target")
    staff = sorted(roster, key=lambda i: i.code)
    out = []
    for rank, target in enumerate(targets, start=1):
        reps = legal_reps.get(target.uscc, frozenset())
        eligible = [i for i in staff if not conflicted(i, target.uscc, reps)]
        if len(eligible) < per_target:
            raise InvalidInput(
                f"only {len(eligible)} inspectors without a conflict of interest for {target.uscc}; "
                f"{per_target} are needed",
                field="roster",
            )
        keys = _keys(rng, np.ones(len(eligible)))
        chosen = np.argsort(keys, kind="stable")[:per_target]
        out.append(Assignment(rank, target, tuple(eligible[int(i)] for i in chosen)))
    return out


def conflicted(inspector: Inspector, uscc: str, legal_reps: frozenset[str]) -> bool:
    """Whether an inspector must recuse from a target."""
    if uscc in inspector.conflicts:
        return True
    return inspector.resident_id is not None and inspector.resident_id.upper() in legal_reps


def _keys(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    u = 1.0 - rng.random(len(weights))  # in (0, 1], so the logarithm is finite
    keys: np.ndarray = -np.log(u) / weights
    return keys
