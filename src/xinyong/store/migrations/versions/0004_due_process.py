"""objections, repairs and notices

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from schema_due_process.py: a migration must not change with the schema.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNDECIDED = sa.text("status IN ('open', 'escalated')")
PENDING = sa.text("status IN ('pending')")


def _record_ref() -> list[sa.Column[object]]:
    return [
        sa.Column("pk", PK, nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
    ]


def upgrade() -> None:
    """Create the tables of schema_due_process.py."""
    op.create_table(
        "objections",
        *_record_ref(),
        sa.Column("subject_pk", PK, nullable=False),
        sa.Column("grounds", sa.String(length=4000), nullable=False),
        sa.Column("filed_by", sa.String(length=128), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("deadline_kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=4000), nullable=True),
        sa.Column("new_version_pk", PK, nullable=True),
        sa.CheckConstraint("status IN ('open', 'upheld', 'rejected', 'escalated')", name=op.f("ck_objections_status")),
        sa.CheckConstraint("deadline_kind IN ('working', 'calendar')", name=op.f("ck_objections_deadline_kind")),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('withdraw', 'correct')", name=op.f("ck_objections_outcome")),
        sa.ForeignKeyConstraint(["subject_pk"], ["subjects.pk"], name=op.f("fk_objections_subject_pk_subjects")),
        sa.ForeignKeyConstraint(["new_version_pk"], ["records.pk"], name=op.f("fk_objections_new_version_pk_records")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_objections")),
        sa.UniqueConstraint("key", name=op.f("uq_objections_key")),
    )
    op.create_index(op.f("ix_objections_agency_record_id"), "objections", ["agency", "record_id"], unique=False)
    op.create_index(op.f("ix_objections_subject_pk"), "objections", ["subject_pk"], unique=False)
    op.create_index(op.f("ix_objections_status_deadline"), "objections", ["status", "deadline"], unique=False)
    op.create_index(
        "uq_objections_undecided",
        "objections",
        ["agency", "record_id"],
        unique=True,
        sqlite_where=UNDECIDED,
        postgresql_where=UNDECIDED,
    )
    op.create_table(
        "repairs",
        *_record_ref(),
        sa.Column("subject_pk", PK, nullable=False),
        sa.Column("filed_by", sa.String(length=128), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=4000), nullable=False),
        sa.Column("earliest", sa.Date(), nullable=True),
        sa.Column("commitment", sa.Text(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=4000), nullable=True),
        sa.Column("new_version_pk", PK, nullable=True),
        sa.CheckConstraint(
            "status IN ('refused', 'pending', 'granted', 'refused_after_review')", name=op.f("ck_repairs_status")
        ),
        sa.ForeignKeyConstraint(["subject_pk"], ["subjects.pk"], name=op.f("fk_repairs_subject_pk_subjects")),
        sa.ForeignKeyConstraint(["new_version_pk"], ["records.pk"], name=op.f("fk_repairs_new_version_pk_records")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_repairs")),
        sa.UniqueConstraint("key", name=op.f("uq_repairs_key")),
    )
    op.create_index(op.f("ix_repairs_agency_record_id"), "repairs", ["agency", "record_id"], unique=False)
    op.create_index(op.f("ix_repairs_subject_pk"), "repairs", ["subject_pk"], unique=False)
    op.create_index(
        "uq_repairs_pending",
        "repairs",
        ["agency", "record_id"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_table(
        "notices",
        *_record_ref(),
        sa.Column("subject_pk", PK, nullable=True),
        sa.Column("list_code", sa.String(length=64), nullable=False),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("served_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_version_pk", PK, nullable=True),
        sa.ForeignKeyConstraint(["subject_pk"], ["subjects.pk"], name=op.f("fk_notices_subject_pk_subjects")),
        sa.ForeignKeyConstraint(["new_version_pk"], ["records.pk"], name=op.f("fk_notices_new_version_pk_records")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_notices")),
        sa.UniqueConstraint("key", name=op.f("uq_notices_key")),
    )
    op.create_index(op.f("ix_notices_agency_record_id"), "notices", ["agency", "record_id"], unique=False)
    op.create_index(op.f("ix_notices_subject_pk"), "notices", ["subject_pk"], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f("ix_notices_subject_pk"), table_name="notices")
    op.drop_index(op.f("ix_notices_agency_record_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_index("uq_repairs_pending", table_name="repairs", sqlite_where=PENDING, postgresql_where=PENDING)
    op.drop_index(op.f("ix_repairs_subject_pk"), table_name="repairs")
    op.drop_index(op.f("ix_repairs_agency_record_id"), table_name="repairs")
    op.drop_table("repairs")
    op.drop_index(
        "uq_objections_undecided", table_name="objections", sqlite_where=UNDECIDED, postgresql_where=UNDECIDED
    )
    op.drop_index(op.f("ix_objections_status_deadline"), table_name="objections")
    op.drop_index(op.f("ix_objections_subject_pk"), table_name="objections")
    op.drop_index(op.f("ix_objections_agency_record_id"), table_name="objections")
    op.drop_table("objections")
