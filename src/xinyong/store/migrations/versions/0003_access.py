"""API principals and keys, screening checks and the change feed

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the tables of schema_access.py (none yet)."""


def downgrade() -> None:
    """Drop them."""
