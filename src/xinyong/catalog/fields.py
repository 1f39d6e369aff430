"""The canonical feed fields of the contract (§3) and their closed vocabularies, which sources map onto."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Every canonical column of an agency feed, in the contract's order.
CANONICAL_FIELDS: tuple[str, ...] = (
    "record_id",
    "record_type",
    "subject_kind",
    "subject_name",
    "subject_id",
    "decided_on",
    "valid_from",
    "valid_to",
    "decision_no",
    "legal_basis",
    "severity",
    "status",
    "amount",
    "legal_rep_name",
    "legal_rep_id",
    "address",
    "phone",
    "birth_date",
    "summary",
    "grade",
    "result",
)

# Required of every row whatever its record type; type-specific ones live on RecordType.required_fields.
ALWAYS_REQUIRED: tuple[str, ...] = ("record_id", "record_type", "subject_kind", "subject_name", "decided_on")

# Fields whose values come from a closed set; record_type and legal_basis are closed by the catalog itself.
VOCABULARIES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "subject_kind": frozenset({"org", "person"}),
        "severity": frozenset({"minor", "general", "serious"}),
        "status": frozenset({"in_force", "fulfilled", "revoked"}),
        "grade": frozenset({"A", "B", "M", "C", "D"}),
        "result": frozenset({"compliant", "non_compliant", "not_located"}),
    }
)
