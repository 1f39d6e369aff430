"""A subject's file as a person reads it, cut to a view: identity, records with their provenance and
disclosure, listings with their state today and when each ends, the measures in force today, the rating,
and in the full view the objections, repair applications and notices about it.

The listings come from the same rules screening publishes from, with the subject's contested records marked,
so the file and a check never disagree about what is in force.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from xinyong.catalog.model import Catalog, RecordType
from xinyong.domain.listings import Listing
from xinyong.domain.records import SANCTIONING_LINKS, RecordVersion
from xinyong.due_process import disclosure
from xinyong.due_process.disclosure import View
from xinyong.due_process.lookup import subject_objects
from xinyong.due_process.notify import NOTIFY_ACTION
from xinyong.due_process.versions import CAUSE_FIELD, histories
from xinyong.errors import NotFound
from xinyong.ids import registry
from xinyong.rules.listings import current_version, listings_for
from xinyong.store import Connection, RecordRow, SubjectRow, audit_rows, linkage, ratings, records, roles, subjects
from xinyong.store import due_process as repo

#: Fields of a record the public portal shows; provenance of the match and internal versions stay inside.
PUBLIC_RECORD_FIELDS = frozenset(
    {
        "record",
        "agency",
        "agency_name_zh",
        "agency_name_en",
        "record_type",
        "label_zh",
        "label_en",
        "decided_on",
        "valid_from",
        "valid_to",
        "decision_no",
        "legal_basis",
        "severity",
        "status",
        "amount",
        "summary",
        "legal_rep_name",
        "disclosure",
        "public_until",
        "contested",
    }
)
#: Audit actions that are a look at the subject by someone: reading its file, and checking it.
ACCESS_ACTIONS = ("read", "check")


def read_file(
    conn: Connection,
    catalog: Catalog,
    subject: SubjectRow,
    *,
    view: View,
    today: date,
    history: bool = False,
) -> dict[str, Any]:
    """The subject's file as `view` shows it on `today` (CST); a person the public sees nothing of is NotFound.

    `history` adds each record's superseded versions (never in the public view).
    """
    rows = records.for_subject(conn, subject.pk, current_only=False)
    by_record = histories(rows, subject.key)
    contested = repo.contested_records(conn, subject.pk)
    listings = {
        listing.record_key: listing
        for listing in listings_for(by_record.values(), catalog, contested=frozenset(contested))
    }
    items: list[dict[str, Any]] = []
    shown: list[Listing] = []
    for key, versions in by_record.items():
        current = current_version(versions)
        if current is None:
            continue
        record_type = catalog.record_types.get(current.record_type)
        listing = listings.get(key)
        seen = _exposure(record_type, current, listing)
        if not disclosure.visible(view, current, seen, today):
            continue
        item = _record_item(catalog, current, seen, today, contested.get(key))
        if view != "public":
            item["link"] = current.link
            item["probability"] = current.link_probability
            item["match"] = _match(conn, rows, current, subject.pk) if current.link == "model" else None
            item["version"] = current.version
            item["objection"] = contested.get(key)
            if history:
                item["history"] = [_past(v) for v in versions if v is not current]
        else:
            item = {k: v for k, v in item.items() if k in PUBLIC_RECORD_FIELDS}
        items.append(item)
        if listing is not None:
            shown.append(listing)
    if view == "public" and subject.kind == "person" and not items:
        # A person's presence in the registry is itself not public: the portal knows nobody it shows nothing of.
        raise NotFound("the public registry shows nothing about this person", field="id")
    items.sort(key=lambda i: (i["decided_on"], i["record"]), reverse=True)
    out: dict[str, Any] = {
        "view": view,
        "as_of": today,
        "subject": identity(subject, view),
        "records": items,
        "listings": [_listing_item(catalog, listing, today) for listing in _by_start(shown)],
        "measures": _measures(catalog, shown, today),
    }
    if view != "public" and subject.kind == "person":
        out["measures"].extend(_measures_via_roles(conn, catalog, subject, today))
    rating = _rating(conn, catalog, subject, view)
    if rating is not None:
        out["rating"] = rating
    if view == "full":
        out["objections"] = [objection_item(o, subject.key) for o in repo.objections_for_subject(conn, subject.pk)]
        out["repairs"] = [repair_item(r, subject.key) for r in repo.repairs_for_subject(conn, subject.pk)]
        out["notices"] = [notice_item(n, catalog) for n in repo.notices_for_subject(conn, subject.pk)]
    return out


def identity(subject: SubjectRow, view: View) -> dict[str, Any]:
    """Who the file is about; a person's number is masked everywhere but the full view."""
    shown = subject.id_value
    if shown is not None and view != "full":
        shown = registry.mask(registry.check(shown)) or shown
    return {"key": subject.key, "kind": subject.kind, "id_kind": subject.id_kind, "id": shown, "name": subject.name}


