"""Restrictions against truth: does any published measure reach someone the record is not about?

Principle 4 at the level that matters to people. On a synthetic province every record's true subject is
known (truth/records.csv) and so is every company's legal representative (truth/subjects.csv); each
published measure target (what screening enforces) is judged: one reaching the record's subject directly
must reach its true subject, one reaching a legal representative must come through the true company and
reach that company's true representative. An id-less subject (made by linkage) stands for the entity most
of its records are about, as in `audit_estimate.judge`. Only what is published is judged: run the
publisher first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from xinyong.errors import InvalidInput
from xinyong.link.audit_estimate import entities, truth_rows
from xinyong.store import linkage as store_linkage
from xinyong.store import screening as store_screening
from xinyong.store.linkage import Connection
from xinyong.store.screening import Target

SUBJECTS_FILE: Final = Path("truth") / "subjects.csv"
#: Wrongful targets listed in a report (all are counted).
SHOWN: Final = 20


@dataclass(frozen=True)
class RestrictionCheck:
    """Published targets judged against truth."""

    targets: int
    judged: int
    direct: int
    via_role: int
    wrongful: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON."""
        return {
            "targets": self.targets,
            "judged": self.judged,
            "direct": self.direct,
            "via_role": self.via_role,
            "wrongful": self.wrongful,
            "examples": self.examples,
        }


def read_representatives(folder: Path) -> dict[str, str]:
    """Each company's true legal representative (company id → person id), from truth/subjects.csv."""
    path = folder / SUBJECTS_FILE
    if not path.is_file():
        raise InvalidInput(f"{folder} has no {SUBJECTS_FILE}", field="truth")
    rows = truth_rows(path, {"kind", "id", "legal_rep_id"})
    return {row["id"]: row["legal_rep_id"] for row in rows if row["kind"] == "org" and row["legal_rep_id"]}


def check_restrictions(
    conn: Connection, truth: dict[tuple[str, str], str], representatives: dict[str, str]
) -> RestrictionCheck:
    """Every published target whose record the truth knows, judged."""
    entity = entities(store_linkage.assignments(conn), truth)
    targets = judged = direct = via_role = wrongful = 0
    examples: list[dict[str, Any]] = []
    for target in store_screening.iter_targets(conn, identified_only=False):
        targets += 1
        agency, record_id = target.record_key.split(":", 1)
        true_id = truth.get((agency, record_id))
        if true_id is None:
            continue
        judged += 1
        reached = target.target_id or entity.get(target.target_pk)
        if target.via_role is None:
            direct += 1
            wrong = reached != true_id
        else:
            via_role += 1
            through = target.via_id or entity.get(target.source_pk)
            wrong = through != true_id or reached != representatives.get(true_id)
        if wrong:
            wrongful += 1
            if len(examples) < SHOWN:
                examples.append(_example(target, true_id, representatives))
    return RestrictionCheck(targets, judged, direct, via_role, wrongful, examples)


def _example(target: Target, true_id: str, representatives: dict[str, str]) -> dict[str, Any]:
    return {
        "record": target.record_key,
        "list": target.list_code,
        "reached": target.target_id or f"subject {target.target_pk}",
        "via_role": target.via_role,
        "true_subject": true_id,
        "true_legal_rep": representatives.get(true_id) if target.via_role is not None else None,
    }
