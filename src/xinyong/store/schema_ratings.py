"""Tables for ratings, model versions and inspection draws (on the shared metadata).

A trained or declared model is stored once per version with its full definition, so any stored rating
can be recomputed from the row it names. Inspection draws keep the published seed hash from the moment
of commitment; the seed itself stays null until the draw reveals it.
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Date, Float, ForeignKey, Index, Integer, String, Table

from xinyong.store.schema import PrimaryKey, UTCDateTime, metadata

MODEL_KINDS = ("rule", "statistical")

rating_models = Table(
    "rating_models",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("code", String(64), nullable=False),
    Column("version", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("trained_at", UTCDateTime, nullable=False),
    Column("metrics", JSON, nullable=False),
    CheckConstraint("kind IN ('rule', 'statistical')", name="kind"),
    Index(None, "code", "version", unique=True),
)

ratings = Table(
    "ratings",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("subject_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("model_code", String(64), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("score", Float, nullable=False),
    Column("grade", String(8), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("rated_at", UTCDateTime, nullable=False),
    # One run rates every entity at one instant; the run id groups them for the grade distribution.
    Column("run", String(64), nullable=False),
    Index(None, "subject_pk"),
    Index(None, "run"),
)

inspection_draws = Table(
    "inspection_draws",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("regulator", String(64), nullable=False),
    Column("seed_hash", String(64), nullable=False),
    Column("seed", String(64)),
    Column("committed_at", UTCDateTime, nullable=False),
    Column("revealed_at", UTCDateTime),
    Column("n", Integer),
    Column("params", JSON),
    Column("targets", JSON),
    Column("inspectors", JSON),
    Index(None, "regulator", "revealed_at"),
)

__all__ = ["MODEL_KINDS", "inspection_draws", "metadata", "rating_models", "ratings"]
