"""What a chunk of valid rows does to the stored records, decided before anything is written: a record never
seen is `accepted`, content the record has already had is `unchanged`, new content for a stored record
`supersedes` its current version.

"Already had" means any version, not just the current one: a file holding a record and, further down, its
correction leaves the correction current, and ingesting that file again (or again after a crash) must
change nothing. The price is that an agency cannot revert a record to an earlier content word for word;
it sends the revert as a new content (a new status, a corrected summary), as corrections are sent anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from xinyong.ingest.rows import ValidRow
from xinyong.store.bulk_records import KnownRecord


class PlannedVersion(NamedTuple):
    """A version to insert: its number, and which version it ends (a stored pk, or the chunk's own earlier
    version of the same record, inserted one round before)."""

    row: ValidRow
    version: int
    ends_stored: int | None
    ends_earlier: bool
    superseding: bool


@dataclass(slots=True)
class VersionPlan:
    """The chunk's versions in rounds: round n holds each record's n-th new version in this chunk, so every
    round can be written in bulk after the round before has ended what it replaces."""

    rounds: list[list[PlannedVersion]] = field(default_factory=list)
    accepted: int = 0
    superseded: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class _State:
    hashes: set[str]
    last_version: int
    stored_current: int | None
    has_current: bool
    inserted: int = 0


def plan_versions(rows: Sequence[ValidRow], known: Mapping[str, KnownRecord]) -> VersionPlan:
    """Classify the rows in file order against what is stored and what earlier rows of the chunk did."""
    if not known and len({row.record_id for row in rows}) == len(rows):
        # A chunk of records never seen, each once (a first load): every row is its record's first version.
        return VersionPlan([[PlannedVersion(row, 1, None, False, False) for row in rows]] if rows else [], len(rows))
    plan = VersionPlan()
    states: dict[str, _State] = {}
    for row in rows:
        record_id = row.record_id
        state = states.get(record_id)
        if state is None:
            stored = known.get(record_id)
            if stored is None:
                state = _State(set(), 0, None, False)
            else:
                current = stored.current
                state = _State(
                    set(stored.hashes),
                    stored.last_version,
                    current.pk if current is not None else None,
                    current is not None,
                )
            states[record_id] = state
        if row.row_hash in state.hashes:
            plan.unchanged += 1
            continue
        planned = PlannedVersion(
            row=row,
            version=state.last_version + 1,
            ends_stored=state.stored_current if state.inserted == 0 else None,
            ends_earlier=state.inserted > 0,
            superseding=state.has_current,
        )
        if state.has_current:
            plan.superseded += 1
        else:
            plan.accepted += 1
        if len(plan.rounds) <= state.inserted:
            plan.rounds.append([])
        plan.rounds[state.inserted].append(planned)
        state.inserted += 1
        state.last_version = planned.version
        state.has_current = True
        state.hashes.add(row.row_hash)
    return plan
