"""ratings, model versions and inspection draws

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of schema_ratings.py (none yet)."""


def downgrade() -> None:
    """Drop them."""
