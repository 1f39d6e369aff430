"""linkage runs, match explanations and the review queue

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from schema_linkage.py: a migration must not change when the schema does.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the tables of schema_linkage.py."""
    op.create_table(
        "link_runs",
        sa.Column("pk", PK, nullable=False),
        sa.Column("run", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("link_upper", sa.Float(), nullable=False),
        sa.Column("link_lower", sa.Float(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("backend IN ('duckdb', 'spark')", name=op.f("ck_link_runs_backend")),
        sa.CheckConstraint("kind IN ('org', 'person')", name=op.f("ck_link_runs_kind")),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name=op.f("ck_link_runs_status")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_link_runs")),
        sa.UniqueConstraint("run", "kind", name=op.f("uq_link_runs_run_kind")),
    )
    op.create_table(
        "link_explanations",
        sa.Column("pk", PK, nullable=False),
        sa.Column("run", sa.String(length=64), nullable=False),
        sa.Column("record_pk", PK, nullable=False),
        sa.Column("subject_pk", PK, nullable=True),
        sa.Column("other_record_pk", PK, nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["other_record_pk"], ["records.pk"], name=op.f("fk_link_explanations_other_record_pk_records")
        ),
        sa.ForeignKeyConstraint(["record_pk"], ["records.pk"], name=op.f("fk_link_explanations_record_pk_records")),
        sa.ForeignKeyConstraint(["subject_pk"], ["subjects.pk"], name=op.f("fk_link_explanations_subject_pk_subjects")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_link_explanations")),
    )
    op.create_index(op.f("ix_link_explanations_record_pk"), "link_explanations", ["record_pk"], unique=False)
    op.create_index(op.f("ix_link_explanations_run"), "link_explanations", ["run"], unique=False)
    op.create_table(
        "review_items",
        sa.Column("pk", PK, nullable=False),
        sa.Column("run", sa.String(length=64), nullable=False),
        sa.Column("record_pk", PK, nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("subject_pk", PK, nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("decided_subject_pk", PK, nullable=True),
        sa.CheckConstraint("source IN ('near_miss_code', 'model')", name=op.f("ck_review_items_source")),
        sa.CheckConstraint(
            "status IN ('open', 'confirmed', 'rejected', 'reassigned')", name=op.f("ck_review_items_status")
        ),
        sa.ForeignKeyConstraint(
            ["decided_subject_pk"], ["subjects.pk"], name=op.f("fk_review_items_decided_subject_pk_subjects")
        ),
        sa.ForeignKeyConstraint(["record_pk"], ["records.pk"], name=op.f("fk_review_items_record_pk_records")),
        sa.ForeignKeyConstraint(["subject_pk"], ["subjects.pk"], name=op.f("fk_review_items_subject_pk_subjects")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_review_items")),
    )
    op.create_index(op.f("ix_review_items_record_key"), "review_items", ["record_key"], unique=False)
    op.create_index(op.f("ix_review_items_record_pk"), "review_items", ["record_pk"], unique=False)
    op.create_index(op.f("ix_review_items_status"), "review_items", ["status"], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f("ix_review_items_status"), table_name="review_items")
    op.drop_index(op.f("ix_review_items_record_pk"), table_name="review_items")
    op.drop_index(op.f("ix_review_items_record_key"), table_name="review_items")
    op.drop_table("review_items")
    op.drop_index(op.f("ix_link_explanations_run"), table_name="link_explanations")
    op.drop_index(op.f("ix_link_explanations_record_pk"), table_name="link_explanations")
    op.drop_table("link_explanations")
    op.drop_table("link_runs")
