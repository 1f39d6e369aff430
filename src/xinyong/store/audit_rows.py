"""The audit log's rows: appended in sequence, never changed; the hashing is `xinyong.audit`'s, not ours.

Appending is read-the-tail-then-insert, so writers must not interleave: `tail(lock=True)` serialises them
(an advisory lock on PostgreSQL; on SQLite the unit of work already holds the write lock), and `append`
refuses rows that do not continue the log without a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, select, text

from xinyong.audit.entries import GENESIS, AuditEntry, AuditRow, seal
from xinyong.errors import Conflict
from xinyong.store.schema import audit_log

# Any constant works; it only has to be the same in every process appending to this database.
_APPEND_LOCK = 0x6175646974  # "audit"


def tail(conn: Connection, *, lock: bool = False) -> AuditRow | None:
    """The last row, None for an empty log; with `lock`, no one else appends until this transaction ends."""
    if lock and conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK})
    row = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()
    return _row(row) if row is not None else None


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
    conn.execute(audit_log.insert(), [_params(row) for row in batch])
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


def record(conn: Connection, events: Iterable[Event]) -> list[AuditRow]:
    """Seal events after the current tail and append them in the caller's transaction (locks the tail)."""
    batch = list(events)
    if not batch:
        return []
    last = tail(conn, lock=True)
    first = (last.seq if last is not None else 0) + 1
    prev = bytes.fromhex(last.chain_hash) if last is not None else GENESIS
    entries = [
        AuditEntry(first + i, e.at, e.actor, e.role, e.action, e.object, e.purpose, e.result, e.detail)
        for i, e in enumerate(batch)
    ]
    rows = list(seal(entries, prev))
    conn.execute(audit_log.insert(), [_params(row) for row in rows])
    return rows


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


def for_object(conn: Connection, object_: str, *, limit: int = 100) -> list[AuditRow]:
    """The latest rows about one object, newest first: who looked at a subject's file, when and why."""
    query = select(audit_log).where(audit_log.c.object == object_).order_by(audit_log.c.seq.desc()).limit(limit)
    return [_row(row) for row in conn.execute(query)]


def size(conn: Connection) -> int:
    """How many rows the log holds (its seqs run 1..size)."""
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
