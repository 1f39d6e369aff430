"""ratings, model versions and inspection draws

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Written out here rather than imported from schema_ratings.py: a migration must not change when the schema does.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the tables of schema_ratings.py."""
    op.create_table(
        "rating_models",
        sa.Column("pk", PK, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('rule', 'statistical')", name=op.f("ck_rating_models_kind")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_rating_models")),
    )
    op.create_index(op.f("ix_rating_models_code_version"), "rating_models", ["code", "version"], unique=True)
    op.create_table(
        "ratings",
        sa.Column("pk", PK, nullable=False),
        sa.Column("subject_pk", PK, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_code", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["subject_pk"], ["subjects.pk"], name=op.f("fk_ratings_subject_pk_subjects")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_ratings")),
    )
    op.create_index(op.f("ix_ratings_subject_pk"), "ratings", ["subject_pk"], unique=False)
    op.create_index(op.f("ix_ratings_run"), "ratings", ["run"], unique=False)
    op.create_table(
        "inspection_draws",
        sa.Column("pk", PK, nullable=False),
        sa.Column("regulator", sa.String(length=64), nullable=False),
        sa.Column("seed_hash", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("n", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("targets", sa.JSON(), nullable=True),
        sa.Column("inspectors", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_inspection_draws")),
    )
    op.create_index(
        op.f("ix_inspection_draws_regulator_revealed_at"),
        "inspection_draws",
        ["regulator", "revealed_at"],
        unique=False,
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f("ix_inspection_draws_regulator_revealed_at"), table_name="inspection_draws")
    op.drop_table("inspection_draws")
    op.drop_index(op.f("ix_ratings_run"), table_name="ratings")
    op.drop_index(op.f("ix_ratings_subject_pk"), table_name="ratings")
    op.drop_table("ratings")
    op.drop_index(op.f("ix_rating_models_code_version"), table_name="rating_models")
    op.drop_table("rating_models")
