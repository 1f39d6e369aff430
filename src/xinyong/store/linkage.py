"""What linkage reads and writes: pending records and the subjects they may belong to, runs, explanations,
and the review queue in which people confirm, reject or reassign what the model was unsure of.

Reads return named tuples with only the columns linkage compares, fetched from the driver without the
result layer, because a run reads every pending record and every subject, and full record rows (or a
million rows through SQLAlchemy's rows) would cost more than the matching itself.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, NamedTuple

from sqlalchemy import Connection, Select, and_, column, func, insert, literal, select, table, union, update

from xinyong.errors import Conflict, NotFound
from xinyong.store import keys
from xinyong.store.records import LinkUpdate
from xinyong.store.schema import UTCDateTime, records, subjects
from xinyong.store.schema_linkage import link_explanations, link_level_sets, link_runs, review_items
from xinyong.store.schema_screening import subject_changes

__all__ = [
    "Assignment",
    "Connection",
    "EvidenceRow",
    "ExplanationRow",
    "LinkRunRow",
    "ModelLink",
    "NewLinkRun",
    "NewReviewItem",
    "PendingRow",
    "ReviewItemRow",
    "SubjectEntry",
]

#: Keys per IN (...) list: far below SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 500
#: Rows fetched per round trip when streaming a whole table.
FETCH = 20_000
#: Links whose subject may lend its attributes to the subject side of a comparison.
EVIDENCE_LINKS = ("id", "confirmed", "new")
RUN_PREFIX = "L"
#: The session's temporary table in which `apply_links` stages a run's verdicts.
STAGED_LINKS = "staged_links"
_CURSORS: Final = itertools.count(1)


class PendingRow(NamedTuple):
    """A current record version still waiting for a subject, with the fields linkage compares."""

    pk: int
    agency: str
    record_id: str
    kind: str
    name: str
    id_raw: str | None
    id_valid: str | None
    legal_rep_name: str | None
    legal_rep_id: str | None
    address: str | None
    phone: str | None
    birth_date: date | None

    @property
    def key(self) -> str:
        """`agency:record_id`."""
        return f"{self.agency}:{self.record_id}"


class SubjectEntry(NamedTuple):
    """A subject as a candidate for linkage: its identity and its name."""

    pk: int
    key: str
    kind: str
    id_value: str | None
    name: str
    name_norm: str = ""


class EvidenceRow(NamedTuple):
    """What one record already tied to a subject says about it (legal rep, address, phone, birth date)."""

    subject_pk: int
    legal_rep_name: str | None
    legal_rep_id: str | None
    address: str | None
    phone: str | None
    birth_date: date | None


@dataclass(frozen=True, slots=True)
class LinkRunRow:
    """One subject kind of one linkage run, with the model that made its links."""

    pk: int
    run: str
    kind: str
    backend: str
    seed: int
    link_upper: float
    link_lower: float
    settings: dict[str, Any]
    model: dict[str, Any]
    counts: dict[str, Any]
    status: str
    started_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewLinkRun:
    """One subject kind of a run about to be stored; the store names the run."""

    kind: str
    backend: str
    seed: int
    link_upper: float
    link_lower: float
    settings: dict[str, Any]
    model: dict[str, Any]
    counts: dict[str, Any]
    status: str
    started_at: datetime
    finished_at: datetime | None


class ExplanationRow(NamedTuple):
    """Why a record was put next to a candidate subject (or another pending record)."""

    run: str
    record_pk: int
    rank: int
    probability: float
    match_weight: float
    levels: Mapping[str, Any]
    subject_pk: int | None = None
    other_record_pk: int | None = None


@dataclass(frozen=True, slots=True)
class NewReviewItem:
    """A record a person must decide, with the candidates the run proposes."""

    run: str
    record_pk: int
    record_key: str
    source: str
    subject_pk: int
    probability: float
    candidates: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class ReviewItemRow:
    """A stored review item and, once decided, who decided what and why."""

    pk: int
    run: str
    record_pk: int
    record_key: str
    source: str
    subject_pk: int
    probability: float
    candidates: list[dict[str, Any]]
    status: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    decided_subject_pk: int | None


@dataclass(frozen=True, slots=True)
class ModelLink:
    """A current record version linked by the model, for estimating how many such links are wrong."""

    pk: int
    agency: str
    record_id: str
    subject_pk: int
    probability: float


def run_name(pk: int) -> str:
    """The run name derived from its first row's pk (`L00000042`)."""
    return f"{RUN_PREFIX}{pk:08d}"


