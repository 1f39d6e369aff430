"""PostgreSQL: the audit log's access index partitioned by month, in step with the log

Revision ID: 0014
Revises: 0013

Archiving an audit month (`store.partitions.detach`) deleted the month's rows from `audit_access`, found
through a BRIN index of seq (0011): at national size a long delete that leaves its rows as dead tuples.
Each row of the index now carries its log entry's instant, `at`, and the table is partitioned by month of
it like the log (0007): every partition of `audit_log` gets one of `audit_access` with the same bounds and
the same name after the table's (`audit_log_m202401`, `audit_access_m202401`; the default partitions
likewise), so a month's index rows are detached with the month's entries. The primary key becomes
(object, seq, at), as PostgreSQL wants the partition key in it; it still serves a subject's access log (an
object's entries, newest first). The BRIN index goes with the old table. Rows are copied, each with its
entry's `at`, inside the migration's one transaction. SQLite keeps its one table (its log is never cut).

An index row whose entry the log does not hold has no month; the upgrade refuses to run rather than drop it
(`xinyong audit verify` reports such a row).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, text

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out here rather than imported from partitions.py: a migration must not change with the code. The
# partitions' names and bounds are those of the log's partitions, which `partitions.ensure` made.
LOG, ACCESS = "audit_log", "audit_access"
NEW, OLD = f"{ACCESS}_partitioned", f"{ACCESS}_unpartitioned"
BRIN = "ix_audit_access_seq"


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    orphans = conn.execute(
        text(f"SELECT count(*) FROM {ACCESS} a WHERE NOT EXISTS (SELECT 1 FROM {LOG} l WHERE l.seq = a.seq)")
    ).scalar_one()
    if orphans:
        raise RuntimeError(
            f"rows of {ACCESS} naming entries the audit log does not hold: {orphans}. They have no month to be"
            " partitioned by; `xinyong audit verify` reports them. Explain and remove them before upgrading."
        )
    _run(
        conn,
        f"CREATE TABLE {NEW} (LIKE {ACCESS} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,"
        " at TIMESTAMP WITH TIME ZONE NOT NULL) PARTITION BY RANGE (at)",
    )
    # One partition per partition of the log, with its bounds as they are (months and the default one).
    found = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:log) ORDER BY c.relname"
        ),
        {"log": LOG},
    ).all()
    for name, bounds in found:
        twin = ACCESS + str(name).removeprefix(LOG)
        _run(conn, f'CREATE TABLE "{twin}" PARTITION OF {NEW} {bounds}')
    # The key is built after the copy: one sort instead of an insertion per row.
    _run(
        conn,
        f"INSERT INTO {NEW} (object, seq, action, result, at)"
        f" SELECT a.object, a.seq, a.action, a.result, l.at FROM {ACCESS} a JOIN {LOG} l ON l.seq = a.seq",
        f"DROP TABLE {ACCESS}",
        f"ALTER TABLE {NEW} RENAME TO {ACCESS}",
        f"ALTER TABLE {ACCESS} ADD CONSTRAINT pk_{ACCESS} PRIMARY KEY (object, seq, at)",
    )


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    # The partitions detached with archived months stay tables of their own, as they were left.
    _run(
        conn,
        f"""CREATE TABLE {OLD} (
            object VARCHAR(256) NOT NULL,
            seq BIGINT NOT NULL,
            action VARCHAR(64) NOT NULL,
            result VARCHAR(64) NOT NULL
        )""",
        f"INSERT INTO {OLD} SELECT object, seq, action, result FROM {ACCESS}",
        f"DROP TABLE {ACCESS}",
        f"ALTER TABLE {OLD} RENAME TO {ACCESS}",
        f"ALTER TABLE {ACCESS} ADD CONSTRAINT pk_{ACCESS} PRIMARY KEY (object, seq)",
        f"CREATE INDEX {BRIN} ON {ACCESS} USING brin (seq)",
    )


def _run(conn: Connection, *statements: str) -> None:
    for statement in statements:
        conn.execute(text(statement))
