"""The audit log's rows: appended in sequence, never changed; the hashing is `xinyong.audit`'s, not ours.

Appending is read-the-tail-then-insert, so writers must not interleave: `tail(lock=True)` serialises them
(an advisory lock on PostgreSQL; on SQLite the unit of work already holds the write lock), and `append`
refuses rows that do not continue the log without a gap.

An entry may concern many subjects at once (a batch check: one entry per request, not per subject found).
It lists them in its hashed detail under `concerns`, and each gets a row in the access index
(`audit_access`), written in the same transaction, so `accesses` finds the entry in every one's access log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Row, Select, column, func, literal_column, select, table, text, true

from xinyong.audit.entries import GENESIS, ArchivedLeaf, AuditEntry, AuditRow, seal
from xinyong.errors import Conflict, InvalidInput
from xinyong.store.schema import audit_log
from xinyong.store.schema_audit import audit_access, audit_leaves

# Any constant works; it only has to be the same in every process appending to this database.
_APPEND_LOCK = 0x6175646974  # "audit"

#: The detail key under which an entry lists the further subjects it concerns (see `Concerns`).
CONCERNS_KEY = "concerns"

#: An access index row: (object, seq, action, result).
IndexRow = tuple[str, int, str, str]
#: Its columns; on PostgreSQL the table also has `at`, its entry's instant, by which it is partitioned.
ACCESS_COLUMNS = ("object", "seq", "action", "result")

#: SQLite page cache (KiB) of a connection that has written access index rows.
SQLITE_CACHE_KIB = 65_536
_SQLITE_CACHE = "xinyong_audit_cache"


@dataclass(frozen=True, slots=True)
class Concerns:
    """The subjects one entry is about besides its own object, each with its own result: a batch check's
    subjects on file. Each finds the entry in its access log as `action` (e.g. `check`) with its result."""

    action: str
    objects: Sequence[str]
    results: Sequence[str]

    def __post_init__(self) -> None:
        if len(self.objects) != len(self.results):
            raise InvalidInput(f"{len(self.objects)} objects but {len(self.results)} results", field="concerns")

    def as_detail(self) -> dict[str, Any]:
        return {"action": self.action, "objects": self.objects, "results": self.results}


def tail(conn: Connection, *, lock: bool = False) -> AuditRow | None:
    """The last row, None for an empty log; with `lock`, no one else appends until this transaction ends."""
    if lock:
        _lock(conn)
    row = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()
    return _row(row) if row is not None else None


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})


def _head(conn: Connection) -> tuple[int, bytes]:
    """The last seq and chain hash (0 and GENESIS for an empty log), under the append lock; reads no detail."""
    _lock(conn)
    found = conn.execute(
        select(audit_log.c.seq, audit_log.c.chain_hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    return (int(found.seq), bytes.fromhex(found.chain_hash)) if found is not None else (0, GENESIS)


def append(conn: Connection, rows: Iterable[AuditRow]) -> int:
    """Write sealed rows after the tail; their seqs must run on from it without a gap."""
    batch = list(rows)
    if not batch:
        return 0
    last = tail(conn, lock=True)
    expected = (last.seq if last is not None else 0) + 1
    for offset, row in enumerate(batch):
        if row.seq != expected + offset:
            raise Conflict(
                f"audit row has seq {row.seq} where {expected + offset} comes next; reseal after the tail",
                field="seq",
            )
    _insert(conn, batch)
    return len(batch)


@dataclass(frozen=True)
class Event:
    """An entry to write: who, in which role, did what to which object, why, and how it went."""

    at: datetime
    actor: str
    role: str
    action: str
    object: str
    result: str = "ok"
    purpose: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    #: Further subjects this one entry is about, hashed with it (detail `concerns`) and indexed.
    concerns: Concerns | None = None


def record(conn: Connection, events: Iterable[Event]) -> list[AuditRow]:
    """Seal events after the current tail and append them in the caller's transaction (locks the tail)."""
    batch = list(events)
    if not batch:
        return []
    last, prev = _head(conn)
    entries = [
        AuditEntry(
            last + 1 + i,
            e.at,
            e.actor,
            e.role,
            e.action,
            e.object,
            e.purpose,
            e.result,
            e.detail if e.concerns is None else {**e.detail, CONCERNS_KEY: e.concerns.as_detail()},
        )
        for i, e in enumerate(batch)
    ]
    rows = list(seal(entries, prev))
    _insert(conn, rows)
    return rows


