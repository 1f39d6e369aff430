"""The words for the codes pages show (a listing's state, a measure's effect, a record's status, ...), as
message ids the catalogs translate; `N_` only marks them for extraction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final


def N_(message: str) -> str:
    """Mark a message for extraction without translating it here."""
    return message


CODES: Final[dict[str, dict[str, str]]] = {
    "state": {
        "noticed": N_("noticed, not yet in force"),
        "listed": N_("on the list"),
        "extended": N_("on the list (extended)"),
        "removed": N_("removed"),
    },
    "effect": {"deny": N_("deny"), "review": N_("review by a person"), "expedite": N_("expedite")},
    "status": {
        "in_force": N_("in force"),
        "fulfilled": N_("fulfilled"),
        "revoked": N_("withdrawn"),
        "repaired": N_("repaired"),
        "open": N_("open"),
        "escalated": N_("escalated: deadline missed"),
        "upheld": N_("upheld"),
        "rejected": N_("rejected"),
        "pending": N_("pending with the agency"),
        "granted": N_("granted"),
        "refused": N_("refused"),
        "refused_after_review": N_("refused after review"),
        "confirmed": N_("confirmed"),
        "reassigned": N_("reassigned"),
        "running": N_("running"),
        "done": N_("done"),
        "failed": N_("failed"),
    },
    "severity": {"minor": N_("minor"), "general": N_("general"), "serious": N_("serious")},
    "disclosure": {"public": N_("public"), "shared": N_("shared with authorities"), "restricted": N_("restricted")},
    "link": {
        "id": N_("by identifier"),
        "model": N_("by the matching model"),
        "confirmed": N_("confirmed by a person"),
        "review": N_("waiting for review"),
        "new": N_("new subject"),
        "pending": N_("not yet linked"),
    },
    "kind": {"org": N_("organisation"), "person": N_("natural person")},
    "role": {
        "public": N_("the public"),
        "subject": N_("subject"),
        "agency": N_("agency"),
        "court": N_("court"),
        "platform": N_("platform"),
        "regulator": N_("regulator"),
        "operator": N_("operator"),
        "legal_representative": N_("legal representative"),
    },
    "removal": {
        "fulfilled": N_("obligation fulfilled"),
        "revoked": N_("withdrawn"),
        "repaired": N_("repaired"),
        "expired": N_("period ended"),
    },
    "deadline_kind": {"working": N_("working days"), "calendar": N_("calendar days")},
    "decision": {
        "confirm": N_("candidate confirmed"),
        "reject": N_("all candidates rejected"),
        "assign": N_("assigned to another subject"),
    },
    "review_source": {
        "model": N_("the model was unsure"),
        "near_miss_code": N_("the code is one character off a known one"),
    },
}


def coder(gettext: Callable[[str], str]) -> Callable[[str, object], str]:
    """`code(kind, value)`: a code in words in the reader's language, or the code itself when unknown."""

    def code(kind: str, value: object) -> str:
        message = CODES.get(kind, {}).get(str(value))
        return gettext(message) if message is not None else str(value if value is not None else "—")

    return code
