"""How many links are wrong: estimated from the model and from people's review decisions, and, where
the truth is known (a synthetic province), counted exactly.

The model's own estimate of false links among its automatic ones is the sum of (1 − p) over them; the
reviewers' rejection rate says how often the model's middle band proposed the wrong subject. Against
truth, a record is judged by the subject it went to: a *false link* puts it on another entity's
subject (the harm that matters: it may count against a stranger), a *split* leaves it on a second
subject of its own entity, and *unresolved* means it still waits for review.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from xinyong.errors import InvalidInput
from xinyong.store import Store
from xinyong.store import linkage as store_linkage
from xinyong.store.linkage import Assignment

if TYPE_CHECKING:
    from xinyong.link.restriction_audit import RestrictionCheck

#: Probability bands the model's links are counted in.
BANDS: Final = (0.95, 0.99, 0.999, 1.0)
ASSIGNED_LINKS: Final = ("id", "model", "confirmed", "new")
TRUTH_FILE: Final = Path("truth") / "records.csv"


@dataclass(frozen=True)
class Judged:
    """A record's assignment next to the truth: correct, false_link, split or unresolved."""

    assignment: Assignment
    true_id: str
    verdict: str


@dataclass(frozen=True)
class TruthCheck:
    """Assignments counted against truth: how many are wrong, by link."""

    records: int
    assigned: int
    correct: int
    splits: int
    unresolved: int
    false_links: dict[str, int]
    model_links: int

    @property
    def precision(self) -> float:
        """Share of assigned records that are not on another entity's subject."""
        wrong = sum(self.false_links.values())
        return 1.0 - wrong / self.assigned if self.assigned else 1.0

    @property
    def recall(self) -> float:
        """Share of all records on their own entity's one subject."""
        return self.correct / self.records if self.records else 1.0

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON."""
        return {
            "records": self.records,
            "assigned": self.assigned,
            "correct": self.correct,
            "splits": self.splits,
            "unresolved": self.unresolved,
            "false_links": self.false_links,
            "false_model_links": self.false_links.get("model", 0),
            "model_links": self.model_links,
            "wrong_id_or_confirmed": self.false_links.get("id", 0) + self.false_links.get("confirmed", 0),
            "precision": round(self.precision, 6),
            "recall": round(self.recall, 6),
        }


@dataclass(frozen=True)
class WrongfulMatchReport:
    """The expected number of false automatic links, the reviewers' verdicts, and the truth when known."""

    model_links: int
    expected_false_links: float
    bands: list[dict[str, Any]]
    review: dict[str, int]
    truth: TruthCheck | None = None
    restrictions: RestrictionCheck | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rejection_rate(self) -> float | None:
        """Share of decided review items where the proposed subject was refused or replaced."""
        decided = sum(n for status, n in self.review.items() if status != "open")
        refused = self.review.get("rejected", 0) + self.review.get("reassigned", 0)
        return refused / decided if decided else None

    def as_dict(self) -> dict[str, Any]:
        """The report as `xinyong link audit --json` prints it."""
        rate = self.rejection_rate
        return {
            "model_links": self.model_links,
            "expected_false_links": round(self.expected_false_links, 6),
            "expected_false_rate": round(self.expected_false_links / self.model_links, 6) if self.model_links else 0.0,
            "bands": self.bands,
            "review": self.review,
            "review_rejection_rate": None if rate is None else round(rate, 6),
            "truth": None if self.truth is None else self.truth.as_dict(),
            "restrictions": None if self.restrictions is None else self.restrictions.as_dict(),
            "notes": self.notes,
        }


def read_truth(folder: Path) -> dict[tuple[str, str], str]:
    """(agency, record_id) → true subject id, from a synthetic province's truth/records.csv."""
    path = folder / TRUTH_FILE if (folder / TRUTH_FILE).exists() else folder / "records.csv"
    if not path.is_file():
        raise InvalidInput(f"{folder} has no {TRUTH_FILE} (nor records.csv)", field="truth")
    rows = truth_rows(path, {"agency", "record_id", "subject_id"})
    return {(row["agency"], row["record_id"]): row["subject_id"] for row in rows}


