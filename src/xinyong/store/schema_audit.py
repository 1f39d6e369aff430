"""The audit log's access index (on the shared metadata): which entries concern a subject beyond the one
object each entry names, so a subject's access log finds a batch check that included it.

A batch check is one audit entry whose hashed detail lists every subject it found on file, each with its
own result; the index holds one row per such subject. It is derived from the log, and `xinyong audit
verify` checks it against the log, so a row removed to hide a look from its subject is noticed.
"""

from __future__ import annotations

from sqlalchemy import Column, PrimaryKeyConstraint, String, Table

from xinyong.store.schema import PrimaryKey, UTCDateTime, metadata

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

# What stays of the audit entries of an archived month (`store.partitions.detach` on PostgreSQL): each
# entry's leaf and chain hashes, so the chain, the Merkle roots of signed checkpoints and their proofs are
# still computed over the whole log, and the archived entries (dumped with their partition) can be checked
# against them. Empty on SQLite, whose log is one table that is never cut.
audit_leaves = Table(
    "audit_leaves",
    metadata,
    Column("seq", PrimaryKey, primary_key=True, autoincrement=False),
    Column("leaf_hash", String(64), nullable=False),
    Column("chain_hash", String(64), nullable=False),
)

# One row per archived audit partition: which entries it held, when it was detached.
audit_archives = Table(
    "audit_archives",
    metadata,
    Column("partition", String(63), primary_key=True),
    Column("first_seq", PrimaryKey),
    Column("last_seq", PrimaryKey),
    Column("entries", PrimaryKey, nullable=False),
    Column("archived_at", UTCDateTime, nullable=False),
)
