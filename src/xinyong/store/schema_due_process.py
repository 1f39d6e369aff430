"""Tables for due process: objections to records, credit-repair applications and notices of listing (on the
shared metadata).

Each row names its record by `(agency, record_id)`, the record's key across versions, so an objection or a
repair outlives the corrections it causes; the version a decision created is kept in `new_version_pk`.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text, text

from xinyong.store.schema import PrimaryKey, UTCDateTime, metadata

OBJECTION_STATUSES = ("open", "upheld", "rejected", "escalated")
#: Objections still waiting for the agency's decision; while one is, its record is contested.
UNDECIDED = ("open", "escalated")
OBJECTION_OUTCOMES = ("withdraw", "correct")
DAY_KINDS = ("working", "calendar")
REPAIR_STATUSES = ("refused", "pending", "granted", "refused_after_review")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def _only_while(statuses: tuple[str, ...]) -> str:
    return "status IN ({})".format(", ".join(f"'{s}'" for s in statuses))


objections = Table(
    "objections",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("key", String(16), nullable=False, unique=True),
    Column("agency", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("subject_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("grounds", String(4000), nullable=False),
    Column("filed_by", String(128), nullable=False),
    Column("filed_at", UTCDateTime, nullable=False),
    # The last day (inclusive, CST) by which the agency must decide.
    Column("deadline", Date, nullable=False),
    Column("deadline_kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("outcome", String(16)),
    Column("escalated_at", UTCDateTime),
    Column("decided_by", String(128)),
    Column("decided_at", UTCDateTime),
    Column("reason", String(4000)),
    Column("new_version_pk", PrimaryKey, ForeignKey("records.pk")),
    _one_of("status", OBJECTION_STATUSES, "status"),
    _one_of("deadline_kind", DAY_KINDS, "deadline_kind"),
    CheckConstraint("outcome IS NULL OR outcome IN ('withdraw', 'correct')", name="outcome"),
    # One undecided objection per record: a second must wait for the first decision.
    Index(
        "uq_objections_undecided",
        "agency",
        "record_id",
        unique=True,
        sqlite_where=text(_only_while(UNDECIDED)),
        postgresql_where=text(_only_while(UNDECIDED)),
    ),
    Index(None, "agency", "record_id"),
    Index(None, "subject_pk"),
    Index(None, "status", "deadline"),
)

repairs = Table(
    "repairs",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("key", String(16), nullable=False, unique=True),
    Column("agency", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("subject_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("filed_by", String(128), nullable=False),
    Column("filed_at", UTCDateTime, nullable=False),
    Column("status", String(24), nullable=False),
    # Why the application was refused at once, or what made it eligible.
    Column("reason", String(4000), nullable=False),
    # The earliest day the catalog's time rules let it succeed; null when it never can.
    Column("earliest", Date),
    # The commitment letter's text as the subject gave it (信用修复承诺书).
    Column("commitment", Text),
    Column("deadline", Date),
    Column("decided_by", String(128)),
    Column("decided_at", UTCDateTime),
    Column("decision_reason", String(4000)),
    Column("new_version_pk", PrimaryKey, ForeignKey("records.pk")),
    _one_of("status", REPAIR_STATUSES, "status"),
    Index(
        "uq_repairs_pending",
        "agency",
        "record_id",
        unique=True,
        sqlite_where=text(_only_while(("pending",))),
        postgresql_where=text(_only_while(("pending",))),
    ),
    Index(None, "agency", "record_id"),
    Index(None, "subject_pk"),
)

#: Notices of an intended listing, served before a list that needs prior notice may start.
notices = Table(
    "notices",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("key", String(16), nullable=False, unique=True),
    Column("agency", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("subject_pk", PrimaryKey, ForeignKey("subjects.pk")),
    Column("list_code", String(64), nullable=False),
    Column("served_on", Date, nullable=False),
    Column("served_by", String(128), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("new_version_pk", PrimaryKey, ForeignKey("records.pk")),
    Index(None, "agency", "record_id"),
    Index(None, "subject_pk"),
)

__all__ = [
    "DAY_KINDS",
    "OBJECTION_OUTCOMES",
    "OBJECTION_STATUSES",
    "REPAIR_STATUSES",
    "UNDECIDED",
    "metadata",
    "notices",
    "objections",
    "repairs",
]
