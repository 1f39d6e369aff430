"""PostgreSQL: records and the audit log partitioned by time; the audit log indexed by (object, seq).

On PostgreSQL `records` becomes a table partitioned by year of `recorded_at` and `audit_log` one
partitioned by month of `at`, each with a default partition; rows are copied over, names swapped and
indexes rebuilt. A partitioned table's unique constraints must contain the partition key, so:
- `record_keys(pk, agency, record_id, version, current)`, unpartitioned and kept in step by triggers on
  `records`, holds the unique pk, the unique (agency, record_id, version) and the one current version per
  agency record, and the foreign keys that pointed at `records.pk` now point at it;
- `audit_log`'s primary key becomes (seq, at), and a statement trigger taking the appenders' advisory lock
  refuses inserts whose seqs repeat a stored one or leave a gap.
SQLite keeps its tables; on both databases the audit index on `object` becomes one on (object, seq).
The whole conversion runs in the migration's one transaction: on a large database, plan the downtime.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op
from sqlalchemy import Connection, text

# Partition names and bounds must be the ones `xinyong store partitions --ensure` makes later, so they come
# from the one module that defines them; everything else here is written out, as in every migration.
from xinyong.store import partitions

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: Must equal `xinyong.store.audit_rows._APPEND_LOCK` (a test checks): the trigger waits on the appenders' lock.
AUDIT_APPEND_LOCK = 0x6175646974

_RECORD_INDEXES = (
    ("ix_records_subject_pk", "subject_pk"),
    ("ix_records_subject_id", "subject_id"),
    ("ix_records_record_type_decided_on", "record_type, decided_on"),
    ("ix_records_batch_pk", "batch_pk"),
    ("ix_records_link", "link"),
)

_RECORD_FKS = (
    ("fk_records_subject_pk_subjects", "subject_pk", "subjects"),
    ("fk_records_batch_pk_batches", "batch_pk", "batches"),
)


def upgrade() -> None:
    op.drop_index("ix_audit_log_object", table_name="audit_log")
    op.create_index("ix_audit_log_object_seq", "audit_log", ["object", "seq"])
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    now = datetime.now(UTC)
    _partition_records(conn, now)
    _partition_audit_log(conn, now)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        _unpartition_audit_log(conn)
        _unpartition_records(conn)
    op.drop_index("ix_audit_log_object_seq", table_name="audit_log")
    op.create_index("ix_audit_log_object", "audit_log", ["object"])


def _run(conn: Connection, *statements: str) -> None:
    for statement in statements:
        conn.execute(text(statement))


def _new_partitioned(conn: Connection, scheme: partitions.Scheme, now: datetime) -> str:
    """`<table>_partitioned`: the table's columns, defaults and checks, its partitions for every period its
    rows fall in and the coming ones, and the default partition; filled from the old table, not indexed."""
    new = f"{scheme.table}_partitioned"
    _run(
        conn,
        f"CREATE TABLE {new} (LIKE {scheme.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        f" PARTITION BY RANGE ({scheme.column})",
        f"CREATE TABLE {scheme.default} PARTITION OF {new} DEFAULT",
    )
    starts = set(partitions.periods_in(conn, scheme, scheme.table))
    start = scheme.start(now)
    for _ in range(scheme.ahead + 1):
        starts.add(start)
        start = scheme.after(start)
    for start in sorted(starts):
        partitions.create(conn, scheme, start, parent=new)
    # Indexes are built after the copy: one sort per index instead of a million insertions into it.
    _run(conn, f"INSERT INTO {new} SELECT * FROM {scheme.table}")
    return new


def _referencing(conn: Connection, table: str) -> list[tuple[str, str, str]]:
    """(constraint, table, column) of every single-column foreign key that points at `table`."""
    rows = conn.execute(
        text(
            "SELECT c.conname, c.conrelid::regclass::text, a.attname FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = to_regclass(:table) ORDER BY c.conname"
        ),
        {"table": table},
    ).all()
    return [(str(name), str(owner), str(column)) for name, owner, column in rows]


def _partition_records(conn: Connection, now: datetime) -> None:
    scheme = partitions.RECORDS
    new = _new_partitioned(conn, scheme, now)
    references = _referencing(conn, "records")
    for name, owner, _column in references:
        _run(conn, f"ALTER TABLE {owner} DROP CONSTRAINT {name}")
    sequence = conn.execute(text("SELECT pg_get_serial_sequence('records', 'pk')")).scalar_one()
    _run(
        conn,
        f"ALTER SEQUENCE {sequence} OWNED BY {new}.pk",
        "DROP TABLE records",
        f"ALTER TABLE {new} RENAME TO records",
        "ALTER TABLE records ADD CONSTRAINT pk_records PRIMARY KEY (pk, recorded_at)",
        *(f"CREATE INDEX {name} ON records ({columns})" for name, columns in _RECORD_INDEXES),
        # The look-ups by agency record (ingestion's re-send check, history, the current version).
        "CREATE INDEX ix_records_agency_record_id_version ON records (agency, record_id, version)",
        "CREATE INDEX ix_records_current ON records (agency, record_id) WHERE superseded_at IS NULL",
        *(
            f"ALTER TABLE records ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (pk)"
            for name, column, target in _RECORD_FKS
        ),
        f"""CREATE TABLE {partitions.RECORD_KEYS} (
            pk BIGINT NOT NULL,
            agency VARCHAR(64) NOT NULL,
            record_id VARCHAR(128) NOT NULL,
            version INTEGER NOT NULL,
            current BOOLEAN NOT NULL
        )""",
        "INSERT INTO record_keys SELECT pk, agency, record_id, version, superseded_at IS NULL FROM records",
        "ALTER TABLE record_keys ADD CONSTRAINT pk_record_keys PRIMARY KEY (pk)",
        "ALTER TABLE record_keys ADD CONSTRAINT uq_record_keys_agency_record_id_version"
        " UNIQUE (agency, record_id, version)",
        "CREATE UNIQUE INDEX uq_record_keys_current ON record_keys (agency, record_id) WHERE current",
        # New versions arrive by INSERT and COPY, many rows a statement: one set-based insert per statement.
        """CREATE FUNCTION records_keys_insert() RETURNS trigger LANGUAGE plpgsql
           SET search_path FROM CURRENT AS $$
           BEGIN
               INSERT INTO record_keys (pk, agency, record_id, version, current)
               SELECT pk, agency, record_id, version, superseded_at IS NULL FROM inserted;
               RETURN NULL;
           END $$""",
        "CREATE TRIGGER records_keys_insert AFTER INSERT ON records"
        " REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION records_keys_insert()",
        # Updates are mostly linkage's (subject, link), which change no key: the WHEN clause skips them
        # without calling the function; superseding a version flips its `current`.
        """CREATE FUNCTION records_keys_update() RETURNS trigger LANGUAGE plpgsql
           SET search_path FROM CURRENT AS $$
           BEGIN
               UPDATE record_keys SET pk = NEW.pk, agency = NEW.agency, record_id = NEW.record_id,
                   version = NEW.version, current = NEW.superseded_at IS NULL
               WHERE pk = OLD.pk;
               RETURN NULL;
           END $$""",
        "CREATE TRIGGER records_keys_update AFTER UPDATE ON records FOR EACH ROW"
        " WHEN ((OLD.superseded_at IS NULL) IS DISTINCT FROM (NEW.superseded_at IS NULL)"
        " OR OLD.pk <> NEW.pk OR OLD.agency <> NEW.agency OR OLD.record_id <> NEW.record_id"
        " OR OLD.version <> NEW.version)"
        " EXECUTE FUNCTION records_keys_update()",
        """CREATE FUNCTION records_keys_delete() RETURNS trigger LANGUAGE plpgsql
           SET search_path FROM CURRENT AS $$
           BEGIN
               DELETE FROM record_keys WHERE pk IN (SELECT pk FROM deleted);
               RETURN NULL;
           END $$""",
        "CREATE TRIGGER records_keys_delete AFTER DELETE ON records"
        " REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION records_keys_delete()",
    )
    for name, owner, column in references:
        renamed = name.removesuffix("_records") + "_record_keys"
        _run(conn, f"ALTER TABLE {owner} ADD CONSTRAINT {renamed} FOREIGN KEY ({column}) REFERENCES record_keys (pk)")


def _partition_audit_log(conn: Connection, now: datetime) -> None:
    new = _new_partitioned(conn, partitions.AUDIT_LOG, now)
    _run(
        conn,
        "DROP TABLE audit_log",
        f"ALTER TABLE {new} RENAME TO audit_log",
        "ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (seq, at)",
        "CREATE INDEX ix_audit_log_object_seq ON audit_log (object, seq)",
        # The primary key no longer makes seq unique on its own. Appenders hold the advisory lock while they
        # read the tail and insert; the trigger takes it too (re-entrant for them, a wait for anyone who
        # skipped it), then checks that the seqs inserted run on from the one before without a repeat.
        f"""CREATE FUNCTION audit_log_continues() RETURNS trigger LANGUAGE plpgsql
           SET search_path FROM CURRENT AS $$
           DECLARE
               lo BIGINT; hi BIGINT; n BIGINT; stored BIGINT;
           BEGIN
               PERFORM pg_advisory_xact_lock({AUDIT_APPEND_LOCK});
               SELECT min(seq), max(seq), count(*) INTO lo, hi, n FROM inserted;
               IF n = 0 THEN
                   RETURN NULL;
               END IF;
               SELECT count(*) INTO stored FROM audit_log WHERE seq BETWEEN lo - 1 AND hi;
               IF lo < 1 OR hi - lo + 1 <> n OR stored <> n + (lo > 1)::int THEN
                   RAISE EXCEPTION USING ERRCODE = 'unique_violation', MESSAGE =
                       'audit_log: seqs ' || lo || ' to ' || hi || ' do not continue the log once each';
               END IF;
               RETURN NULL;
           END $$""",
        "CREATE TRIGGER audit_log_continues AFTER INSERT ON audit_log"
        " REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION audit_log_continues()",
    )


def _plain_copy(conn: Connection, table: str) -> str:
    new = f"{table}_unpartitioned"
    _run(
        conn,
        f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
        f"INSERT INTO {new} SELECT * FROM {table}",
    )
    return new


def _unpartition_audit_log(conn: Connection) -> None:
    new = _plain_copy(conn, "audit_log")
    _run(
        conn,
        "DROP TABLE audit_log",
        "DROP FUNCTION audit_log_continues()",
        f"ALTER TABLE {new} RENAME TO audit_log",
        "ALTER TABLE audit_log ADD CONSTRAINT pk_audit_log PRIMARY KEY (seq)",
        "CREATE INDEX ix_audit_log_object_seq ON audit_log (object, seq)",
    )


def _unpartition_records(conn: Connection) -> None:
    new = _plain_copy(conn, "records")
    references = _referencing(conn, partitions.RECORD_KEYS)
    for name, owner, _column in references:
        _run(conn, f"ALTER TABLE {owner} DROP CONSTRAINT {name}")
    sequence = conn.execute(text("SELECT pg_get_serial_sequence('records', 'pk')")).scalar_one()
    _run(
        conn,
        f"ALTER SEQUENCE {sequence} OWNED BY {new}.pk",
        "DROP TABLE records",
        "DROP TABLE record_keys",
        "DROP FUNCTION records_keys_insert()",
        "DROP FUNCTION records_keys_update()",
        "DROP FUNCTION records_keys_delete()",
        f"ALTER TABLE {new} RENAME TO records",
        "ALTER TABLE records ADD CONSTRAINT pk_records PRIMARY KEY (pk)",
        "ALTER TABLE records ADD CONSTRAINT uq_records_agency_record_id_version UNIQUE (agency, record_id, version)",
        "CREATE UNIQUE INDEX uq_records_current ON records (agency, record_id) WHERE superseded_at IS NULL",
        *(f"CREATE INDEX {name} ON records ({columns})" for name, columns in _RECORD_INDEXES),
        *(
            f"ALTER TABLE records ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {target} (pk)"
            for name, column, target in _RECORD_FKS
        ),
    )
    for name, owner, column in references:
        renamed = name.removesuffix("_record_keys") + "_records"
        _run(conn, f"ALTER TABLE {owner} ADD CONSTRAINT {renamed} FOREIGN KEY ({column}) REFERENCES records (pk)")
