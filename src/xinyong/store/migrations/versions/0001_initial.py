"""The initial schema: subjects and roles, ingestion batches, bitemporal record versions, audit log, meta.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from schema.py: a migration must not change when the schema does.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
CURRENT = sa.text("superseded_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", PK, autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object", sa.String(length=256), nullable=False),
        sa.Column("purpose", sa.String(length=256), nullable=True),
        sa.Column("result", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_object"), "audit_log", ["object"], unique=False)
    op.create_table(
        "batches",
        sa.Column("pk", PK, nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("superseded", sa.Integer(), nullable=False),
        sa.Column("quarantine_path", sa.String(length=1024), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name=op.f("ck_batches_status")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_batches")),
    )
    op.create_index(op.f("ix_batches_agency_file_sha256"), "batches", ["agency", "file_sha256"], unique=False)
    op.create_table(
        "meta",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_meta")),
    )
    op.create_table(
        "subjects",
        sa.Column("pk", PK, nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("id_kind", sa.String(length=16), nullable=True),
        sa.Column("id_value", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("name_norm", sa.String(length=256), nullable=False),
        sa.Column("allowlisted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_batch", PK, nullable=True),
        sa.CheckConstraint("kind IN ('org', 'person')", name=op.f("ck_subjects_kind")),
        sa.ForeignKeyConstraint(
            ["created_by_batch"], ["batches.pk"], name=op.f("fk_subjects_created_by_batch_batches")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_subjects")),
        sa.UniqueConstraint("id_value", name=op.f("uq_subjects_id_value")),
        sa.UniqueConstraint("key", name=op.f("uq_subjects_key")),
    )
    op.create_index(op.f("ix_subjects_name_norm"), "subjects", ["name_norm"], unique=False)
    op.create_table(
        "records",
        sa.Column("pk", PK, nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=64), nullable=False),
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("subject_name", sa.String(length=256), nullable=False),
        sa.Column("subject_id_raw", sa.String(length=64), nullable=True),
        sa.Column("subject_id", sa.String(length=32), nullable=True),
        sa.Column("subject_pk", PK, nullable=True),
        sa.Column("link", sa.String(length=16), nullable=False),
        sa.Column("link_probability", sa.Float(), nullable=True),
        sa.Column("link_run", sa.String(length=64), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("decision_no", sa.String(length=128), nullable=True),
        sa.Column("legal_basis", sa.String(length=128), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("result", sa.String(length=32), nullable=True),
        sa.Column("legal_rep_name", sa.String(length=256), nullable=True),
        sa.Column("legal_rep_id", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=512), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("summary", sa.String(length=4000), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.Column("batch_pk", PK, nullable=True),
        sa.Column("source_file", sa.String(length=1024), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "link IN ('pending', 'id', 'model', 'confirmed', 'review', 'new')", name=op.f("ck_records_link")
        ),
        sa.CheckConstraint("subject_kind IN ('org', 'person')", name=op.f("ck_records_subject_kind")),
        sa.ForeignKeyConstraint(["batch_pk"], ["batches.pk"], name=op.f("fk_records_batch_pk_batches")),
        sa.ForeignKeyConstraint(["subject_pk"], ["subjects.pk"], name=op.f("fk_records_subject_pk_subjects")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_records")),
        sa.UniqueConstraint("agency", "record_id", "version", name=op.f("uq_records_agency_record_id_version")),
    )
    op.create_index(op.f("ix_records_batch_pk"), "records", ["batch_pk"], unique=False)
    op.create_index(op.f("ix_records_link"), "records", ["link"], unique=False)
    op.create_index(op.f("ix_records_record_type_decided_on"), "records", ["record_type", "decided_on"], unique=False)
    op.create_index(op.f("ix_records_subject_id"), "records", ["subject_id"], unique=False)
    op.create_index(op.f("ix_records_subject_pk"), "records", ["subject_pk"], unique=False)
    op.create_index(
        "uq_records_current",
        "records",
        ["agency", "record_id"],
        unique=True,
        sqlite_where=CURRENT,
        postgresql_where=CURRENT,
    )
    op.create_table(
        "subject_roles",
        sa.Column("pk", PK, nullable=False),
        sa.Column("org_pk", PK, nullable=False),
        sa.Column("person_pk", PK, nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source_record_pk", PK, nullable=True),
        sa.ForeignKeyConstraint(["org_pk"], ["subjects.pk"], name=op.f("fk_subject_roles_org_pk_subjects")),
        sa.ForeignKeyConstraint(["person_pk"], ["subjects.pk"], name=op.f("fk_subject_roles_person_pk_subjects")),
        sa.ForeignKeyConstraint(
            ["source_record_pk"], ["records.pk"], name=op.f("fk_subject_roles_source_record_pk_records")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_subject_roles")),
    )
    op.create_index(op.f("ix_subject_roles_org_pk_role"), "subject_roles", ["org_pk", "role"], unique=False)
    op.create_index(op.f("ix_subject_roles_person_pk"), "subject_roles", ["person_pk"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_subject_roles_person_pk"), table_name="subject_roles")
    op.drop_index(op.f("ix_subject_roles_org_pk_role"), table_name="subject_roles")
    op.drop_table("subject_roles")
    op.drop_index("uq_records_current", table_name="records", sqlite_where=CURRENT, postgresql_where=CURRENT)
    op.drop_index(op.f("ix_records_subject_pk"), table_name="records")
    op.drop_index(op.f("ix_records_subject_id"), table_name="records")
    op.drop_index(op.f("ix_records_record_type_decided_on"), table_name="records")
    op.drop_index(op.f("ix_records_link"), table_name="records")
    op.drop_index(op.f("ix_records_batch_pk"), table_name="records")
    op.drop_table("records")
    op.drop_index(op.f("ix_subjects_name_norm"), table_name="subjects")
    op.drop_table("subjects")
    op.drop_table("meta")
    op.drop_index(op.f("ix_batches_agency_file_sha256"), table_name="batches")
    op.drop_table("batches")
    op.drop_index(op.f("ix_audit_log_object"), table_name="audit_log")
    op.drop_table("audit_log")
