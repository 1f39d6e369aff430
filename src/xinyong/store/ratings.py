"""Ratings, the model versions behind them and inspection draws: plain functions on a connection.

Reads for the rating engine stream records and organisations a chunk at a time as plain column lists,
so the engine can build its columnar tables without holding SQLAlchemy rows or touching SQL itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select, update
from sqlalchemy.exc import IntegrityError

from xinyong.errors import Conflict, InvalidInput, NotFound
from xinyong.store.engine import error_line
from xinyong.store.schema import null_unindexed, records, subject_roles, subjects, unindexed
from xinyong.store.schema_ratings import inspection_draws, rating_models, ratings

__all__ = [
    "Candidate",
    "Connection",
    "DrawRow",
    "ModelRow",
    "NewRating",
    "RatingRow",
    "commit_draw",
    "count_ratings",
    "draws",
    "get_draw",
    "get_model",
    "insert_ratings",
    "jurisdiction",
    "latest_rating",
    "legal_rep_ids",
    "model_versions",
    "open_commitment",
    "org_chunks",
    "record_chunks",
    "reveal_draw",
    "run_ratings",
    "save_model",
]

CHUNK = 500

#: The record columns the rating engine reads, in the order `record_chunks` yields them.
RECORD_COLUMNS: tuple[str, ...] = (
    "pk",
    "subject_pk",
    "record_type",
    "severity",
    "status",
    "amount",
    "grade",
    "result",
    "decided_on",
    "valid_from",
    "valid_to",
    "recorded_at",
    "superseded_at",
)
ORG_COLUMNS: tuple[str, ...] = ("subject_pk", "subject_key", "uscc", "name")


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelRow:
    """One stored version of a rating model: its full definition and the metrics measured when it was made."""

    pk: int
    code: str
    version: str
    kind: str
    definition: Mapping[str, Any]
    trained_at: datetime
    metrics: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True, slots=True)
class NewRating:
    """A rating about to be stored: who, as of which day, by which model version, with what result."""

    subject_pk: int
    as_of: date
    model_code: str
    model_version: str
    score: float
    grade: str
    reasons: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    rated_at: datetime
    run: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RatingRow(NewRating):
    """A stored rating."""

    pk: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """An organisation in a regulator's jurisdiction, with the grade of its latest rating (None if unrated)."""

    subject_pk: int
    subject_key: str
    uscc: str
    name: str
    grade: str | None
    model_code: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class DrawRow:
    """An inspection draw: committed (hash only) or revealed (seed, targets and inspectors)."""

    pk: int
    regulator: str
    seed_hash: str
    seed: str | None
    committed_at: datetime
    revealed_at: datetime | None
    n: int | None
    params: Mapping[str, Any] | None
    targets: Sequence[Mapping[str, Any]] | None
    inspectors: Sequence[Mapping[str, Any]] | None

    @property
    def key(self) -> str:
        """The draw's public name, `D` and its pk."""
        return f"D{self.pk:06d}"


# --- model versions -------------------------------------------------------------------------------


def save_model(
    conn: Connection,
    *,
    code: str,
    version: str,
    kind: str,
    definition: Mapping[str, Any],
    trained_at: datetime,
    metrics: Mapping[str, Any],
) -> ModelRow:
    """Store a model version; a version is written once and never changed."""
    values: dict[str, Any] = {
        "code": code,
        "version": version,
        "kind": kind,
        "definition": dict(definition),
        "trained_at": trained_at,
        "metrics": dict(metrics),
    }
    try:
        pk = conn.execute(rating_models.insert().values(**values).returning(rating_models.c.pk)).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"model {code} version {version} cannot be stored: {error_line(exc)}", field="version") from None
    return ModelRow(pk=pk, **values)


def get_model(conn: Connection, code: str, version: str | None = None) -> ModelRow | None:
    """A model version, or the latest stored version of the model when `version` is None."""
    query = select(rating_models).where(rating_models.c.code == code)
    if version is not None:
        query = query.where(rating_models.c.version == version)
    row = conn.execute(query.order_by(rating_models.c.pk.desc()).limit(1)).first()
    return _model(row) if row is not None else None


def model_versions(conn: Connection, code: str) -> list[ModelRow]:
    """Every stored version of a model, oldest first."""
    query = select(rating_models).where(rating_models.c.code == code).order_by(rating_models.c.pk)
    return [_model(row) for row in conn.execute(query)]


def _model(row: Row[Any]) -> ModelRow:
    return ModelRow(**row._mapping)


# --- ratings -------------------------------------------------------------------------------------


def insert_ratings(conn: Connection, rows: Iterable[NewRating], *, chunk: int = 5000) -> int:
    """Store ratings in chunks of one multi-row insert each; call inside a unit of work."""
    stored = 0
    batch: list[dict[str, Any]] = []
    for rating in rows:
        batch.append(_rating_params(rating))
        if len(batch) >= chunk:
            conn.execute(ratings.insert(), batch)
            stored += len(batch)
            batch = []
    if batch:
        conn.execute(ratings.insert(), batch)
        stored += len(batch)
    return stored


