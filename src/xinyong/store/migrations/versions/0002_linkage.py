"""linkage runs, match explanations and the review queue

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of schema_linkage.py (none yet)."""


def downgrade() -> None:
    """Drop them."""
