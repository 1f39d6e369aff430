"""Loading many record versions at once for ingestion: COPY on PostgreSQL, one prepared executemany on SQLite.

Call these inside a unit of work. Keys are allocated before the rows are written (`keys.allocate`), so the
caller gets every pk back without a RETURNING round trip.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Table, select, text, update

from xinyong.errors import Conflict
from xinyong.store import keys
from xinyong.store.records import DATA_COLUMNS, RecordData
from xinyong.store.schema import null_unindexed, records

#: Keys per IN (...) list: far below SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 500

#: Every column of `records`, in the order the bulk paths write them.
_ROW_COLUMNS = ("pk", *DATA_COLUMNS, "recorded_at", "superseded_at")
_EXTRA_AT = _ROW_COLUMNS.index("extra")
_data_values = attrgetter(*DATA_COLUMNS)


@dataclass(frozen=True, slots=True)
class CurrentVersion:
    """What ingestion needs to know of a record's current version: which row, which version, what content."""

    pk: int
    version: int
    row_hash: str


def current_versions(conn: Connection, agency: str, record_ids: Iterable[str]) -> dict[str, CurrentVersion]:
    """The current version of each of an agency's records that exists, keyed by record_id."""
    found: dict[str, CurrentVersion] = {}
    wanted = sorted(set(record_ids))
    for start in range(0, len(wanted), CHUNK):
        query = select(records.c.record_id, records.c.pk, records.c.version, records.c.row_hash).where(
            records.c.agency == agency,
            records.c.record_id.in_(wanted[start : start + CHUNK]),
            records.c.superseded_at.is_(None),
        )
        for record_id, pk, version, row_hash in conn.execute(query):
            found[record_id] = CurrentVersion(pk, version, row_hash)
    return found


def supersede_many(conn: Connection, pks: Sequence[int], *, at: datetime) -> int:
    """End the system time of these current versions at `at`; call before inserting their successors.

    On PostgreSQL the versions are updated at their tuple ids, read first with `rows_for_keys`: a plan that
    needs no statistics. With the statistics of a table analysed
    while small (or never), `pk IN (...) AND superseded_at IS NULL` was planned as a scan of every current
    version through the partial index of current versions, once per statement: 0.45 s for 500 versions of
    a million, a third of a load's time at 10⁶ subjects and growing with the table.
    """
    if conn.dialect.name == "postgresql":
        ended = _supersede_by_tid(conn, pks, at)
    else:
        ended = 0
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            where = records.c.pk.in_(chunk), records.c.superseded_at.is_(None)
            ended += conn.execute(update(records).where(*where).values(superseded_at=at)).rowcount
    if ended != len(set(pks)):
        raise Conflict(
            f"{len(set(pks)) - ended} of {len(set(pks))} record versions were already superseded", field="pk"
        )
    return ended


#: PostgreSQL's statement ending the versions of one partition found at their tuple ids (`supersede_many`);
#: the instants bound `recorded_at` so that the other partitions are pruned. "Still current" is written so
#: that it does not match the partial index of current versions (`schema.null_unindexed`): with stale
#: statistics the planner would read every current version through that index instead of the tuple ids.
_STILL_CURRENT = str(null_unindexed(records.c.superseded_at))  # no parameters: plain SQL
SUPERSEDE_BY_TID = (
    f"UPDATE {records.name} SET superseded_at = %s WHERE ctid = ANY(CAST(%s AS tid[])) AND tableoid = %s"
    f" AND recorded_at BETWEEN %s AND %s AND {_STILL_CURRENT}"
)


def _supersede_by_tid(conn: Connection, pks: Sequence[int], at: datetime) -> int:
    # Each version's place read by its pk (an index probe per key, `rows_for_keys`), then the versions of
    # each partition updated at their tuple ids in one statement: a tuple id is the one condition every
    # plan serves the same way, with statistics or without, and one statement fires the triggers that keep
    # `record_keys` once. A version changed since it was read has moved, is not found, and the count says so.
    columns = ("tableoid::oid", "ctid::text", "recorded_at", "superseded_at IS NULL")
    by_partition: dict[int, list[tuple[str, datetime]]] = {}
    for table, tid, recorded_at, current in rows_for_keys(conn, records.name, columns, "pk", set(pks)):
        if current:
            by_partition.setdefault(table, []).append((tid, recorded_at))
    ended = 0
    for table, places in by_partition.items():
        instants = [recorded_at for _, recorded_at in places]
        given = (at, [tid for tid, _ in places], table, min(instants), max(instants))
        ended += conn.exec_driver_sql(SUPERSEDE_BY_TID, given).rowcount
    return ended


