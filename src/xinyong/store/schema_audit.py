"""The audit log's access index (on the shared metadata): which entries concern a subject beyond the one
object each entry names, so a subject's access log finds a batch check that included it.

A batch check is one audit entry whose hashed detail lists every subject it found on file, each with its
own result; the index holds one row per such subject. It is derived from the log, and `xinyong audit
verify` checks it against the log, so a row removed to hide a look from its subject is noticed.
"""

from __future__ import annotations

from sqlalchemy import Column, PrimaryKeyConstraint, String, Table

from xinyong.store.schema import PrimaryKey, metadata

audit_access = Table(
    "audit_access",
    metadata,
    Column("object", String(256), nullable=False),
    Column("seq", PrimaryKey, nullable=False),
    Column("action", String(64), nullable=False),
    Column("result", String(64), nullable=False),
    # The key is the access log's query (an object's entries, newest first); on SQLite the rows live in it.
    PrimaryKeyConstraint("object", "seq"),
    sqlite_with_rowid=False,
)
