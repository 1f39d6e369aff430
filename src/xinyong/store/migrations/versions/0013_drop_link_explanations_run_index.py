"""Drop the index of link explanations by run, which no query reads

Revision ID: 0013
Revises: 0012

Explanations are read by record (`explanations_for`); a run's own rows are never looked up by its name
(its counts and model are in `link_runs`). Every row of a run carries the same name, so the index was an
insert per explanation (a million for a run of a million records: a second of its write on SQLite) and
a few dozen bytes each, for nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_link_explanations_run", table_name="link_explanations")


def downgrade() -> None:
    op.create_index("ix_link_explanations_run", "link_explanations", ["run"])
