"""The audit log's access index: one row per subject a batch-check entry concerns

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from schema_audit.py: a migration must not change with the schema.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the table of schema_audit.py (on SQLite without a rowid: the rows live in the key's tree)."""
    op.create_table(
        "audit_access",
        sa.Column("object", sa.String(length=256), nullable=False),
        sa.Column("seq", PK, nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("object", "seq", name=op.f("pk_audit_access")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("audit_access")