def access_log(conn: Connection, subject: SubjectRow, *, limit: int = 200) -> list[dict[str, Any]]:
    """Who read the subject's file or checked the subject, when, in which role and why, newest first.

    The subject's own reads are not listed: the log is of others looking.
    """
    # Direct entries and the subject's share of batch checks that found it (the audit log's access index).
    entries = audit_rows.accesses(conn, subject_objects(subject), ACCESS_ACTIONS, limit=limit)
    out = []
    for entry in entries:
        if entry.role == "subject":
            continue
        detail = dict(entry.detail)
        out.append(
            {
                "at": entry.at,
                "who": entry.actor,
                "role": entry.role,
                "action": entry.action,
                "purpose": entry.purpose,
                "checked_action": detail.get("action") if entry.action == "check" else None,
                "result": entry.result,
            }
        )
    return out


def notifications(conn: Connection, subject: SubjectRow, *, limit: int = 200) -> list[dict[str, Any]]:
    """What the subject has been told (outcomes of its objections and repairs, notices), newest first."""
    entries = repo.entries_about(conn, subject_objects(subject), (NOTIFY_ACTION,), limit=limit)
    return [
        {
            "at": e.at,
            "about": e.detail.get("about"),
            "event": e.detail.get("event"),
            "record": e.detail.get("record"),
            "message_zh": e.detail.get("message_zh"),
            "message_en": e.detail.get("message_en"),
        }
        for e in entries
    ]


def objection_item(row: repo.ObjectionRow, subject_key: str | None = None) -> dict[str, Any]:
    """An objection as shown to its subject and to operators."""
    return {
        "objection": row.key,
        "record": row.record_key,
        "subject": subject_key or subjects.subject_key(row.subject_pk),
        "status": row.status,
        "grounds": row.grounds,
        "filed_by": row.filed_by,
        "filed_at": row.filed_at,
        "deadline": row.deadline,
        "deadline_kind": row.deadline_kind,
        "escalated_at": row.escalated_at,
        "outcome": row.outcome,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at,
        "reason": row.reason,
    }


def repair_item(row: repo.RepairRow, subject_key: str | None = None) -> dict[str, Any]:
    """A repair application as shown to its subject and to operators."""
    return {
        "application": row.key,
        "record": row.record_key,
        "subject": subject_key or subjects.subject_key(row.subject_pk),
        "status": row.status,
        "reason": row.reason,
        "earliest": row.earliest,
        "filed_by": row.filed_by,
        "filed_at": row.filed_at,
        "deadline": row.deadline,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at,
        "decision_reason": row.decision_reason,
    }


def notice_item(row: repo.NoticeRow, catalog: Catalog) -> dict[str, Any]:
    """A served notice and the first day the listing it announces may start."""
    days = catalog.lists[row.list_code].notice_days if row.list_code in catalog.lists else 0
    return {
        "notice": row.key,
        "record": row.record_key,
        "list": row.list_code,
        "served_on": row.served_on,
        "served_by": row.served_by,
        "listing_from": row.served_on + timedelta(days=days),
    }


def _exposure(record_type: RecordType | None, version: RecordVersion, listing: Listing | None) -> disclosure.Exposure:
    if record_type is None:
        # A type the catalog no longer knows may be kept but never shown beyond its subject.
        return disclosure.Exposure("restricted", None, None, "record type not in the catalog")
    return disclosure.exposure(record_type, version, listing)


def _record_item(
    catalog: Catalog, v: RecordVersion, seen: disclosure.Exposure, today: date, objection: str | None
) -> dict[str, Any]:
    record_type = catalog.record_types.get(v.record_type)
    agency = catalog.agencies.get(v.agency)
    return {
        "record": v.key,
        "agency": v.agency,
        "agency_name_zh": agency.name_zh if agency else None,
        "agency_name_en": agency.name_en if agency else None,
        "record_id": v.record_id,
        "record_type": v.record_type,
        "label_zh": record_type.label_zh if record_type else None,
        "label_en": record_type.label_en if record_type else None,
        "decided_on": v.decided_on,
        "valid_from": v.valid_from,
        "valid_to": v.valid_to,
        "decision_no": v.decision_no,
        "legal_basis": v.legal_basis or (record_type.legal_basis if record_type else None),
        "severity": v.severity,
        "status": v.status,
        "amount": str(v.amount) if v.amount is not None else None,
        "summary": v.summary,
        "legal_rep_name": v.legal_rep_name,
        "disclosure": seen.disclosure,
        "public": seen.public_on(today),
        "public_until": seen.public_until if seen.public_from is not None else None,
        "contested": objection is not None,
    }


