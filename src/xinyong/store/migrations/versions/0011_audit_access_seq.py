"""On PostgreSQL, a block-range (BRIN) index of the access index's seq, for archiving an audit month

Revision ID: 0011
Revises: 0010

Archiving a month (`store.partitions.detach`) deletes that month's rows from `audit_access`, which is keyed by
(object, seq): without an index on seq alone the delete read the whole table. The audit writer appends rows
in seq order, so a BRIN index (a few pages, next to nothing per insert) finds a month's blocks. SQLite's
log is one table that is never cut, so it gets nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from partitions.py: a migration must not change with the code.
INDEX = "ix_audit_access_seq"


def upgrade() -> None:
    """Create the index on PostgreSQL."""
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(INDEX, "audit_access", ["seq"], postgresql_using="brin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="audit_access")
