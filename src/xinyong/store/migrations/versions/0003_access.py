"""API principals and their hashed keys

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from schema_access.py: a migration must not change with the schema.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROLES = "'public', 'subject', 'agency', 'court', 'platform', 'regulator', 'operator'"


def upgrade() -> None:
    """Create the tables of schema_access.py."""
    op.create_table(
        "principals",
        sa.Column("pk", PK, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"role IN ({ROLES})", name=op.f("ck_principals_role")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_principals")),
        sa.UniqueConstraint("name", name=op.f("uq_principals_name")),
    )
    op.create_table(
        "api_keys",
        sa.Column("pk", PK, nullable=False),
        sa.Column("principal_pk", PK, nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["principal_pk"], ["principals.pk"], name=op.f("fk_api_keys_principal_pk_principals")),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_principal_pk"), "api_keys", ["principal_pk"], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f("ix_api_keys_principal_pk"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("principals")