def latest_rating(conn: Connection, subject_pk: int) -> RatingRow | None:
    """The subject's most recent rating, None when it was never rated."""
    query = select(ratings).where(ratings.c.subject_pk == subject_pk).order_by(ratings.c.pk.desc()).limit(1)
    row = conn.execute(query).first()
    return _rating(row) if row is not None else None


def run_ratings(conn: Connection, run: str) -> list[RatingRow]:
    """The ratings one run stored, in the order it stored them."""
    query = select(ratings).where(ratings.c.run == run).order_by(ratings.c.pk)
    return [_rating(row) for row in conn.execute(query)]


def count_ratings(conn: Connection, *, run: str | None = None) -> int:
    """How many ratings are stored (of one run if asked)."""
    query = select(func.count()).select_from(ratings)
    if run is not None:
        query = query.where(ratings.c.run == run)
    return int(conn.execute(query).scalar_one())


def _rating_params(rating: NewRating) -> dict[str, Any]:
    return {
        "subject_pk": rating.subject_pk,
        "as_of": rating.as_of,
        "model_code": rating.model_code,
        "model_version": rating.model_version,
        "score": float(rating.score),
        "grade": rating.grade,
        "reasons": [dict(r) for r in rating.reasons],
        "rated_at": rating.rated_at,
        "run": rating.run,
    }


def _rating(row: Row[Any]) -> RatingRow:
    values = dict(row._mapping)
    values["reasons"] = tuple(values["reasons"] or ())
    return RatingRow(**values)


# --- what the rating engine reads ----------------------------------------------------------------


def record_chunks(
    conn: Connection, *, links: Sequence[str], current_only: bool = False, chunk: int = 50_000
) -> Iterator[dict[str, list[Any]]]:
    """Record versions of organisations, a chunk of columns at a time, in pk order.

    Only versions resolved to an organisation subject through one of `links` are read; `amount` comes
    back as a float (ratings need magnitudes, not cents).
    """
    # Windows of `chunk` pks rather than LIMIT `chunk` after a pk: PostgreSQL, planning a loaded table
    # without statistics, read every version after the window's start and sorted them to keep the first
    # `chunk` (3 s a chunk at 10^6 versions, a cost that grows with the square of the store); a window
    # bounds what any plan reads.
    top = conn.execute(select(func.coalesce(func.max(records.c.pk), 0))).scalar_one()
    after = 0
    while after < top:
        upto = after + chunk
        query = record_chunk_query(links, after, upto, current_only=current_only)
        rows = conn.execute(query).all()
        after = upto
        if not rows:
            continue
        out: dict[str, list[Any]] = {name: [] for name in RECORD_COLUMNS}
        for row in rows:
            for name, value in zip(RECORD_COLUMNS, row, strict=True):
                out[name].append(value)
        out["amount"] = [None if v is None else float(v) for v in out["amount"]]
        yield out


def record_chunk_query(links: Sequence[str], after: int, upto: int, *, current_only: bool) -> Select[Any]:
    """`record_chunks`' read of one window of pks (after, upto], in pk order."""
    query = (
        select(*(records.c[name] for name in RECORD_COLUMNS))
        .join(subjects, subjects.c.pk == records.c.subject_pk)
        # The link is compared `unindexed`, so the pages are read in pk order: SQLite, planning without
        # statistics, took the link index, read every version after `after` and sorted
        # them for each chunk (a cost that grows with the square of the store).
        .where(
            subjects.c.kind == "org",
            unindexed(records.c.link).in_(list(links)),
            records.c.pk > after,
            records.c.pk <= upto,
        )
    )
    if current_only:
        # Nor may "current" steer it: PostgreSQL without statistics read every current version through the
        # partial index of current versions.
        query = query.where(null_unindexed(records.c.superseded_at))
    return query.order_by(records.c.pk)


def org_chunks(conn: Connection, *, chunk: int = 50_000) -> Iterator[dict[str, list[Any]]]:
    """Every organisation subject (never a person): pk, key, USCC (None without one) and name."""
    after = 0
    while True:
        query = (
            select(subjects.c.pk, subjects.c.key, subjects.c.id_kind, subjects.c.id_value, subjects.c.name)
            .where(subjects.c.kind == "org", subjects.c.pk > after)
            .order_by(subjects.c.pk)
            .limit(chunk)
        )
        rows = conn.execute(query).all()
        if not rows:
            return
        yield {
            "subject_pk": [r.pk for r in rows],
            "subject_key": [r.key for r in rows],
            "uscc": [r.id_value if r.id_kind == "uscc" else None for r in rows],
            "name": [r.name for r in rows],
        }
        if len(rows) < chunk:
            return
        after = rows[-1].pk


# --- what inspection draws read -----------------------------------------------------------------


