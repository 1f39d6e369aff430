"""Commit, then draw: the regulator publishes a seed's hash first, and reveals the seed with the draw.

`commit` stores and returns a fresh seed's SHA-256 (the seed itself goes to the operator only and is
kept out of the registry until the draw). `draw` takes the seed: if the regulator has an open
commitment, the seed must hash to it or the draw is refused; if it has none, the draw commits and
reveals in one step, and says so (`precommitted: false`), so the public can tell that no hash was
published beforehand. The targets are the regulator's jurisdiction: organisations whose USCC
registration division falls in the agency's district (all of them for an agency without one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xinyong.catalog.model import Catalog
from xinyong.clock import Clock
from xinyong.errors import InvalidInput
from xinyong.inspection.draw import (
    MIN_INSPECTORS,
    Assignment,
    Candidate,
    assign_inspectors,
    generator,
    new_seed,
    normalise_seed,
    population_hash,
    seed_hash,
    select_targets,
)
from xinyong.inspection.roster import Roster
from xinyong.store import Store
from xinyong.store import ratings as repo
from xinyong.store.audit_rows import Event, record

#: The weight of an organisation that has never been rated: an ordinary entity.
UNRATED_WEIGHT = 1.0
METHOD = "pcg64; targets: n smallest -ln(1-random())/weight in USCC order; inspectors: same, weight 1"


@dataclass(frozen=True)
class Commitment:
    """A published commitment; `seed` is for the operator's eyes until the draw reveals it."""

    draw: str
    regulator: str
    seed_hash: str
    committed_at: datetime
    seed: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "draw": self.draw,
            "regulator": self.regulator,
            "seed_hash": self.seed_hash,
            "committed_at": self.committed_at.isoformat(),
            "seed": self.seed,
            "note": "publish seed_hash now; keep the seed secret until `xinyong inspect draw` reveals it",
        }


@dataclass(frozen=True)
class DrawResult:
    """A revealed draw as stored and published."""

    row: repo.DrawRow
    precommitted: bool

    def as_dict(self) -> dict[str, Any]:
        row = self.row
        return {
            "draw": row.key,
            "regulator": row.regulator,
            "seed_hash": row.seed_hash,
            "seed": row.seed,
            "committed_at": row.committed_at.isoformat(),
            "revealed_at": row.revealed_at.isoformat() if row.revealed_at else None,
            "precommitted": self.precommitted,
            "n": row.n,
            "params": dict(row.params or {}),
            "targets": [dict(t) for t in row.targets or ()],
            "inspectors": [dict(i) for i in row.inspectors or ()],
        }


def jurisdiction_prefix(catalog: Catalog, regulator: str) -> str:
    """The leading digits of the division codes a regulator covers: 110000 → 11, 110100 → 1101."""
    agency = catalog.agencies.get(regulator)
    if agency is None:
        raise InvalidInput(f"unknown agency {regulator!r}; `xinyong catalog` lists them", field="regulator")
    if agency.kind == "court":
        raise InvalidInput(f"{regulator} is a court; random inspections are drawn by regulators", field="regulator")
    district = agency.district or ""
    while district.endswith("00"):
        district = district[:-2]
    return district


def commit(store: Store, catalog: Catalog, clock: Clock, *, regulator: str, actor: str = "operator") -> Commitment:
    """Generate a seed, store and return the hash to publish (and the seed for the operator)."""
    jurisdiction_prefix(catalog, regulator)
    seed = new_seed()
    digest = seed_hash(seed)
    at = clock.now()
    with store.unit_of_work() as conn:
        row = repo.commit_draw(conn, regulator=regulator, seed_hash=digest, at=at)
        record(
            conn,
            [
                Event(
                    at=at,
                    actor=actor,
                    role="regulator",
                    action="inspect.commit",
                    object=f"draw:{row.key}",
                    detail={"regulator": regulator, "seed_hash": digest},
                )
            ],
        )
    return Commitment(row.key, regulator, digest, at, seed)