def bulk_insert(conn: Connection, rows: Sequence[RecordData], *, recorded_at: datetime) -> list[int]:
    """Store many versions recorded at one instant and return their pks in the order given."""
    return insert_rows(conn, [_data_values(data) for data in rows], recorded_at=recorded_at)


def insert_rows(conn: Connection, rows: Sequence[Sequence[Any]], *, recorded_at: datetime) -> list[int]:
    """`bulk_insert` for callers that hold each version as a tuple of its `DATA_COLUMNS` values (`extra` a
    mapping): ingestion builds millions of them, and a tuple is made in a fraction of a RecordData's time."""
    if not rows:
        return []
    if recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
        raise ValueError("recorded_at must be timezone-aware")
    pks = keys.allocate(conn, records, len(rows))
    columns: list[list[Any]] = [pks, *(list(column) for column in zip(*rows, strict=True))]
    columns[_EXTRA_AT] = [_json(extra) for extra in columns[_EXTRA_AT]]
    columns += [[recorded_at] * len(rows), [None] * len(rows)]
    load_columns(conn, records, _ROW_COLUMNS, columns, skip=("extra",))
    return pks


def load_columns(
    conn: Connection, table: Table, names: Sequence[str], columns: list[list[Any]], *, skip: Sequence[str] = ()
) -> None:
    """Insert rows, given column by column (`names`, in place), into `table` on the bare driver: COPY on
    PostgreSQL; on SQLite one prepared statement run for every row, each value first turned into what SQLite
    stores by its column type's bind processor, exactly as a Core insert would (columns in `skip` are given
    as stored already). Errors come as SQLAlchemy's on SQLite and as the driver's on PostgreSQL."""
    if not columns or not columns[0]:
        return
    listed = ", ".join(names)
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        if driver is None:
            raise RuntimeError("the PostgreSQL connection has no driver connection")
        # COPY's text format; the driver writes dates, instants and decimals in their text forms.
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({listed}) FROM STDIN") as copy:
            write = copy.write_row
            for row in zip(*columns, strict=True):
                write(row)
        return
    dialect = conn.dialect
    for index, name in enumerate(names):
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is None or name in skip:
            continue
        # Each distinct value converted once: a chunk's dates are a few hundred days, its instant one.
        done: dict[Any, Any] = {value: processor(value) for value in set(columns[index]) if value is not None}
        done[None] = None
        columns[index] = list(map(done.__getitem__, columns[index]))
    placeholders = ", ".join("?" for _ in names)
    rows = list(zip(*columns, strict=True))
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({listed}) VALUES ({placeholders})", rows)


def _json(value: Mapping[str, Any]) -> str:
    # The engine's JSON serializer (`store.engine`), with the empty mapping most rows carry written once.
    return json.dumps(dict(value), ensure_ascii=False) if value else "{}"


@dataclass(frozen=True, slots=True)
class CurrentState:
    """A record's current version as ingestion weighs a re-send: its content hash and how it was linked."""

    pk: int
    version: int
    row_hash: str
    subject_kind: str
    subject_name: str
    subject_id_raw: str | None
    subject_pk: int | None
    link: str
    link_probability: float | None
    link_run: str | None


@dataclass(frozen=True, slots=True)
class KnownRecord:
    """Everything stored of one agency record: its current version (if any), its highest version number and
    the content hash of every version it has had."""

    current: CurrentState | None
    last_version: int
    hashes: frozenset[str]