def jurisdiction(conn: Connection, division_prefix: str) -> list[Candidate]:
    """Organisations whose USCC registration division starts with `division_prefix` ("" for all), with
    the grade of their latest rating, ordered by USCC so a draw never depends on insertion order."""
    if division_prefix and not division_prefix.isdigit():
        raise InvalidInput(f"division prefix {division_prefix!r} must be digits", field="regulator")
    latest = select(ratings.c.subject_pk, func.max(ratings.c.pk).label("pk")).group_by(ratings.c.subject_pk).subquery()
    # USCC positions 3-8 are the registering authority's division code: `__` skips authority and type.
    query = (
        select(
            subjects.c.pk,
            subjects.c.key,
            subjects.c.id_value,
            subjects.c.name,
            ratings.c.grade,
            ratings.c.model_code,
        )
        .outerjoin(latest, latest.c.subject_pk == subjects.c.pk)
        .outerjoin(ratings, ratings.c.pk == latest.c.pk)
        .where(
            subjects.c.kind == "org",
            subjects.c.id_kind == "uscc",
            subjects.c.id_value.like(f"__{division_prefix}%"),
        )
        .order_by(subjects.c.id_value)
    )
    return [
        Candidate(
            subject_pk=r.pk,
            subject_key=r.key,
            uscc=r.id_value,
            name=r.name,
            grade=r.grade,
            model_code=r.model_code,
        )
        for r in conn.execute(query)
    ]


def legal_rep_ids(conn: Connection, org_pks: Iterable[int]) -> dict[int, set[str]]:
    """The identifiers of every legal representative an organisation has had, from the roles table and
    from its current records, for excluding inspectors with a conflict of interest."""
    wanted = sorted(set(org_pks))
    found: dict[int, set[str]] = {pk: set() for pk in wanted}
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        by_role = (
            select(subject_roles.c.org_pk, subjects.c.id_value)
            .join(subjects, subjects.c.pk == subject_roles.c.person_pk)
            .where(subject_roles.c.org_pk.in_(part), subjects.c.id_value.is_not(None))
        )
        by_record = select(records.c.subject_pk, records.c.legal_rep_id).where(
            records.c.subject_pk.in_(part),
            records.c.legal_rep_id.is_not(None),
            records.c.superseded_at.is_(None),
        )
        for org_pk, id_value in [*conn.execute(by_role), *conn.execute(by_record)]:
            found[int(org_pk)].add(str(id_value).upper())
    return found


# --- inspection draws ------------------------------------------------------------------------------


def commit_draw(conn: Connection, *, regulator: str, seed_hash: str, at: datetime) -> DrawRow:
    """Publish a commitment: the hash of a seed that will be revealed by a later draw."""
    pk = conn.execute(
        inspection_draws.insert()
        .values(regulator=regulator, seed_hash=seed_hash, committed_at=at)
        .returning(inspection_draws.c.pk)
    ).scalar_one()
    return DrawRow(
        pk=pk,
        regulator=regulator,
        seed_hash=seed_hash,
        seed=None,
        committed_at=at,
        revealed_at=None,
        n=None,
        params=None,
        targets=None,
        inspectors=None,
    )


def open_commitment(conn: Connection, regulator: str, *, lock: bool = False) -> DrawRow | None:
    """The regulator's latest commitment not yet revealed; `lock` holds it until the transaction ends."""
    query = (
        select(inspection_draws)
        .where(inspection_draws.c.regulator == regulator, inspection_draws.c.revealed_at.is_(None))
        .order_by(inspection_draws.c.pk.desc())
        .limit(1)
    )
    row = conn.execute(query.with_for_update() if lock else query).first()
    return _draw(row) if row is not None else None


def reveal_draw(
    conn: Connection,
    pk: int,
    *,
    seed: str,
    at: datetime,
    n: int,
    params: Mapping[str, Any],
    targets: Sequence[Mapping[str, Any]],
    inspectors: Sequence[Mapping[str, Any]],
) -> DrawRow:
    """Reveal a committed draw's seed and store what it drew; a draw is revealed once only."""
    result = conn.execute(
        update(inspection_draws)
        .where(inspection_draws.c.pk == pk, inspection_draws.c.revealed_at.is_(None))
        .values(
            seed=seed,
            revealed_at=at,
            n=n,
            params=dict(params),
            targets=[dict(t) for t in targets],
            inspectors=[dict(i) for i in inspectors],
        )
    )
    if result.rowcount != 1:
        raise Conflict(f"draw D{pk:06d} is already revealed or does not exist", field="draw")
    draw = get_draw(conn, pk)
    if draw is None:  # pragma: no cover - the update above just found it
        raise NotFound(f"draw D{pk:06d} vanished", field="draw")
    return draw


def get_draw(conn: Connection, pk: int) -> DrawRow | None:
    """One draw by pk."""
    row = conn.execute(select(inspection_draws).where(inspection_draws.c.pk == pk)).first()
    return _draw(row) if row is not None else None


def draws(conn: Connection, regulator: str | None = None, *, limit: int = 100) -> list[DrawRow]:
    """The latest draws (of one regulator if asked), newest first."""
    query = select(inspection_draws)
    if regulator is not None:
        query = query.where(inspection_draws.c.regulator == regulator)
    return [_draw(row) for row in conn.execute(query.order_by(inspection_draws.c.pk.desc()).limit(limit))]


def _draw(row: Row[Any]) -> DrawRow:
    return DrawRow(**row._mapping)