# -- reads for a run -------------------------------------------------------------------------------


def pending_rows(conn: Connection) -> list[PendingRow]:
    """Every current version whose link is pending, oldest first."""
    r = records.c
    query = (
        select(
            r.pk,
            r.agency,
            r.record_id,
            r.subject_kind,
            r.subject_name,
            r.subject_id_raw,
            r.subject_id,
            r.legal_rep_name,
            r.legal_rep_id,
            r.address,
            r.phone,
            r.birth_date,
        )
        .where(r.link == "pending", r.superseded_at.is_(None))
        .order_by(r.pk)
    )
    return list(map(PendingRow._make, _driver_rows(conn, query)))


def subject_chunks(conn: Connection, kind: str, size: int) -> Iterator[tuple[list[SubjectEntry], list[EvidenceRow]]]:
    """Every subject of a kind by pk, `size` at a time, each with what the current records tied to
    it say about it (in record order): two ordered reads walked side by side, so no more than one
    chunk is ever held in memory."""
    s = subjects.c
    listed = select(s.pk, s.key, s.kind, s.id_value, s.name, s.name_norm).where(s.kind == kind).order_by(s.pk)
    r = records.c
    said = (
        select(r.subject_pk, r.legal_rep_name, r.legal_rep_id, r.address, r.phone, r.birth_date)
        .where(
            r.subject_kind == kind,
            r.subject_pk.is_not(None),
            r.link.in_(EVIDENCE_LINKS),
            r.superseded_at.is_(None),
        )
        .order_by(r.subject_pk, r.pk)
    )
    evidence = map(EvidenceRow._make, _driver_rows(conn, said))
    waiting = next(evidence, None)
    entries = map(SubjectEntry._make, _driver_rows(conn, listed))
    while chunk := list(itertools.islice(entries, size)):
        last = chunk[-1].pk
        tied: list[EvidenceRow] = []
        # Evidence of a pk that is no subject of this kind falls into some chunk and matches no entry.
        while waiting is not None and waiting.subject_pk <= last:
            tied.append(waiting)
            waiting = next(evidence, None)
        yield chunk, tied


def subject_keys(conn: Connection, pks: Iterable[int]) -> dict[int, str]:
    """The keys of subjects by pk."""
    wanted = sorted(set(pks))
    s = subjects.c
    found: dict[int, str] = {}
    for start in range(0, len(wanted), CHUNK):
        query = select(s.pk, s.key).where(s.pk.in_(wanted[start : start + CHUNK]))
        found.update((int(pk), str(key)) for pk, key in conn.execute(query))
    return found


def subject_entries_by_id(conn: Connection, id_values: Sequence[str]) -> dict[str, SubjectEntry]:
    """Subjects by strong identifier, for the near-miss check of mistyped codes."""
    found: dict[str, SubjectEntry] = {}
    wanted = sorted(set(id_values))
    s = subjects.c
    for start in range(0, len(wanted), CHUNK):
        query = select(s.pk, s.key, s.kind, s.id_value, s.name).where(s.id_value.in_(wanted[start : start + CHUNK]))
        for row in conn.execute(query):
            entry = SubjectEntry(*row)
            if entry.id_value is not None:
                found[entry.id_value] = entry
    return found


def rejected_pairs(conn: Connection) -> set[tuple[str, int]]:
    """(record key, subject pk) pairs a person refused: never proposed again for that record.

    A rejection refuses every subject the item proposed; a reassignment every one but the subject
    the record was given.
    """
    r = review_items.c
    query = select(r.record_key, r.candidates, r.subject_pk, r.decided_subject_pk).where(
        r.status.in_(("rejected", "reassigned"))
    )
    refused: set[tuple[str, int]] = set()
    for key, candidates, best, given in conn.execute(query):
        proposed = {int(best), *(int(c["subject_pk"]) for c in candidates or [])}
        refused.update((str(key), pk) for pk in proposed if pk != given)
    return refused


def _stream(conn: Connection, query: Any) -> Iterator[Any]:
    result = conn.execution_options(yield_per=FETCH).execute(query)
    for partition in result.partitions():
        yield from partition


