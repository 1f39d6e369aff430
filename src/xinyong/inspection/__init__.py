""" "Double random, one public" inspections: targets drawn by grade-weighted lot, inspectors at random
with conflict-of-interest exclusions, reproducible from a seed whose hash was published first."""

from __future__ import annotations

from xinyong.inspection.draw import (
    MIN_INSPECTORS,
    Assignment,
    Candidate,
    Inspector,
    assign_inspectors,
    conflicted,
    generator,
    new_seed,
    normalise_seed,
    population_hash,
    seed_hash,
    select_targets,
)
from xinyong.inspection.roster import Roster, default_path, demo_roster, load_roster, read_roster
from xinyong.inspection.service import UNRATED_WEIGHT, Commitment, DrawResult, commit, draw, jurisdiction_prefix

__all__ = [
    "MIN_INSPECTORS",
    "UNRATED_WEIGHT",
    "Assignment",
    "Candidate",
    "Commitment",
    "DrawResult",
    "Inspector",
    "Roster",
    "assign_inspectors",
    "commit",
    "conflicted",
    "default_path",
    "demo_roster",
    "draw",
    "generator",
    "jurisdiction_prefix",
    "load_roster",
    "new_seed",
    "normalise_seed",
    "population_hash",
    "read_roster",
    "seed_hash",
    "select_targets",
]