def _insert(conn: Connection, rows: Sequence[AuditRow]) -> None:
    _insert_log(conn, rows)
    timed = conn.dialect.name == "postgresql"
    index: list[tuple[Any, ...]] = []
    for row in rows:
        items = index_rows(row)
        if timed and items:
            # PostgreSQL partitions the index by month like the log (migration 0014): each row carries its
            # entry's instant, so that it lands in its entry's month and is archived with it. In ISO form
            # (`at` is aware, or the log's insert refused it), made once per entry: COPY takes the text as it
            # is, where dumping a datetime costs some 5 µs a row.
            at = row.at.isoformat()
            index.extend([(*item, at) for item in items])
        else:
            index.extend(items)
    if not index:
        return
    columns = ACCESS_COLUMNS + (("at",) if timed else ())
    # In key order, a flush's rows about one subject land on one page of the index, written once. The rows
    # come in seq order, so a stable sort on the object alone gives (object, seq) order, without comparing
    # tuples (three times as slow on a batch check's hundreds of thousands of rows).
    index.sort(key=itemgetter(0))
    if conn.dialect.driver == "psycopg":
        # COPY is PostgreSQL's bulk path: a batch check's subjects cost a few microseconds each, not a statement.
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY audit_access ({', '.join(columns)}) FROM STDIN") as copy:
            for item in index:
                copy.write_row(item)
    elif conn.dialect.name == "sqlite":
        pooled = conn.connection
        if not pooled.info.get(_SQLITE_CACHE):
            # The index's rows land all over its key space; SQLite's default 2 MB page cache would read and
            # write the same pages again and again within one flush.
            conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            pooled.info[_SQLITE_CACHE] = True
        statement = f"INSERT INTO audit_access ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.exec_driver_sql(statement, index)
    else:
        # The table as written here: on PostgreSQL it has a column the shared metadata (SQLite's) does not.
        written = table(audit_access.name, *(column(name) for name in columns))
        conn.execute(written.insert(), [dict(zip(columns, item, strict=True)) for item in index])


_LOG_COLUMNS = (
    "seq",
    "at",
    "actor",
    "role",
    "action",
    "object",
    "purpose",
    "result",
    "detail",
    "leaf_hash",
    "chain_hash",
)


def _insert_log(conn: Connection, rows: Sequence[AuditRow]) -> None:
    """The rows in one executemany of the driver's own statement: the columns' types convert `at` and `detail`
    as a Core insert would, without its per-row bookkeeping (a screening flush writes thousands of rows)."""
    dialect = conn.dialect
    if dialect.paramstyle != "qmark":
        conn.execute(audit_log.insert(), [_params(row) for row in rows])
        return
    to_at = audit_log.c.at.type.bind_processor(dialect) or _same
    to_json = audit_log.c.detail.type.bind_processor(dialect) or _same
    statement = f"INSERT INTO audit_log ({', '.join(_LOG_COLUMNS)}) VALUES ({', '.join('?' * len(_LOG_COLUMNS))})"
    conn.exec_driver_sql(
        statement,
        [
            (
                r.seq,
                to_at(r.at),
                r.actor,
                r.role,
                r.action,
                r.object,
                r.purpose,
                r.result,
                to_json(dict(r.detail)),
                r.leaf_hash,
                r.chain_hash,
            )
            for r in rows
        ],
    )


def _same(value: Any) -> Any:
    return value