def draw(
    store: Store,
    catalog: Catalog,
    clock: Clock,
    *,
    regulator: str,
    n: int,
    seed: str,
    roster: Roster,
    per_target: int = MIN_INSPECTORS,
    actor: str = "operator",
) -> DrawResult:
    """Reveal the seed and draw `n` targets and their inspectors; stored, audited and returned."""
    prefix = jurisdiction_prefix(catalog, regulator)
    canonical = normalise_seed(seed)
    digest = seed_hash(canonical)
    if roster.regulator != regulator:
        raise InvalidInput(f"the roster is {roster.regulator}'s, not {regulator}'s", field="roster")
    at = clock.now()
    with store.unit_of_work() as conn:
        open_row = repo.open_commitment(conn, regulator, lock=True)
        if open_row is not None and open_row.seed_hash != digest:
            raise InvalidInput(
                f"the seed does not hash to commitment {open_row.key} published at "
                f"{open_row.committed_at.isoformat()} ({open_row.seed_hash[:12]}...)",
                field="seed",
            )
        rows = repo.jurisdiction(conn, prefix)
        pk_of = {c.uscc: c.subject_pk for c in rows}
        population = [_candidate(c, catalog) for c in rows]
        rng = generator(canonical)
        targets = select_targets(rng, population, n)
        reps = repo.legal_rep_ids(conn, [pk_of[t.uscc] for t in targets])
        by_uscc = {t.uscc: frozenset(reps.get(pk_of[t.uscc], set())) for t in targets}
        assignments = assign_inspectors(rng, targets, roster.inspectors, by_uscc, per_target)
        row = open_row or repo.commit_draw(conn, regulator=regulator, seed_hash=digest, at=at)
        params = {
            "per_target": per_target,
            "population": len(population),
            "population_sha256": population_hash(population),
            "jurisdiction": prefix or "*",
            "weights": _weights(catalog),
            "unrated_weight": UNRATED_WEIGHT,
            "roster": roster.source,
            "roster_size": len(roster.inspectors),
            "precommitted": open_row is not None,
            "method": METHOD,
        }
        revealed = repo.reveal_draw(
            conn,
            row.pk,
            seed=canonical,
            at=at,
            n=n,
            params=params,
            targets=[_target_json(a, row.key) for a in assignments],
            inspectors=[{"code": i.code, "name": i.name} for i in _used(assignments)],
        )
        record(
            conn,
            [
                Event(
                    at=at,
                    actor=actor,
                    role="regulator",
                    action="inspect.draw",
                    object=f"draw:{revealed.key}",
                    detail={
                        "regulator": regulator,
                        "n": n,
                        "seed_hash": digest,
                        "precommitted": open_row is not None,
                        "population": len(population),
                        "targets": [a.target.uscc for a in assignments],
                    },
                )
            ],
        )
    return DrawResult(revealed, precommitted=open_row is not None)


def _candidate(c: repo.Candidate, catalog: Catalog) -> Candidate:
    return Candidate(
        uscc=c.uscc,
        weight=_weight(catalog, c.model_code, c.grade),
        subject_key=c.subject_key,
        name=c.name,
        grade=c.grade,
    )


def _weight(catalog: Catalog, model_code: str | None, grade: str | None) -> float:
    """The sampling weight the rating model declares for the grade; an unrated entity is ordinary."""
    if model_code is None or grade is None:
        return UNRATED_WEIGHT
    model = catalog.rating_models.get(model_code)
    declared = model.grade(grade) if model is not None else None
    return declared.inspection_weight if declared is not None else UNRATED_WEIGHT


def _weights(catalog: Catalog) -> dict[str, dict[str, float]]:
    return {code: {g.grade: g.inspection_weight for g in model.grades} for code, model in catalog.rating_models.items()}


def _target_json(a: Assignment, key: str) -> dict[str, Any]:
    return {
        "rank": a.rank,
        "uscc": a.target.uscc,
        "subject": a.target.subject_key,
        "name": a.target.name,
        "grade": a.target.grade,
        "weight": a.target.weight,
        "inspectors": [i.code for i in a.inspectors],
        # The id an agency reports the result under, as an inspection.result record.
        "record_id": f"{key}-{a.rank:04d}",
    }


def _used(assignments: list[Assignment]) -> list[Any]:
    seen: dict[str, Any] = {}
    for a in assignments:
        for i in a.inspectors:
            seen.setdefault(i.code, i)
    return [seen[c] for c in sorted(seen)]
