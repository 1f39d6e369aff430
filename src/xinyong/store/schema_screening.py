"""Tables for screening: which subjects changed, the measures' targets as last published, and the ordered
change feed platforms follow (on the shared metadata)."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, String, Table, UniqueConstraint

from xinyong.store.schema import PrimaryKey, UTCDateTime, metadata

#: Subjects whose listings may have changed without a new record version (a link confirmed, a role, a repair).
subject_changes = Table(
    "subject_changes",
    metadata,
    Column("seq", PrimaryKey, primary_key=True),
    Column("subject_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("cause", String(32), nullable=False),
)

#: One row per (record, subject reached): the window in which the record's list applies to that subject,
#: directly or through a role. The screening index is built from these rows alone.
measure_targets = Table(
    "measure_targets",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("record_key", String(200), nullable=False),
    Column("target_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("target_id", String(32)),
    Column("target_kind", String(8), nullable=False),
    Column("target_name", String(256), nullable=False),
    Column("source_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("via_role", String(32)),
    Column("via_id", String(64)),
    Column("list_code", String(64), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("decision_no", String(128)),
    Column("legal_basis", String(128), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    UniqueConstraint("record_key", "target_pk"),
    Index(None, "source_pk"),
    Index(None, "target_id"),
)

#: The change feed: every start, change and removal of a target's window, in commit order.
measure_events = Table(
    "measure_events",
    metadata,
    Column("seq", PrimaryKey, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("event", String(16), nullable=False),
    Column("record_key", String(200), nullable=False),
    Column("target_pk", PrimaryKey, nullable=False),
    Column("target_id", String(32)),
    Column("target_kind", String(8), nullable=False),
    Column("target_name", String(256), nullable=False),
    Column("via_role", String(32)),
    Column("via_id", String(64)),
    Column("list_code", String(64), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("decision_no", String(128)),
    Column("legal_basis", String(128), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
)