def known_records(conn: Connection, agency: str, record_ids: Iterable[str]) -> dict[str, KnownRecord]:
    """Each of an agency's records that is stored, keyed by record_id, read in one query per CHUNK keys (one
    query in all on PostgreSQL)."""
    columns = (
        "record_id",
        "superseded_at IS NULL",
        "pk",
        "version",
        "row_hash",
        "subject_kind",
        "subject_name",
        "subject_id_raw",
        "subject_pk",
        "link",
        "link_probability",
        "link_run",
    )
    current: dict[str, CurrentState] = {}
    last: dict[str, int] = {}
    hashes: dict[str, set[str]] = {}
    for record_id, is_current, *state in rows_for_keys(
        conn, records.name, columns, "record_id", set(record_ids), agency=agency
    ):
        version, row_hash = state[1], state[2]
        hashes.setdefault(record_id, set()).add(row_hash)
        last[record_id] = max(last.get(record_id, 0), version)
        if is_current:
            current[record_id] = CurrentState(*state)
    return {
        record_id: KnownRecord(current.get(record_id), last[record_id], frozenset(seen))
        for record_id, seen in hashes.items()
    }


def rows_for_keys(
    conn: Connection, table: str, columns: Sequence[str], key: str, keys: Collection[Any], **equal: Any
) -> list[tuple[Any, ...]]:
    """`columns` of the rows of `table` whose `key` is one of `keys` (and each column named in `equal` equals
    its value), read on the bare driver: IN lists of CHUNK keys on SQLite; on PostgreSQL one statement that
    probes the index once per key.

    The PostgreSQL form does not depend on the planner's statistics: a table being loaded has none worth the
    name (it was analysed empty, or not at all), and `key = ANY(...)` over it is then planned as a scan of
    every row for the agency, chunk after chunk. A lateral subquery behind `OFFSET 0` cannot be turned into a
    hash join, so each key is one index look-up however big the table has grown.
    """
    wanted = list(keys)
    if not wanted:
        return []
    given = tuple(equal.values())
    if conn.dialect.name == "postgresql":
        conditions = "".join(f"{name} = %s AND " for name in equal)
        statement = (
            f"SELECT found.* FROM unnest(CAST(%s AS {'bigint' if isinstance(wanted[0], int) else 'text'}[]))"
            " AS wanted(key) CROSS JOIN LATERAL "
            f"(SELECT {', '.join(columns)} FROM {table} WHERE {conditions}{key} = wanted.key OFFSET 0) AS found"
        )
        return [tuple(row) for row in conn.exec_driver_sql(statement, (wanted, *given))]
    head = f"SELECT {', '.join(columns)} FROM {table} WHERE " + "".join(f"{name} = ? AND " for name in equal)
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        statement = f"{head}{key} IN ({', '.join('?' * len(part))})"
        found.extend(tuple(row) for row in conn.exec_driver_sql(statement, (*given, *part)))
    return found


#: The tables a load grows whose look-ups (roles' timelines, `store.roles`) are planned by statistics; records
#: and subjects are looked up with `rows_for_keys`, which needs none.
_LOADED_TABLES = ("subject_roles",)
#: SQLite's page cache for a loading connection, in KiB (SQLite's default is 2 MiB). A load inserts into
#: indexes keyed by identifiers, pks and hashes in no particular order; with the default cache almost every
#: such insert reads and rewrites a page it had a moment ago.
SQLITE_LOAD_CACHE_KIB = 65536


def refresh_statistics(conn: Connection) -> None:
    """Have PostgreSQL re-sample the tables a load is growing whose look-ups depend on statistics; a no-op on
    SQLite, which plans by its indexes.

    A table loaded from empty has no statistics until autovacuum gets round to it, and without them the
    planner may scan a whole table for each chunk's look-up (each chunk then costs more than the last).
    Ingestion calls this a few times per batch, after 1, 2, 4, 8... chunks.
    """
    if conn.dialect.name == "postgresql":
        for table in _LOADED_TABLES:
            conn.execute(text(f"ANALYZE {table}"))


# Any constant works; it only has to be the same in every process loading into this database.
_LOAD_LOCK = 0x696E67657374  # "ingest"


def lock_for_load(conn: Connection) -> None:
    """Make this transaction the only one loading records and subjects until it ends, and set it up for a load.

    On PostgreSQL a transaction-scoped advisory lock: two batches loading at once would otherwise both find
    a record (or a subject) new and both insert it, and one would fail on the unique index. JIT compilation is
    off for the transaction: the look-ups of a chunk cost more than its threshold yet take milliseconds, less
    than compiling them. SQLite needs no lock (a unit of work holds the database's write lock from its start);
    its connection gets a page cache of SQLITE_LOAD_CACHE_KIB.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOAD_LOCK})
        conn.execute(text("SET LOCAL jit = off"))
    else:
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_LOAD_CACHE_KIB}")