def index_rows(row: AuditRow | AuditEntry) -> list[IndexRow]:
    """The access index rows an entry calls for: one per distinct subject its detail's `concerns` lists."""
    concerns = row.detail.get(CONCERNS_KEY)
    if not isinstance(concerns, Mapping):
        return []
    action, seq = concerns.get("action"), row.seq
    objects, results = concerns.get("objects"), concerns.get("results")
    if not isinstance(action, str) or not isinstance(objects, list | tuple) or not isinstance(results, list | tuple):
        return []
    # A subject listed twice in one request is one look at it (the key is (object, seq)).
    return [(obj, seq, action, result) for obj, result in dict(zip(objects, results, strict=False)).items()]


@dataclass(frozen=True, slots=True)
class Access:
    """One look at an object as its access log shows it: an entry about the object itself, or the object's
    own share (action and result) of an entry about many."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    object: str
    purpose: str | None
    result: str
    detail: Mapping[str, Any]


def accesses(conn: Connection, objects: Collection[str], actions: Collection[str], *, limit: int = 200) -> list[Access]:
    """The newest looks at these objects with these actions, newest first, direct entries and indexed ones."""
    if not objects or not actions:
        return []
    names, kinds = sorted(objects), sorted(actions)
    log = audit_log.c
    direct = (
        select(log.seq, log.at, log.actor, log.role, log.action, log.object, log.purpose, log.result, log.detail)
        .where(log.object.in_(names), log.action.in_(kinds))
        .order_by(log.seq.desc())
        .limit(limit)
    )
    found = {(row.seq, row.object): Access(*row) for row in conn.execute(direct)}
    shared = _shared_accesses(names, kinds, limit, postgres=conn.dialect.name == "postgresql")
    for row in conn.execute(shared):
        if (row.seq, row.object) not in found:
            detail = {"action": row.checked} if row.checked is not None else {}
            found[(row.seq, row.object)] = Access(
                row.seq, row.at, row.actor, row.role, row.action, row.object, row.purpose, row.result, detail
            )
    return [found[key] for key in sorted(found, reverse=True)[:limit]]


def _shared_accesses(names: Sequence[str], kinds: Sequence[str], limit: int, *, postgres: bool) -> Select[Any]:
    """The newest access index rows of these objects and actions, each with its log entry.

    On PostgreSQL the `limit` newest index rows are taken first and each fetches its entry by (seq, at)
    through a lateral subquery behind `OFFSET 0`: one probe of one month's partition per row, whatever the
    statistics. A plain join on seq was planned as a merge (no statistics) or a hash join (tiny ones) over
    every partition of the log: a read of the whole log for one subject's page.
    """
    log, idx = audit_log.c, audit_access.c
    checked = log.detail["action"].as_string().label("checked")
    if not postgres:
        return (
            select(log.seq, log.at, log.actor, log.role, idx.action, idx.object, log.purpose, idx.result, checked)
            .select_from(audit_access.join(audit_log, log.seq == idx.seq))
            .where(idx.object.in_(names), idx.action.in_(kinds))
            .order_by(idx.seq.desc())
            .limit(limit)
        )
    # The entry's instant, by which both tables are partitioned (migration 0014; not in the shared metadata,
    # as SQLite's index has no such column).
    hit = (
        select(idx.seq, idx.object, idx.action, idx.result, literal_column(f"{audit_access.name}.at").label("at"))
        .where(idx.object.in_(names), idx.action.in_(kinds))
        .order_by(idx.seq.desc())
        .limit(limit)
        .subquery("hit")
    )
    entry = (
        select(log.at, log.actor, log.role, log.purpose, checked)
        .where(log.seq == hit.c.seq, log.at == hit.c.at)
        .offset(0)
        .lateral("entry")
    )
    e = entry.c
    return (
        select(hit.c.seq, e.at, e.actor, e.role, hit.c.action, hit.c.object, e.purpose, hit.c.result, e.checked)
        .select_from(hit)
        .join(entry, true())
        .order_by(hit.c.seq.desc())
    )


def index_digest(rows: Iterable[IndexRow]) -> tuple[int, int]:
    """How many index rows and an order-free digest of them, to compare the index with the log in one pass."""
    count = total = 0
    for obj, seq, action, result in rows:
        key = f"{seq}\x1f{obj}\x1f{action}\x1f{result}".encode()
        total = (total + int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")) % (1 << 64)
        count += 1
    return count, total


def iter_index(conn: Connection, first: int = 1, last: int | None = None) -> Iterator[IndexRow]:
    """The access index rows of entries first..last (all by default), in no particular order."""
    idx = audit_access.c
    query = select(idx.object, idx.seq, idx.action, idx.result).where(idx.seq >= first)
    if last is not None:
        query = query.where(idx.seq <= last)
    result = conn.execution_options(yield_per=5000).execute(query)
    for partition in result.partitions():
        for row in partition:
            yield (row.object, int(row.seq), row.action, row.result)


def read_range(conn: Connection, first: int = 1, last: int | None = None) -> list[AuditRow]:
    """Rows with first <= seq <= last (to the end when last is None), in order."""
    return list(iter_rows(conn, first, last))


def iter_rows(conn: Connection, first: int = 1, last: int | None = None, *, chunk: int = 5000) -> Iterator[AuditRow]:
    """Rows from `first` on, a chunk at a time, so verifying a long log never holds it all in memory."""
    start = first
    while True:
        query = select(audit_log).where(audit_log.c.seq >= start)
        if last is not None:
            query = query.where(audit_log.c.seq <= last)
        rows = [_row(row) for row in conn.execute(query.order_by(audit_log.c.seq).limit(chunk))]
        yield from rows
        if len(rows) < chunk:
            return
        start = rows[-1].seq + 1


def archived_through(conn: Connection) -> int:
    """The last seq whose entry was archived (its month detached on PostgreSQL); 0 when none was."""
    return int(conn.execute(select(func.coalesce(func.max(audit_leaves.c.seq), 0))).scalar_one())


def iter_log(
    conn: Connection, first: int = 1, last: int | None = None, *, chunk: int = 5000
) -> Iterator[AuditRow | ArchivedLeaf]:
    """The whole log from `first` on, in seq order: the hashes of archived entries (a prefix of the log),
    then the rows still held."""
    through = archived_through(conn)
    if first <= through:
        leaves = audit_leaves.c
        start, end = first, through if last is None else min(last, through)
        while start <= end:
            query = (
                select(leaves.seq, leaves.leaf_hash, leaves.chain_hash)
                .where(leaves.seq >= start, leaves.seq <= end)
                .order_by(leaves.seq)
                .limit(chunk)
            )
            found = [ArchivedLeaf(int(seq), leaf, chained) for seq, leaf, chained in conn.execute(query)]
            yield from found
            if len(found) < chunk:
                break
            start = found[-1].seq + 1
    if last is None or last > through:
        yield from iter_rows(conn, max(first, through + 1), last, chunk=chunk)


def leaves(conn: Connection, first: int = 1, last: int | None = None) -> Iterator[bytes]:
    """The Merkle leaf hashes of entries first..last, archived or not."""
    for row in iter_log(conn, first, last):
        yield bytes.fromhex(row.leaf_hash)


def for_object(conn: Connection, object_: str, *, limit: int = 100) -> list[AuditRow]:
    """The latest rows about one object, newest first: who looked at a subject's file, when and why."""
    query = select(audit_log).where(audit_log.c.object == object_).order_by(audit_log.c.seq.desc()).limit(limit)
    return [_row(row) for row in conn.execute(query)]


def size(conn: Connection) -> int:
    """How many entries the log has had (its seqs run 1..size); archived months keep the newest one live."""
    return int(conn.execute(select(func.coalesce(func.max(audit_log.c.seq), 0))).scalar_one())


def _params(row: AuditRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "role": row.role,
        "action": row.action,
        "object": row.object,
        "purpose": row.purpose,
        "result": row.result,
        "detail": dict(row.detail),
        "leaf_hash": row.leaf_hash,
        "chain_hash": row.chain_hash,
    }


def _row(row: Row[Any]) -> AuditRow:
    return AuditRow(**row._mapping)
