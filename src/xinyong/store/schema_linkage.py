"""Tables for linkage runs, match explanations and the review queue (on the shared metadata).

A run row keeps everything needed to reproduce its links: the comparison settings, the estimated model
(m and u probabilities per comparison level, and lambda), the thresholds and the seed. Each explanation
row says why a record was put next to a candidate: its probability, its match weight and, per
comparison, the level it fell in and that level's weight (a level set shared by every explanation with the
same levels and weights). The review queue holds the records a person
must decide, with every decision kept (who, when, why), so a rejection also stays a negative judgement.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from xinyong.store.schema import SUBJECT_KINDS, PrimaryKey, UTCDateTime, metadata

BACKENDS = ("duckdb", "spark")
RUN_STATUSES = ("running", "done", "failed")
REVIEW_STATUSES = ("open", "confirmed", "rejected", "reassigned")
REVIEW_SOURCES = ("near_miss_code", "model")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


link_runs = Table(
    "link_runs",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    # The run's name as records.link_run holds it (`L00000042`); one row per subject kind of the run.
    Column("run", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("backend", String(16), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("link_upper", Float, nullable=False),
    Column("link_lower", Float, nullable=False),
    Column("settings", JSON, nullable=False),
    # {"lambda": p, "comparisons": {name: [{"label", "m", "u"}...]}, "trained": [...], "from_run": run|null}
    Column("model", JSON, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    _one_of("kind", SUBJECT_KINDS, "kind"),
    _one_of("backend", BACKENDS, "backend"),
    _one_of("status", RUN_STATUSES, "status"),
    UniqueConstraint("run", "kind"),
)

# One combination of comparison levels and their weights, as many explanations share it: a million pairs
# fall in a few thousand combinations, so each is stored once (keyed by the SHA-256 of its JSON) and an
# explanation row is a few numbers.
link_level_sets = Table(
    "link_level_sets",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    # {comparison: {"gamma": level, "label": text, "match_weight": w, "bayes_factor": 2**w}}
    Column("levels", JSON, nullable=False),
)

link_explanations = Table(
    "link_explanations",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("run", String(64), nullable=False),
    Column("record_pk", PrimaryKey, ForeignKey("records.pk"), nullable=False),
    # The candidate is an existing subject, or (when pending records were grouped into one new subject)
    # another pending record.
    Column("subject_pk", PrimaryKey, ForeignKey("subjects.pk")),
    Column("other_record_pk", PrimaryKey, ForeignKey("records.pk")),
    Column("rank", Integer, nullable=False),
    Column("probability", Float, nullable=False),
    Column("match_weight", Float, nullable=False),
    # The level each comparison fell in, and its weight.
    Column("level_set_pk", PrimaryKey, ForeignKey("link_level_sets.pk"), nullable=False),
    Index(None, "record_pk"),
)

review_items = Table(
    "review_items",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("run", String(64), nullable=False),
    Column("record_pk", PrimaryKey, ForeignKey("records.pk"), nullable=False),
    # `agency:record_id`: a rejection stays a negative judgement for later versions of the record too.
    Column("record_key", String(200), nullable=False),
    Column("source", String(32), nullable=False),
    # The best candidate and its probability; every candidate is in `candidates`.
    Column("subject_pk", PrimaryKey, ForeignKey("subjects.pk"), nullable=False),
    Column("probability", Float, nullable=False),
    Column("candidates", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_by", String(128)),
    Column("decided_at", UTCDateTime),
    Column("reason", String(1000)),
    # The subject the decision attached the record to (the candidate, another one, or a new subject).
    Column("decided_subject_pk", PrimaryKey, ForeignKey("subjects.pk")),
    _one_of("status", REVIEW_STATUSES, "status"),
    _one_of("source", REVIEW_SOURCES, "source"),
    Index(None, "status"),
    Index(None, "record_pk"),
    Index(None, "record_key"),
)

__all__ = [
    "BACKENDS",
    "REVIEW_SOURCES",
    "REVIEW_STATUSES",
    "RUN_STATUSES",
    "link_explanations",
    "link_runs",
    "metadata",
    "review_items",
]