def _driver_rows(conn: Connection, query: Select[Any]) -> Iterator[tuple[Any, ...]]:
    """A query's rows as the driver returns them, FETCH at a time, each column converted as the result layer
    would (a date SQLite keeps as text) once per distinct value: a third of the cost of rows through it."""
    dialect = conn.dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    convert = [
        (index, processor)
        for index, selected in enumerate(query.selected_columns)
        if (processor := selected.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
    ]
    # On PostgreSQL a named (server-side) cursor, so that only FETCH rows at a time cross to this process;
    # psycopg's plain cursor holds the whole result in memory once executed.
    named = (f"xinyong_rows_{next(_CURSORS)}",) if dialect.name == "postgresql" else ()
    cursor = conn.connection.cursor(*named)
    try:
        cursor.execute(sql)
        done: list[dict[Any, Any]] = [{None: None} for _ in convert]
        while batch := cursor.fetchmany(FETCH):
            if not convert:
                yield from batch
                continue
            # Converted a column at a time, and the rows put together again once.
            columns: list[Sequence[Any]] = list(zip(*batch, strict=True))
            for (index, processor), seen in zip(convert, done, strict=True):
                column = columns[index]
                for value in set(column) - seen.keys():
                    seen[value] = processor(value)
                columns[index] = [seen[value] for value in column]
            yield from zip(*columns, strict=True)
    finally:
        cursor.close()


# -- runs ------------------------------------------------------------------------------------------


def save_runs(conn: Connection, kinds: Sequence[NewLinkRun]) -> str:
    """Store the rows of one run (one per subject kind) and return the run's name, `L` + its first pk."""
    if not kinds:
        raise ValueError("a run has at least one subject kind")
    name = ""
    for item in kinds:
        # Allocated one at a time: on SQLite a key is only taken once its row is written.
        pk = keys.allocate(conn, link_runs, 1)[0]
        name = name or run_name(pk)
        conn.execute(link_runs.insert().values(**_fields(item), pk=pk, run=name))
    return name


def runs(conn: Connection, *, run: str | None = None, kind: str | None = None) -> list[LinkRunRow]:
    """Run rows, newest first."""
    query = select(link_runs)
    if run is not None:
        query = query.where(link_runs.c.run == run)
    if kind is not None:
        query = query.where(link_runs.c.kind == kind)
    return [LinkRunRow(**row._mapping) for row in conn.execute(query.order_by(link_runs.c.pk.desc()))]


def run_model(conn: Connection, run: str, kind: str) -> LinkRunRow:
    """The row of one kind of a run, to reuse its model; NotFound names the run."""
    found = runs(conn, run=run, kind=kind)
    if not found:
        raise NotFound(f"no linkage run {run!r} for {kind} subjects", field="run")
    return found[0]


_EXPLANATION_COLUMNS: Final = (
    "pk",
    "run",
    "record_pk",
    "subject_pk",
    "other_record_pk",
    "rank",
    "probability",
    "match_weight",
    "level_set_pk",
)


def save_explanations(conn: Connection, rows: Sequence[ExplanationRow], *, run: str | None = None) -> int:
    """Store explanations (each under `run` when given, else under its own): COPY on PostgreSQL, one
    prepared statement on SQLite, as a run writes one or more for nearly every record it considered.

    Each distinct `levels` is stored once as a level set (found again by its digest, in this run or an
    earlier one); rows that share one mapping object are encoded once.
    """
    pks = keys.allocate(conn, link_explanations, len(rows))
    sets = _level_sets(conn, rows)
    values = (
        (
            pk,
            run or r.run,
            r.record_pk,
            r.subject_pk,
            r.other_record_pk,
            r.rank,
            r.probability,
            r.match_weight,
            sets[id(r.levels)],
        )
        for pk, r in zip(pks, rows, strict=True)
    )
    if conn.dialect.name == "postgresql":
        _copy(conn, "link_explanations", _EXPLANATION_COLUMNS, values)
    else:
        _insert_many(conn, "link_explanations", _EXPLANATION_COLUMNS, values)
    return len(rows)


def _level_sets(conn: Connection, rows: Sequence[ExplanationRow]) -> dict[int, int]:
    """The level set of each row's `levels`, by the mapping's identity (every mapping stays alive in `rows`
    meanwhile); sets not stored yet are added, in the order the rows first show them."""
    texts: dict[int, str] = {}
    for r in rows:
        if id(r.levels) not in texts:
            texts[id(r.levels)] = _json(r.levels)
    digests = {text: level_digest(text) for text in dict.fromkeys(texts.values())}
    wanted = sorted(set(digests.values()))
    found: dict[str, int] = {}
    s = link_level_sets.c
    for start in range(0, len(wanted), CHUNK):
        query = select(s.digest, s.pk).where(s.digest.in_(wanted[start : start + CHUNK]))
        found.update((str(digest), int(pk)) for digest, pk in conn.execute(query))
    fresh = [(digest, text) for text, digest in digests.items() if digest not in found]
    if fresh:
        new_pks = keys.allocate(conn, link_level_sets, len(fresh))
        found.update((digest, pk) for pk, (digest, _) in zip(new_pks, fresh, strict=True))
        stored = ((pk, digest, text) for pk, (digest, text) in zip(new_pks, fresh, strict=True))
        if conn.dialect.name == "postgresql":
            _copy(conn, "link_level_sets", ("pk", "digest", "levels"), stored)
        else:
            _insert_many(conn, "link_level_sets", ("pk", "digest", "levels"), stored)
    return {key: found[digests[text]] for key, text in texts.items()}


def level_digest(text: str) -> str:
    """The key of a level set: the SHA-256 of its JSON text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json(value: Mapping[str, Any]) -> str:
    # As the engine's JSON type writes it: Chinese kept readable.
    return json.dumps(value, ensure_ascii=False)


def _copy(conn: Connection, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY rows into a table on PostgreSQL."""
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the PostgreSQL connection has no driver connection")
    with driver.cursor() as cursor, cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert_many(conn: Connection, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows into a table on SQLite: one prepared statement, FETCH rows a call."""
    statement = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= FETCH:
            conn.exec_driver_sql(statement, batch)
            batch = []
    if batch:
        conn.exec_driver_sql(statement, batch)


# -- a run's links -----------------------------------------------------------------------------------

#: The staged columns are a LinkUpdate's fields, in its order: the updates are staged as they are.
_STAGED_COLUMNS: Final = LinkUpdate._fields


def apply_links(conn: Connection, updates: Sequence[LinkUpdate], *, at: datetime) -> int:
    """Store a whole run's verdicts on record versions, as `records.set_links` stores one person's decision.

    The verdicts are staged in a temporary table (COPY on PostgreSQL, one prepared statement on SQLite),
    the subjects the records leave and the ones they join are marked changed (so screening republishes
    them) and one UPDATE ... FROM writes every link: a million records cost a few statements, not a
    million round trips through the ORM layer.
    """
    if not updates:
        return 0
    postgres = conn.dialect.name == "postgresql"
    # On SQLite an INTEGER PRIMARY KEY is the rowid: the staged verdicts lie in pk order, as the records do.
    key = "BIGINT" if postgres else "INTEGER"
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {STAGED_LINKS} (pk {key} PRIMARY KEY, subject_pk BIGINT, "
        "link VARCHAR(16) NOT NULL, probability DOUBLE PRECISION, run VARCHAR(64))"
    )
    if postgres:
        _copy(conn, STAGED_LINKS, _STAGED_COLUMNS, updates)
    else:
        _insert_many(conn, STAGED_LINKS, _STAGED_COLUMNS, updates)
    staged = table(STAGED_LINKS, *(column(name) for name in _STAGED_COLUMNS))
    r, s = records.c, staged.c
    left = select(r.subject_pk.label("subject_pk")).join_from(records, staged, r.pk == s.pk)
    touched = union(left, select(s.subject_pk)).subquery()
    conn.execute(
        insert(subject_changes).from_select(
            ["subject_pk", "at", "cause"],
            select(touched.c.subject_pk, literal(at, UTCDateTime()), literal("link"))
            .where(touched.c.subject_pk.is_not(None))
            .order_by(touched.c.subject_pk),
        )
    )
    if postgres:
        conn.execute(
            update(records)
            .values(subject_pk=s.subject_pk, link=s.link, link_probability=s.probability, link_run=s.run)
            .where(r.pk == s.pk)
        )
    else:
        # SQLite would drive UPDATE ... FROM by an index of `records` and visit the rows out of order;
        # looked up by pk from the staged verdicts, they are visited in order.
        conn.exec_driver_sql(
            "UPDATE records SET (subject_pk, link, link_probability, link_run) = "
            f"(SELECT s.subject_pk, s.link, s.probability, s.run FROM {STAGED_LINKS} AS s WHERE s.pk = records.pk) "
            f"WHERE pk IN (SELECT pk FROM {STAGED_LINKS})"
        )
    conn.exec_driver_sql(f"DROP TABLE {STAGED_LINKS}")
    return len(updates)


def explanations_for(conn: Connection, record_pk: int) -> list[ExplanationRow]:
    """Why a record was linked as it was, in every run that considered it, best candidate first."""
    e, s = link_explanations.c, link_level_sets.c
    query = (
        select(e.run, e.record_pk, e.rank, e.probability, e.match_weight, s.levels, e.subject_pk, e.other_record_pk)
        .join_from(link_explanations, link_level_sets, e.level_set_pk == s.pk)
        .where(e.record_pk == record_pk)
        .order_by(e.pk)
    )
    return [ExplanationRow(*row) for row in conn.execute(query)]


# -- review queue ----------------------------------------------------------------------------------


def open_reviews(conn: Connection, items: Sequence[NewReviewItem], *, at: datetime) -> list[int]:
    """Queue records for a person to decide; returns the items' pks."""
    if not items:
        return []
    pks = keys.allocate(conn, review_items, len(items))
    rows = [
        {
            **_fields(item),
            "candidates": [dict(c) for c in item.candidates],
            "pk": pk,
            "status": "open",
            "created_at": at,
        }
        for pk, item in zip(pks, items, strict=True)
    ]
    for start in range(0, len(rows), FETCH):
        conn.execute(review_items.insert(), rows[start : start + FETCH])
    return pks


def review_list(conn: Connection, *, status: str | None = "open", limit: int | None = None) -> list[ReviewItemRow]:
    """Review items (open ones unless asked otherwise), oldest first."""
    query = select(review_items)
    if status is not None:
        query = query.where(review_items.c.status == status)
    rows = conn.execute(query.order_by(review_items.c.pk).limit(limit))
    return [ReviewItemRow(**row._mapping) for row in rows]


def review_get(conn: Connection, pk: int, *, lock: bool = False) -> ReviewItemRow:
    """One review item; NotFound names it."""
    query = select(review_items).where(review_items.c.pk == pk)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"no review item {pk}", field="item")
    return ReviewItemRow(**row._mapping)


def review_decide(
    conn: Connection,
    pk: int,
    *,
    status: str,
    by: str,
    at: datetime,
    reason: str,
    subject_pk: int | None,
) -> None:
    """Record a person's decision on an open item; deciding twice is a Conflict."""
    done = conn.execute(
        update(review_items)
        .where(review_items.c.pk == pk, review_items.c.status == "open")
        .values(status=status, decided_by=by, decided_at=at, reason=reason, decided_subject_pk=subject_pk)
    )
    if done.rowcount != 1:
        raise Conflict(f"review item {pk} was already decided", field="item")


def review_counts(conn: Connection) -> dict[str, int]:
    """How many review items are in each status."""
    query = select(review_items.c.status, func.count()).group_by(review_items.c.status)
    return {str(status): int(n) for status, n in conn.execute(query)}


# -- audit -----------------------------------------------------------------------------------------


def model_links(conn: Connection) -> list[ModelLink]:
    """Current record versions linked by the model, with their probabilities."""
    r = records.c
    query = (
        select(r.pk, r.agency, r.record_id, r.subject_pk, r.link_probability)
        .where(and_(r.link == "model", r.superseded_at.is_(None)))
        .order_by(r.pk)
    )
    return [ModelLink(*row) for row in _stream(conn, query)]


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where a current record version stands: its link and the subject it went to, for audits against truth."""

    pk: int
    agency: str
    record_id: str
    kind: str
    name: str
    id_raw: str | None
    link: str
    probability: float | None
    subject_pk: int | None
    subject_id_value: str | None


def assignments(conn: Connection) -> list[Assignment]:
    """Every current record version with its link and its subject's identifier."""
    r, s = records.c, subjects.c
    query = (
        select(
            r.pk,
            r.agency,
            r.record_id,
            r.subject_kind,
            r.subject_name,
            r.subject_id_raw,
            r.link,
            r.link_probability,
            r.subject_pk,
            s.id_value,
        )
        .select_from(records.outerjoin(subjects, r.subject_pk == s.pk))
        .where(r.superseded_at.is_(None))
        .order_by(r.pk)
    )
    return [Assignment(*row) for row in _stream(conn, query)]


def link_totals(conn: Connection) -> dict[str, int]:
    """How many current record versions have each kind of link."""
    query = select(records.c.link, func.count()).where(records.c.superseded_at.is_(None)).group_by(records.c.link)
    return {str(link): int(n) for link, n in conn.execute(query)}


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}
