"""What stays of archived audit months: their entries' leaf and chain hashes, and which partitions went

Revision ID: 0010
Revises: 0009

On PostgreSQL `audit_log` is partitioned by month (0007), but a month could not be detached: verification
and the Merkle proofs read the log from seq 1. An archived month now leaves its entries' hashes behind in
`audit_leaves` (two hashes and a seq: under half of an entry's row) and a row in `audit_archives`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from schema_audit.py: a migration must not change with the schema.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the two tables of schema_audit.py."""
    op.create_table(
        "audit_leaves",
        sa.Column("seq", PK, autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_leaves")),
    )
    op.create_table(
        "audit_archives",
        sa.Column("partition", sa.String(length=63), nullable=False),
        sa.Column("first_seq", PK, nullable=True),
        sa.Column("last_seq", PK, nullable=True),
        sa.Column("entries", PK, nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partition", name=op.f("pk_audit_archives")),
    )


def downgrade() -> None:
    op.drop_table("audit_archives")
    op.drop_table("audit_leaves")
