"""Match explanations keep their comparison levels in shared level sets

Revision ID: 0009
Revises: 0008

A linkage run writes an explanation for nearly every record it considers, and each carried its levels as a
JSON document of about a kilobyte, while a million pairs fall in a few thousand combinations of levels.
Each combination is now stored once in `link_level_sets` (keyed by the SHA-256 of its JSON text) and an
explanation refers to it. Existing explanations are moved over a window of rows at a time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from schema_linkage.py: a migration must not change with the schema.
PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
#: Explanations moved per window of pks.
WINDOW = 50_000


def upgrade() -> None:
    """Create the level sets, point every explanation at its set, drop the per-row levels."""
    op.create_table(
        "link_level_sets",
        sa.Column("pk", PK, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_link_level_sets")),
        sa.UniqueConstraint("digest", name=op.f("uq_link_level_sets_digest")),
    )
    with op.batch_alter_table("link_explanations") as batch:
        batch.add_column(sa.Column("level_set_pk", PK, nullable=True))
    _move_levels(op.get_bind())
    with op.batch_alter_table("link_explanations") as batch:
        batch.alter_column("level_set_pk", existing_type=PK, nullable=False)
        batch.create_foreign_key(
            op.f("fk_link_explanations_level_set_pk_link_level_sets"), "link_level_sets", ["level_set_pk"], ["pk"]
        )
        batch.drop_column("levels")


def _move_levels(bind: sa.Connection) -> None:
    # The digest is the one the store computes for new explanations: SHA-256 of the JSON as it writes it.
    sets: dict[str, int] = {}
    top = bind.execute(sa.text("SELECT COALESCE(MAX(pk), 0) FROM link_explanations")).scalar_one()
    for start in range(0, int(top), WINDOW):
        rows = bind.execute(
            sa.text("SELECT pk, CAST(levels AS TEXT) FROM link_explanations WHERE pk > :a AND pk <= :b"),
            {"a": start, "b": start + WINDOW},
        ).all()
        fresh: list[dict[str, Any]] = []
        pointers: list[dict[str, Any]] = []
        for pk, stored in rows:
            text = json.dumps(json.loads(stored), ensure_ascii=False)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if digest not in sets:
                sets[digest] = len(sets) + 1
                fresh.append({"pk": sets[digest], "digest": digest, "levels": text})
            pointers.append({"set_pk": sets[digest], "row_pk": pk})
        if fresh:
            bind.execute(
                sa.text("INSERT INTO link_level_sets (pk, digest, levels) VALUES (:pk, :digest, :levels)"), fresh
            )
        if pointers:
            bind.execute(sa.text("UPDATE link_explanations SET level_set_pk = :set_pk WHERE pk = :row_pk"), pointers)
    if sets and bind.dialect.name == "postgresql":
        # The rows above were given their pks: the table's sequence goes on after them.
        bind.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('link_level_sets', 'pk'), :top)"), {"top": len(sets)}
        )


def downgrade() -> None:
    """Copy each set's levels back into its explanations and drop the sets."""
    with op.batch_alter_table("link_explanations") as batch:
        batch.add_column(sa.Column("levels", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE link_explanations SET levels = "
        "(SELECT s.levels FROM link_level_sets AS s WHERE s.pk = link_explanations.level_set_pk)"
    )
    with op.batch_alter_table("link_explanations") as batch:
        batch.alter_column("levels", existing_type=sa.JSON(), nullable=False)
        batch.drop_constraint(op.f("fk_link_explanations_level_set_pk_link_level_sets"), type_="foreignkey")
        batch.drop_column("level_set_pk")
    op.drop_table("link_level_sets")
