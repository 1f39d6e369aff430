"""Drop the index of records by the identifier they were linked by, which no query reads

Revision ID: 0012
Revises: 0011

Records are found by subject through `subject_pk` (a subject's identifier is looked up in `subjects`, whose
`id_value` is unique and indexed); `records.subject_id` is kept and shown, but never searched. Its index cost
every stored version a B-tree insert at a random place (on PostgreSQL at national size, a page written to
the WAL in full after each checkpoint) and about 40 bytes, for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Drop the index (on PostgreSQL's partitioned records, with every partition's)."""
    op.drop_index("ix_records_subject_id", table_name="records")


def downgrade() -> None:
    op.create_index("ix_records_subject_id", "records", ["subject_id"])
