"""The store: the only place that speaks SQL. One schema on SQLite (embedded, WAL) and PostgreSQL.

`Store(url)` holds the engine; `init()` migrates, `connect()` reads and `unit_of_work()` writes in one
transaction. The repository modules (`subjects`, `roles`, `records`, `bulk_records`, `batches`,
`audit_rows`, `meta`) are plain functions that take the connection.
"""

from __future__ import annotations

from sqlalchemy import Connection

from xinyong.store.batches import BatchCounts, BatchRow
from xinyong.store.engine import make_engine
from xinyong.store.records import LinkUpdate, RecordData, RecordRow
from xinyong.store.roles import RoleRow
from xinyong.store.subjects import NewSubject, SubjectRow
from xinyong.store.unit_of_work import Store

__all__ = [
    "BatchCounts",
    "BatchRow",
    "Connection",
    "LinkUpdate",
    "NewSubject",
    "RecordData",
    "RecordRow",
    "RoleRow",
    "Store",
    "SubjectRow",
    "make_engine",
]
