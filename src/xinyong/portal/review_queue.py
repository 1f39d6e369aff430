"""The linkage review queue as an operator reads it: each waiting record next to the subjects the model
proposed, what each side says (name, identifier, legal representative, address, phone, birth date), and
the match weight every compared field contributed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xinyong.link.review import ReviewView, list_items
from xinyong.store import Store, records, subjects
from xinyong.store import linkage as store_linkage
from xinyong.store.records import RecordRow

#: The fields shown side by side, in this order.
SIDE_FIELDS = ("name", "id", "legal_rep_name", "address", "phone", "birth_date")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed subject: who it is, what its records say, and why the model put it here."""

    subject: str
    name: str | None
    kind: str | None
    identifier: str | None
    probability: float
    match_weight: float
    fields: dict[str, Any]
    levels: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A record waiting for a person's decision, with its candidates."""

    view: ReviewView
    agency: str
    record_type: str
    decided_on: Any
    fields: dict[str, Any]
    candidates: list[Candidate]


def _record_fields(row: RecordRow | None) -> dict[str, Any]:
    if row is None:
        return dict.fromkeys(SIDE_FIELDS)
    return {
        "name": row.subject_name,
        "id": row.subject_id_raw,
        "legal_rep_name": row.legal_rep_name,
        "address": row.address,
        "phone": row.phone,
        "birth_date": row.birth_date,
    }


def _richest(rows: list[RecordRow]) -> RecordRow | None:
    # The subject's record that says the most about it stands for the subject's side of the comparison.
    current = [r for r in rows if r.current]
    if not current:
        return None
    return max(current, key=lambda r: (sum(v is not None for v in _record_fields(r).values()), r.recorded_at))


def open_items(store: Store, *, limit: int = 20) -> list[QueueItem]:
    """The oldest open review items with everything a reviewer compares."""
    views = list_items(store, status="open", limit=limit)
    out: list[QueueItem] = []
    with store.connect() as conn:
        for view in views:
            item = store_linkage.review_get(conn, view.item)
            row = records.get(conn, item.record_pk)
            weights = {e.subject_pk: e for e in store_linkage.explanations_for(conn, item.record_pk) if e.subject_pk}
            people = subjects.get_many(conn, [int(c["subject_pk"]) for c in item.candidates])
            candidates = []
            for c in item.candidates:
                pk = int(c["subject_pk"])
                who = people.get(pk)
                explanation = weights.get(pk)
                compared = explanation.levels if explanation else {}
                levels = [{"field": name, **dict(level)} for name, level in compared.items()]
                candidates.append(
                    Candidate(
                        subject=who.key if who else str(c.get("subject")),
                        name=who.name if who else None,
                        kind=who.kind if who else None,
                        identifier=who.id_value if who else None,
                        probability=float(c["probability"]),
                        match_weight=float(c["match_weight"]),
                        fields=_record_fields(_richest(records.for_subject(conn, pk))) if who else {},
                        levels=levels,
                    )
                )
            out.append(
                QueueItem(
                    view=view,
                    agency=row.agency if row else "",
                    record_type=row.record_type if row else "",
                    decided_on=row.decided_on if row else None,
                    fields=_record_fields(row),
                    candidates=candidates,
                )
            )
    return out
