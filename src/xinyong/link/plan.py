"""What a linkage run decides before it writes anything, and the summary it reports afterwards."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from xinyong.store.linkage import ExplanationRow, NewLinkRun, PendingRow


class Candidate(NamedTuple):
    """A subject a record may be about, as the model scored the pair (a tuple: a run makes millions)."""

    subject_pk: int
    probability: float
    match_weight: float
    levels: dict[str, Any]


@dataclass(frozen=True)
class LinkSummary:
    """What one run did: records resolved by outcome, per kind and in all, and the store's totals after."""

    run: str | None
    backend: str
    pending: int
    linked_by_id: int
    linked_by_model: int
    sent_to_review: int
    new_subject: int
    subjects_created: int
    expected_false_links: float
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The summary as `xinyong link --json` prints it."""
        return {
            "run": self.run,
            "backend": self.backend,
            "pending": self.pending,
            "linked_by_id": self.linked_by_id,
            "linked_by_model": self.linked_by_model,
            "sent_to_review": self.sent_to_review,
            "new_subject": self.new_subject,
            "subjects_created": self.subjects_created,
            "expected_false_links": round(self.expected_false_links, 6),
            "by_kind": self.by_kind,
            "totals": self.totals,
            "seconds": self.seconds,
        }


@dataclass
class Plan:
    """Every decision of a run before anything is written."""

    by_id: list[tuple[PendingRow, int]] = field(default_factory=list)
    by_new_id: dict[str, list[PendingRow]] = field(default_factory=dict)
    model: list[tuple[PendingRow, Candidate]] = field(default_factory=list)
    review: list[tuple[PendingRow, str, list[Candidate]]] = field(default_factory=list)
    # Each group of records about one unknown entity, with the best existing candidate of each record.
    new: list[list[tuple[PendingRow, Candidate | None]]] = field(default_factory=list)
    explanations: list[ExplanationRow] = field(default_factory=list)
    keys: dict[int, str] = field(default_factory=dict)
    runs: list[NewLinkRun] = field(default_factory=list)
    # Normalised names of the records that start new subjects, computed once for the frames.
    norms: dict[int, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Add the wall time of the block to the phase's total."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - started