def _past(v: RecordVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "recorded_at": v.recorded_at,
        "superseded_at": v.superseded_at,
        "status": v.status,
        "decided_on": v.decided_on,
        "valid_from": v.valid_from,
        "valid_to": v.valid_to,
        "decision_no": v.decision_no,
        "severity": v.severity,
        "amount": str(v.amount) if v.amount is not None else None,
        "summary": v.summary,
        "cause": v.extra.get(CAUSE_FIELD),
    }


def _match(conn: Connection, rows: Sequence[RecordRow], v: RecordVersion, subject_pk: int) -> dict[str, Any] | None:
    """Why linkage put the record with this subject: its best explanation naming the subject, if any."""
    pks = [r.pk for r in rows if (r.agency, r.record_id) == (v.agency, v.record_id)]
    found = [e for pk in pks for e in linkage.explanations_for(conn, pk) if e.subject_pk == subject_pk]
    if not found:
        return None
    best = max(found, key=lambda e: (e.probability, e.run))
    return {
        "run": best.run,
        "probability": best.probability,
        "match_weight": best.match_weight,
        "levels": dict(best.levels),
    }


def _by_start(listings: Sequence[Listing]) -> list[Listing]:
    return sorted(listings, key=lambda item: (item.start, item.record_key), reverse=True)


def _listing_item(catalog: Catalog, listing: Listing, today: date) -> dict[str, Any]:
    list_type = catalog.lists.get(listing.list_code)
    return {
        "list": listing.list_code,
        "label_zh": list_type.label_zh if list_type else None,
        "label_en": list_type.label_en if list_type else None,
        "record": listing.record_key,
        "agency": listing.agency,
        "decision_no": listing.decision_no,
        "legal_basis": listing.legal_basis,
        "state": listing.state(today),
        "noticed_on": listing.noticed_on,
        "start": listing.start,
        "end": listing.end,
        "removal_reason": listing.removal_reason(today),
        "extended": listing.extended,
        "contested": listing.contested,
    }


def _measure_items(
    catalog: Catalog, listing: Listing, via: Mapping[str, str] | None, end: date | None
) -> list[dict[str, Any]]:
    out = []
    for measure in catalog.measures_for_list(listing.list_code):
        if via is not None and not measure.reaches_legal_rep:
            continue
        out.append(
            {
                "measure": measure.code,
                "label_zh": measure.label_zh,
                "label_en": measure.label_en,
                "list": listing.list_code,
                "effect": measure.effect,
                "actions": list(measure.actions),
                "record": listing.record_key,
                "legal_basis": measure.legal_basis,
                "valid_from": listing.start,
                "valid_to": end,
                "via": dict(via) if via is not None else None,
            }
        )
    return out


def _measures(catalog: Catalog, listings: Sequence[Listing], today: date) -> list[dict[str, Any]]:
    """Measures in force today from the subject's own listings (never through an unconfirmed match)."""
    out: list[dict[str, Any]] = []
    for listing in _by_start(listings):
        if listing.in_force(today) and listing.link in SANCTIONING_LINKS:
            out.extend(_measure_items(catalog, listing, None, listing.end))
    return out


def _measures_via_roles(conn: Connection, catalog: Catalog, person: SubjectRow, today: date) -> list[dict[str, Any]]:
    """Measures that reach a person today through an organisation it represents."""
    out: list[dict[str, Any]] = []
    for period in roles.held_by(conn, person.pk, on=today):
        org = subjects.get(conn, period.org_pk)
        if org is None:
            continue
        org_rows = records.for_subject(conn, org.pk, current_only=False)
        via = {"role": period.role, "of": org.id_value or org.key}
        for listing in listings_for(histories(org_rows, org.key).values(), catalog):
            if listing.in_force(today) and listing.link in SANCTIONING_LINKS:
                end = period.valid_to if listing.end is None else min(listing.end, period.valid_to or listing.end)
                out.extend(_measure_items(catalog, listing, via, end))
    return out


def _rating(conn: Connection, catalog: Catalog, subject: SubjectRow, view: View) -> dict[str, Any] | None:
    if subject.kind != "org":
        return None
    rating = ratings.latest_rating(conn, subject.pk)
    if rating is None:
        return None
    model = catalog.rating_models.get(rating.model_code)
    grade = model.grade(rating.grade) if model is not None else None
    out: dict[str, Any] = {
        "grade": rating.grade,
        "grade_label_zh": grade.label_zh if grade else None,
        "grade_label_en": grade.label_en if grade else None,
        "model": rating.model_code,
        "version": rating.model_version,
        "as_of": rating.as_of,
    }
    if view == "public":
        out["reasons"] = [
            {"code": r.get("code"), "label_zh": r.get("label_zh"), "label_en": r.get("label_en")}
            for r in rating.reasons
        ]
    else:
        out["score"] = rating.score
        out["rated_at"] = rating.rated_at
        out["reasons"] = [dict(r) for r in rating.reasons]
    return out
