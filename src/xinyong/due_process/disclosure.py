"""What each view of a subject's file may show: pure rules from the catalog, the record and its listing.

Three views. `public` is the portal: only what the catalog marks public (organisations per `disclosure` and
`public_when`, people per `person_disclosure`), only records tied to the subject by identifier or by a
person's confirmation, and only on the days it is published — a listing while in force, a penalty within
its publicity period (the longest for its severity, from the decision date), anything else while in legal
effect; a withdrawn or repaired record leaves on the day its ending version says. `shared` is government
sharing with agencies, courts and regulators: public and shared records alike, withdrawn and repaired ones
left out. `full` is the subject itself (and the operator): everything, each item with its level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

from xinyong.catalog.model import Disclosure, RecordType, Severity
from xinyong.clock import cst_day
from xinyong.dates import end_after_months
from xinyong.domain.listings import Listing
from xinyong.domain.records import SANCTIONING_LINKS, RecordVersion

View = Literal["public", "shared", "full"]
VIEWS: tuple[View, ...] = get_args(View)

#: Statuses after which a record is neither published nor shared: withdrawn by its agency, or repaired.
WITHDRAWN: frozenset[str] = frozenset({"revoked", "repaired"})
#: The class a penalty without one is treated as: the middle class, neither the shortest nor the longest.
DEFAULT_SEVERITY: Severity = "general"
_SEVERITIES: frozenset[str] = frozenset(get_args(Severity))


@dataclass(frozen=True, slots=True)
class Exposure:
    """How far one record reaches: its disclosure level and the days the public portal shows it.

    `public_from` is None when the public never sees it, and `hidden_because` then says why.
    """

    disclosure: Disclosure
    public_from: date | None
    public_until: date | None
    hidden_because: str | None = None

    def public_on(self, day: date) -> bool:
        """Whether the public portal shows the record on that CST day."""
        if self.public_from is None or day < self.public_from:
            return False
        return self.public_until is None or day <= self.public_until


def disclosure_of(record_type: RecordType, version: RecordVersion) -> Disclosure:
    """The level a record is disclosed at: people per `person_disclosure`, organisations per `disclosure`
    unless their fields match `public_when` (only A and D tax grades are published)."""
    if version.subject_kind == "person":
        return record_type.person_disclosure
    if record_type.public_when:
        given = {"grade": version.grade, "result": version.result, "severity": version.severity}
        if all(given.get(name) in allowed for name, allowed in record_type.public_when.items()):
            return "public"
    return record_type.disclosure


def severity_of(version: RecordVersion) -> Severity:
    """The record's severity class, or the default class when the agency sent none."""
    severity = version.severity
    if severity is not None and severity in _SEVERITIES:
        return severity  # type: ignore[return-value]
    return DEFAULT_SEVERITY


def publicity_end(record_type: RecordType, version: RecordVersion) -> date | None:
    """The last day a record with a publicity period may be published (None when its class is not published)."""
    if record_type.publicity is None:
        return None
    period = record_type.publicity.get(severity_of(version))
    months = period.max_months if period is not None else max(p.max_months for p in record_type.publicity.values())
    return end_after_months(version.decided_on, months) if months else None


def ending_day(version: RecordVersion) -> date:
    """The last day of effect of a version whose status ends the record, as the rules count it."""
    if version.valid_to is not None:
        return version.valid_to
    return cst_day(version.recorded_at) - timedelta(days=1)


def exposure(record_type: RecordType, version: RecordVersion, listing: Listing | None) -> Exposure:
    """Who may see the record's current version, and on which days the public may."""
    level = disclosure_of(record_type, version)
    if level != "public":
        return Exposure(level, None, None, f"{level} information is not published")
    if version.link not in SANCTIONING_LINKS:
        return Exposure(level, None, None, "not tied to the subject by identifier or a person's confirmation")
    start: date
    end: date | None
    if listing is not None:
        start, end = listing.start, listing.end
    elif record_type.publicity is not None:
        last = publicity_end(record_type, version)
        if last is None:
            return Exposure(level, None, None, f"{severity_of(version)} penalties are not published")
        start, end = version.decided_on, last
    else:
        start = version.valid_from or version.decided_on
        end = version.valid_to
        if end is None and record_type.default_valid_months:
            end = end_after_months(start, record_type.default_valid_months)
    if version.status in WITHDRAWN:
        stop = ending_day(version)
        end = stop if end is None else min(end, stop)
    return Exposure(level, start, end)


def visible(view: View, version: RecordVersion, seen: Exposure, day: date) -> bool:
    """Whether a view of the file shows this record on that day."""
    if view == "full":
        return True
    if view == "shared":
        return (
            seen.disclosure in ("public", "shared")
            and version.status not in WITHDRAWN
            and version.link in SANCTIONING_LINKS
        )
    return seen.public_on(day)


def widest_view(role: str, own: bool) -> View:
    """The widest view a role may ask for: the subject its own file in full, the operator everything,
    agencies, courts and regulators what is shared, everyone else what is public."""
    if role == "operator" or (role == "subject" and own):
        return "full"
    if role in ("agency", "court", "regulator"):
        return "shared"
    return "public"


def narrower(asked: View, widest: View) -> bool:
    """Whether `asked` is within `widest`."""
    return VIEWS.index(asked) <= VIEWS.index(widest)