def truth_rows(path: Path, columns: set[str]) -> list[dict[str, str]]:
    """The rows of one of a synthetic province's truth files, which must have `columns`."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = columns - set(reader.fieldnames or ())
        if missing:
            raise InvalidInput(f"{path} lacks the column(s) {', '.join(sorted(missing))}", field="truth")
        return list(reader)


def entities(assignments: Iterable[Assignment], truth: dict[tuple[str, str], str]) -> dict[int, str]:
    """The entity (true id) each id-less subject stands for: the one most of its records are about."""
    return _majority(_members(_known(assignments, truth)))


def _known(assignments: Iterable[Assignment], truth: dict[tuple[str, str], str]) -> list[tuple[Assignment, str]]:
    return [(a, truth[(a.agency, a.record_id)]) for a in assignments if (a.agency, a.record_id) in truth]


def _members(known: Sequence[tuple[Assignment, str]]) -> dict[int, Counter[str]]:
    # How many records of each entity every id-less subject holds.
    members: dict[int, Counter[str]] = defaultdict(Counter)
    for a, true_id in known:
        if a.subject_pk is not None and a.subject_id_value is None:
            members[a.subject_pk][true_id] += 1
    return members


def _majority(members: dict[int, Counter[str]]) -> dict[int, str]:
    return {pk: min(c, key=lambda t: (-c[t], t)) for pk, c in members.items()}


def judge(assignments: Iterable[Assignment], truth: dict[tuple[str, str], str]) -> list[Judged]:
    """Every record with a known truth, judged by the subject it went to."""
    known = _known(assignments, truth)
    # An id-less subject stands for the entity most of its records are about.
    members = _members(known)
    entity = _majority(members)
    # Each entity's one proper subject: the one with its code, else its largest id-less subject.
    proper: dict[str, int] = {
        a.subject_id_value: a.subject_pk
        for a, _ in known
        if a.subject_pk is not None and a.subject_id_value is not None
    }
    largest: dict[str, tuple[int, int]] = {}
    for pk, counts in members.items():
        size = (-counts[entity[pk]], pk)
        if entity[pk] not in proper and (entity[pk] not in largest or size < largest[entity[pk]]):
            largest[entity[pk]] = size
    proper.update((true_id, pk) for true_id, (_, pk) in largest.items())
    out: list[Judged] = []
    for a, true_id in known:
        if a.subject_pk is None or a.link not in ASSIGNED_LINKS:
            verdict = "unresolved"
        else:
            went_to = a.subject_id_value if a.subject_id_value is not None else entity.get(a.subject_pk)
            if went_to != true_id:
                verdict = "false_link"
            elif proper.get(true_id) == a.subject_pk:
                verdict = "correct"
            else:
                verdict = "split"
        out.append(Judged(a, true_id, verdict))
    return out


def check(judged: Sequence[Judged]) -> TruthCheck:
    """Counts of a set of judged records."""
    verdicts = Counter(j.verdict for j in judged)
    false_links = Counter(j.assignment.link for j in judged if j.verdict == "false_link")
    return TruthCheck(
        records=len(judged),
        assigned=sum(1 for j in judged if j.verdict != "unresolved"),
        correct=verdicts["correct"],
        splits=verdicts["split"],
        unresolved=verdicts["unresolved"],
        false_links=dict(sorted(false_links.items())),
        model_links=sum(1 for j in judged if j.assignment.link == "model"),
    )


def wrongful_match_report(store: Store, truth: Path | None = None) -> WrongfulMatchReport:
    """The expected false links among the model's links, review verdicts, and (with `truth`) exact counts:
    of links, and of published restrictions (`restriction_audit`) when the folder has truth/subjects.csv."""
    # Imported here: the restriction audit judges id-less subjects with this module's `entities`.
    from xinyong.link.restriction_audit import SUBJECTS_FILE, check_restrictions, read_representatives

    notes = []
    restrictions = None
    with store.connect() as conn:
        links = store_linkage.model_links(conn)
        review = store_linkage.review_counts(conn)
        known = read_truth(truth) if truth is not None else None
        judged = judge(store_linkage.assignments(conn), known) if known is not None else None
        if truth is not None and known is not None:
            if (truth / SUBJECTS_FILE).is_file():
                restrictions = check_restrictions(conn, known, read_representatives(truth))
            else:
                notes.append(f"no {SUBJECTS_FILE}: published restrictions not judged")
    bands = []
    low = 0.0
    for high in BANDS:
        inside = [m.probability for m in links if low <= m.probability < high or (high == 1.0 and m.probability == 1.0)]
        bands.append(
            {
                "from": low,
                "to": high,
                "links": len(inside),
                "expected_false": round(sum(1.0 - p for p in inside), 6),
            }
        )
        low = high
    if truth is not None and judged is not None and not judged:
        notes.append("no stored record appears in the truth file")
    return WrongfulMatchReport(
        model_links=len(links),
        expected_false_links=sum(1.0 - m.probability for m in links),
        bands=bands,
        review={status: review.get(status, 0) for status in ("open", "confirmed", "rejected", "reassigned")},
        truth=check(judged) if judged is not None else None,
        restrictions=restrictions,
        notes=notes,
    )
