"""Loading many record versions at once for ingestion: COPY on PostgreSQL, one prepared executemany on SQLite.

Call these inside a unit of work. Keys are allocated before the rows are written (`keys.allocate`), so the
caller gets every pk back without a RETURNING round trip.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, select, text, update

from xinyong.errors import Conflict
from xinyong.store import keys
from xinyong.store.records import DATA_COLUMNS, RecordData
from xinyong.store.schema import records

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
    """End the system time of these current versions at `at`; call before inserting their successors."""
    ended = 0
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        result = conn.execute(
            update(records).where(records.c.pk.in_(chunk), records.c.superseded_at.is_(None)).values(superseded_at=at)
        )
        ended += result.rowcount
    if ended != len(set(pks)):
        raise Conflict(
            f"{len(set(pks)) - ended} of {len(set(pks))} record versions were already superseded", field="pk"
        )
    return ended


def bulk_insert(conn: Connection, rows: Sequence[RecordData], *, recorded_at: datetime) -> list[int]:
    """Store many versions recorded at one instant and return their pks in the order given."""
    if not rows:
        return []
    if recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
        raise ValueError("recorded_at must be timezone-aware")
    pks = keys.allocate(conn, records, len(rows))
    if conn.dialect.name == "postgresql":
        _copy(conn, rows, pks, recorded_at.astimezone(UTC))
    else:
        _executemany(conn, rows, pks, recorded_at)
    return pks


def _copy(conn: Connection, rows: Sequence[RecordData], pks: Sequence[int], recorded_at: datetime) -> None:
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the PostgreSQL connection has no driver connection")
    statement = f"COPY records ({', '.join(_ROW_COLUMNS)}) FROM STDIN"
    extra_at = _ROW_COLUMNS.index("extra")
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for pk, data in zip(pks, rows, strict=True):
            values = list(_data_values(data))
            values[extra_at - 1] = _json(data.extra)
            copy.write_row((pk, *values, recorded_at, None))


def _executemany(conn: Connection, rows: Sequence[RecordData], pks: Sequence[int], recorded_at: datetime) -> None:
    # The column types' own bind processors turn values into what SQLite stores, exactly as a Core insert
    # would, without building a dict per row; one prepared statement then runs for every row.
    dialect = conn.dialect
    process = [
        (index, processor)
        for index, name in enumerate(_ROW_COLUMNS)
        if (processor := records.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        and name not in ("recorded_at", "superseded_at")
    ]
    stamp = records.c.recorded_at.type.dialect_impl(dialect).bind_processor(dialect)
    stored_at = stamp(recorded_at) if stamp is not None else recorded_at
    params = []
    for pk, data in zip(pks, rows, strict=True):
        values: list[Any] = [pk, *_data_values(data), stored_at, None]
        values[_EXTRA_AT] = dict(data.extra)
        for index, processor in process:
            if values[index] is not None:
                values[index] = processor(values[index])
        params.append(tuple(values))
    placeholders = ", ".join("?" for _ in _ROW_COLUMNS)
    conn.exec_driver_sql(f"INSERT INTO records ({', '.join(_ROW_COLUMNS)}) VALUES ({placeholders})", params)


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), ensure_ascii=False)


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
    """Each of an agency's records that is stored, keyed by record_id, read in one query per CHUNK keys."""
    columns = (
        records.c.record_id,
        records.c.superseded_at,
        records.c.pk,
        records.c.version,
        records.c.row_hash,
        records.c.subject_kind,
        records.c.subject_name,
        records.c.subject_id_raw,
        records.c.subject_pk,
        records.c.link,
        records.c.link_probability,
        records.c.link_run,
    )
    current: dict[str, CurrentState] = {}
    last: dict[str, int] = {}
    hashes: dict[str, set[str]] = {}
    wanted = sorted(set(record_ids))
    for start in range(0, len(wanted), CHUNK):
        query = select(*columns).where(
            records.c.agency == agency, records.c.record_id.in_(wanted[start : start + CHUNK])
        )
        for record_id, superseded_at, *state in conn.execute(query):
            version, row_hash = state[1], state[2]
            hashes.setdefault(record_id, set()).add(row_hash)
            last[record_id] = max(last.get(record_id, 0), version)
            if superseded_at is None:
                current[record_id] = CurrentState(*state)
    return {
        record_id: KnownRecord(current.get(record_id), last[record_id], frozenset(seen))
        for record_id, seen in hashes.items()
    }


#: The tables a load grows, whose statistics the planner needs to keep using their indexes.
_LOADED_TABLES = ("records", "subjects", "subject_roles")


def refresh_statistics(conn: Connection) -> None:
    """Have PostgreSQL re-sample the tables a load is growing; a no-op on SQLite, which plans by its indexes.

    A table loaded from empty has no statistics until autovacuum gets round to it, and without them the
    planner probes `records` by agency alone and filters every row of it for each chunk's look-up (each chunk
    then costs more than the last). Ingestion calls this a few times per batch, after 1, 2, 4, 8... chunks.
    """
    if conn.dialect.name == "postgresql":
        for table in _LOADED_TABLES:
            conn.execute(text(f"ANALYZE {table}"))


# Any constant works; it only has to be the same in every process loading into this database.
_LOAD_LOCK = 0x696E67657374  # "ingest"


def lock_for_load(conn: Connection) -> None:
    """Make this transaction the only one loading records and subjects until it ends.

    On PostgreSQL a transaction-scoped advisory lock: two batches loading at once would otherwise both find
    a record (or a subject) new and both insert it, and one would fail on the unique index. SQLite needs
    none: a unit of work holds the database's write lock from its start.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOAD_LOCK})
