"""The registry's tables, one definition for SQLite and PostgreSQL; the migrations create exactly these.

On PostgreSQL `records` and `audit_log` are partitioned by time, and what that changes (keys, the unique
constraints `record_keys` takes over) is `xinyong.store.partitions`' to describe.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
    literal,
    literal_column,
    text,
)

# Named constraints keep migrations (and SQLite batch rebuilds) deterministic across both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: 64-bit keys on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the auto-assigned rowid.
PrimaryKey = BigInteger().with_variant(Integer(), "sqlite")


def unindexed(column: ColumnElement[str]) -> ColumnElement[str]:
    """A text column as an expression no index serves (`column || ''`), for a condition that must not steer
    the plan: SQLite plans without statistics, and PostgreSQL on tables not yet analysed, and either may
    otherwise pick that column's index over a far more selective one, or over reading in primary-key order."""
    return column + literal("")


def null_unindexed(column: ColumnElement[Any]) -> ColumnElement[bool]:
    """`column IS NULL` written so that no partial index `WHERE column IS NULL` serves it (`COALESCE(column,
    'infinity') = 'infinity'`), for a condition that must not steer the plan: on tables without statistics
    PostgreSQL otherwise reads every current record version through the partial index of current versions
    where the primary key in order would have stopped after a chunk."""
    infinity: ColumnElement[Any] = literal_column("'infinity'")
    return func.coalesce(column, infinity) == infinity


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC and read back timezone-aware, as SQLite would silently drop the offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{value.isoformat()} has no time zone; the store keeps only aware instants")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SUBJECT_KINDS = ("org", "person")
LINKS = ("pending", "id", "model", "confirmed", "review", "new")
BATCH_STATUSES = ("running", "done", "failed")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


batches = Table(
    "batches",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("files", JSON, nullable=False),
    Column("format", String(16), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(16), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("superseded", Integer, nullable=False),
    Column("quarantine_path", String(1024)),
    _one_of("status", BATCH_STATUSES, "status"),
    Index(None, "agency", "file_sha256"),
)

subjects = Table(
    "subjects",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("key", String(16), nullable=False, unique=True),
    Column("kind", String(8), nullable=False),
    Column("id_kind", String(16)),
    Column("id_value", String(32), unique=True),
    Column("name", String(256), nullable=False),
    Column("name_norm", String(256), nullable=False),
    Column("allowlisted", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by_batch", PrimaryKey, ForeignKey("batches.pk")),
    _one_of("kind", SUBJECT_KINDS, "kind"),
    Index(None, "name_norm"),
)

records = Table(
    "records",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("record_id", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("record_type", String(64), nullable=False),
    Column("subject_kind", String(8), nullable=False),
    Column("subject_name", String(256), nullable=False),
    Column("subject_id_raw", String(64)),
    Column("subject_id", String(32)),
    Column("subject_pk", PrimaryKey, ForeignKey("subjects.pk")),
    Column("link", String(16), nullable=False),
    Column("link_probability", Float),
    Column("link_run", String(64)),
    Column("decided_on", Date, nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("decision_no", String(128)),
    Column("legal_basis", String(128)),
    Column("severity", String(16)),
    Column("status", String(16), nullable=False),
    Column("amount", Numeric(18, 2)),
    Column("grade", String(8)),
    Column("result", String(32)),
    Column("legal_rep_name", String(256)),
    Column("legal_rep_id", String(64)),
    Column("address", String(512)),
    Column("phone", String(64)),
    Column("birth_date", Date),
    Column("summary", String(4000)),
    Column("extra", JSON, nullable=False),
    Column("row_hash", String(64), nullable=False),
    Column("batch_pk", PrimaryKey, ForeignKey("batches.pk")),
    Column("source_file", String(1024)),
    Column("source_row", Integer),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("superseded_at", UTCDateTime),
    _one_of("subject_kind", SUBJECT_KINDS, "subject_kind"),
    _one_of("link", LINKS, "link"),
    UniqueConstraint("agency", "record_id", "version"),
    # At most one current version per agency record: two writers racing to supersede cannot both win.
    Index(
        "uq_records_current",
        "agency",
        "record_id",
        unique=True,
        sqlite_where=text("superseded_at IS NULL"),
        postgresql_where=text("superseded_at IS NULL"),
    ),
    Index(None, "subject_pk"),
    Index(None, "record_type", "decided_on"),
    Index(None, "batch_pk"),
    Index(None, "link"),
)

subject_roles = Table(
    "subject_roles",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("org_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("person_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("role", String(32), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    Column("source_record_pk", PrimaryKey, ForeignKey("records.pk")),
    Index(None, "org_pk", "role"),
    Index(None, "person_pk"),
)

audit_log = Table(
    "audit_log",
    metadata,
    # Assigned by the appender as the tail's seq + 1 under a lock, so the log has no gaps to explain away.
    Column("seq", PrimaryKey, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object", String(256), nullable=False),
    Column("purpose", String(256)),
    Column("result", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("leaf_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
    # A subject's access log: the newest entries about one object, read in seq order without a sort.
    Index(None, "object", "seq"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

#: The longest text each record field may hold, for ingestion to reject over-long fields row by row.
RECORD_FIELD_LIMITS: dict[str, int] = {
    column.name: column.type.length
    for column in records.columns
    if isinstance(column.type, String) and column.type.length is not None
}

# Tables owned by later capabilities live in their own modules on this same metadata, so one
# migration history and one autogenerate comparison cover them all.
from xinyong.store import (  # noqa: E402
    schema_access,
    schema_audit,
    schema_due_process,
    schema_linkage,
    schema_ratings,
    schema_screening,
)

__all__ = [
    "schema_access",
    "schema_audit",
    "schema_due_process",
    "schema_linkage",
    "schema_ratings",
    "schema_screening",
]
