"""Writing a run's decisions in one unit of work: its model, new subjects, links, review items,
explanations and the audit entry that records it all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

from xinyong.clock import Clock
from xinyong.ids.model import Kind
from xinyong.link.plan import Candidate, LinkSummary, Plan
from xinyong.store import LinkUpdate, NewSubject, bulk_records
from xinyong.store import linkage as store_linkage
from xinyong.store import subjects as store_subjects
from xinyong.store.audit_rows import Event, record
from xinyong.store.linkage import Connection, NewReviewItem, PendingRow
from xinyong.text import normalize_name, normalize_org_name

KINDS: Final = ("org", "person")
ID_KINDS: Final[dict[str, Kind]] = {"org": "uscc", "person": "resident_id"}
ACTOR: Final = "xinyong.link"


def kind_counts(plan: Plan, kind: str) -> dict[str, int]:
    return {
        "id": sum(1 for r, _ in plan.by_id if r.kind == kind)
        + sum(len(rs) for rs in plan.by_new_id.values() if rs[0].kind == kind),
        "model": sum(1 for r, _ in plan.model if r.kind == kind),
        "review": sum(1 for r, _, _ in plan.review if r.kind == kind),
        "new": sum(len(g) for g in plan.new if g[0][0].kind == kind),
        "subjects_created": sum(1 for g in plan.new if g[0][0].kind == kind)
        + sum(1 for rs in plan.by_new_id.values() if rs[0].kind == kind),
    }


def _name_norm(kind: str, name: str) -> str:
    return normalize_org_name(name) if kind == "org" else normalize_name(name)


def write(conn: Connection, plan: Plan, pending: Sequence[PendingRow], backend: str, clock: Clock) -> LinkSummary:
    """Store everything the run decided; nothing at all when nothing was pending."""
    if not pending:
        return summarise(None, backend, plan, pending, store_linkage.link_totals(conn))
    # A run creates subjects and rewrites records' links as a load does: it takes the load's lock (two
    # writers would both create a subject for one new code) and, on SQLite, its page cache.
    bulk_records.lock_for_load(conn)
    now = clock.now()
    run = store_linkage.save_runs(conn, plan.runs)
    new_ids = sorted(plan.by_new_id)
    groups = plan.new
    created = store_subjects.create_many(
        conn,
        [
            NewSubject(
                kind=plan.by_new_id[code][0].kind,
                name=plan.by_new_id[code][0].name,
                name_norm=_name_norm(plan.by_new_id[code][0].kind, plan.by_new_id[code][0].name),
                id_kind=ID_KINDS[plan.by_new_id[code][0].kind],
                id_value=code,
            )
            for code in new_ids
        ]
        + [_new_subject(group, plan.norms) for group in groups],
        at=now,
    )
    id_subjects = dict(zip(new_ids, created[: len(new_ids)], strict=True))
    updates: list[LinkUpdate] = [LinkUpdate(r.pk, pk, "id", None, run) for r, pk in plan.by_id]
    updates += [
        LinkUpdate(r.pk, id_subjects[code].pk, "id", None, run) for code in new_ids for r in plan.by_new_id[code]
    ]
    updates += [LinkUpdate(r.pk, c.subject_pk, "model", c.probability, run) for r, c in plan.model]
    updates += [LinkUpdate(r.pk, None, "review", cs[0].probability, run) for r, _, cs in plan.review]
    # A new subject's records carry no probability: theirs is the link to nobody already known.
    for subject, group in zip(created[len(new_ids) :], groups, strict=True):
        updates += [LinkUpdate(r.pk, subject.pk, "new", None, run) for r, _ in group]
    store_linkage.apply_links(conn, updates, at=now)
    store_linkage.open_reviews(
        conn,
        [
            NewReviewItem(
                run=run,
                record_pk=r.pk,
                record_key=r.key,
                source=source,
                subject_pk=cs[0].subject_pk,
                probability=cs[0].probability,
                candidates=[
                    {
                        "subject_pk": c.subject_pk,
                        "subject": plan.keys.get(c.subject_pk),
                        "probability": c.probability,
                        "match_weight": c.match_weight,
                    }
                    for c in cs
                ],
            )
            for r, source, cs in plan.review
        ],
        at=now,
    )
    store_linkage.save_explanations(conn, plan.explanations, run=run)
    summary = summarise(run, backend, plan, pending, store_linkage.link_totals(conn))
    record(
        conn,
        [
            Event(
                at=now,
                actor=ACTOR,
                role="operator",
                action="link",
                object=f"link_run:{run}",
                detail={
                    "backend": backend,
                    "pending": summary.pending,
                    "id": summary.linked_by_id,
                    "model": summary.linked_by_model,
                    "review": summary.sent_to_review,
                    "new": summary.new_subject,
                    "subjects_created": summary.subjects_created,
                    "expected_false_links": f"{summary.expected_false_links:.6f}",
                    "link_upper": str(plan.runs[0].link_upper),
                    "link_lower": str(plan.runs[0].link_lower),
                },
            )
        ],
    )
    return summary


def _new_subject(group: Sequence[tuple[PendingRow, Candidate | None]], norms: dict[int, str]) -> NewSubject:
    # The name most of the group's records give (once normalised), as the first of them wrote it.
    kind = group[0][0].kind
    given = {r.pk: norms.get(r.pk) or _name_norm(kind, r.name) for r, _ in group}
    counts = Counter(given.values())
    norm = min(counts, key=lambda n: (-counts[n], n))
    first = next(r for r, _ in group if given[r.pk] == norm)
    return NewSubject(kind=kind, name=first.name, name_norm=norm)


def summarise(
    run: str | None, backend: str, plan: Plan, pending: Sequence[PendingRow], totals: dict[str, int]
) -> LinkSummary:
    by_kind = {kind: kind_counts(plan, kind) for kind in KINDS}
    return LinkSummary(
        run=run,
        backend=backend,
        pending=len(pending),
        linked_by_id=sum(k["id"] for k in by_kind.values()),
        linked_by_model=len(plan.model),
        sent_to_review=len(plan.review),
        new_subject=sum(len(g) for g in plan.new),
        subjects_created=sum(k["subjects_created"] for k in by_kind.values()),
        expected_false_links=sum(1.0 - c.probability for _, c in plan.model),
        by_kind=by_kind,
        totals=totals,
    )
