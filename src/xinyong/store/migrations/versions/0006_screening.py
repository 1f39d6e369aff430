"""Screening: subject changes, published measure targets and the change feed.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _target_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("target_pk", PK, nullable=False),
        sa.Column("target_id", sa.String(length=32), nullable=True),
        sa.Column("target_kind", sa.String(length=8), nullable=False),
        sa.Column("target_name", sa.String(length=256), nullable=False),
    ]


def _window_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("via_role", sa.String(length=32), nullable=True),
        sa.Column("via_id", sa.String(length=64), nullable=True),
        sa.Column("list_code", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("decision_no", sa.String(length=128), nullable=True),
        sa.Column("legal_basis", sa.String(length=128), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "subject_changes",
        sa.Column("seq", PK, nullable=False),
        sa.Column("subject_pk", PK, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["subject_pk"], ["subjects.pk"], name=op.f("fk_subject_changes_subject_pk_subjects")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_subject_changes")),
    )
    columns = _target_columns()
    op.create_table(
        "measure_targets",
        sa.Column("pk", PK, nullable=False),
        *columns,
        sa.Column("source_pk", PK, nullable=False),
        *_window_columns(),
        sa.ForeignKeyConstraint(["target_pk"], ["subjects.pk"], name=op.f("fk_measure_targets_target_pk_subjects")),
        sa.ForeignKeyConstraint(["source_pk"], ["subjects.pk"], name=op.f("fk_measure_targets_source_pk_subjects")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_measure_targets")),
        sa.UniqueConstraint("record_key", "target_pk", name=op.f("uq_measure_targets_record_key_target_pk")),
    )
    op.create_index(op.f("ix_measure_targets_source_pk"), "measure_targets", ["source_pk"])
    op.create_index(op.f("ix_measure_targets_target_id"), "measure_targets", ["target_id"])
    op.create_table(
        "measure_events",
        sa.Column("seq", PK, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        *_target_columns(),
        *_window_columns(),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_measure_events")),
    )


def downgrade() -> None:
    op.drop_table("measure_events")
    op.drop_index(op.f("ix_measure_targets_target_id"), table_name="measure_targets")
    op.drop_index(op.f("ix_measure_targets_source_pk"), table_name="measure_targets")
    op.drop_table("measure_targets")
    op.drop_table("subject_changes")
