"""Ingestion batches: which agency sent which files when, and what became of their rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from xinyong.errors import Conflict, NotFound
from xinyong.store.schema import batches


@dataclass(frozen=True, slots=True)
class BatchCounts:
    """What happened to a batch's rows (the numbers `xinyong ingest` prints)."""

    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    superseded: int = 0


@dataclass(frozen=True, kw_only=True, slots=True)
class BatchRow:
    """A stored batch; counts are zero while it runs."""

    pk: int
    agency: str
    files: list[str]
    format: str
    file_sha256: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    rows: int
    accepted: int
    rejected: int
    unchanged: int
    superseded: int
    quarantine_path: str | None

    @property
    def counts(self) -> BatchCounts:
        return BatchCounts(self.rows, self.accepted, self.rejected, self.unchanged, self.superseded)


def start(
    conn: Connection, *, agency: str, files: Sequence[str], format: str, file_sha256: str, at: datetime
) -> BatchRow:
    """Open a batch in status `running`."""
    values: dict[str, Any] = {
        "agency": agency,
        "files": list(files),
        "format": format,
        "file_sha256": file_sha256,
        "started_at": at,
        "finished_at": None,
        "status": "running",
        "quarantine_path": None,
        "rows": 0,
        "accepted": 0,
        "rejected": 0,
        "unchanged": 0,
        "superseded": 0,
    }
    pk = conn.execute(batches.insert().values(**values).returning(batches.c.pk)).scalar_one()
    return BatchRow(pk=pk, **values)


def finish(
    conn: Connection,
    pk: int,
    counts: BatchCounts,
    *,
    at: datetime,
    status: str = "done",
    quarantine_path: str | None = None,
) -> BatchRow:
    """Close a running batch as `done` (or `failed`) with its counts."""
    if status not in ("done", "failed"):
        raise ValueError(f"a batch finishes as done or failed, not {status!r}")
    result = conn.execute(
        update(batches)
        .where(batches.c.pk == pk, batches.c.status == "running")
        .values(
            finished_at=at,
            status=status,
            quarantine_path=quarantine_path,
            rows=counts.rows,
            accepted=counts.accepted,
            rejected=counts.rejected,
            unchanged=counts.unchanged,
            superseded=counts.superseded,
        )
    )
    if result.rowcount != 1:
        existing = get(conn, pk)
        if existing is None:
            raise NotFound(f"batch {pk} does not exist", field="batch")
        raise Conflict(f"batch {pk} is already {existing.status}", field="batch")
    finished = get(conn, pk)
    assert finished is not None  # updated just above, in this transaction
    return finished


def get(conn: Connection, pk: int) -> BatchRow | None:
    """A batch by pk."""
    row = conn.execute(select(batches).where(batches.c.pk == pk)).first()
    return _row(row) if row is not None else None


def recent(conn: Connection, *, agency: str | None = None, limit: int = 50) -> list[BatchRow]:
    """The latest batches, newest first (the operator's batch page)."""
    query = select(batches)
    if agency is not None:
        query = query.where(batches.c.agency == agency)
    return [_row(row) for row in conn.execute(query.order_by(batches.c.pk.desc()).limit(limit))]


def with_content(conn: Connection, agency: str, file_sha256: str) -> list[BatchRow]:
    """Earlier batches of the same agency with the same file content, oldest first."""
    query = select(batches).where(batches.c.agency == agency, batches.c.file_sha256 == file_sha256)
    return [_row(row) for row in conn.execute(query.order_by(batches.c.pk))]


def _row(row: Row[Any]) -> BatchRow:
    return BatchRow(**row._mapping)


def record_progress(conn: Connection, pk: int, counts: BatchCounts, *, quarantine_path: str | None = None) -> None:
    """Store a running batch's counts so far (and where its rejected rows go) in the unit of work that stored
    those rows, so a batch cut short still says how far it got."""
    values: dict[str, Any] = {
        "rows": counts.rows,
        "accepted": counts.accepted,
        "rejected": counts.rejected,
        "unchanged": counts.unchanged,
        "superseded": counts.superseded,
    }
    if quarantine_path is not None:
        values["quarantine_path"] = quarantine_path
    result = conn.execute(update(batches).where(batches.c.pk == pk, batches.c.status == "running").values(**values))
    if result.rowcount != 1:
        existing = get(conn, pk)
        if existing is None:
            raise NotFound(f"batch {pk} does not exist", field="batch")
        raise Conflict(f"batch {pk} is already {existing.status}", field="batch")
