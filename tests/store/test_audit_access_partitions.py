"""The access index partitioned by month in step with the audit log (migration 0014, PostgreSQL): one
partition per partition of the log, made with it by `ensure`, each row in its entry's month; archiving a
month detaches its access partition instead of deleting rows; the upgrade and downgrade keep every row.
SQLite keeps its one table, and the same tests check that it is left as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from xinyong import auditing
from xinyong.cli.app import app
from xinyong.clock import CST
from xinyong.errors import Conflict
from xinyong.store import Store, audit_rows, partitions
from xinyong.store.audit_rows import Concerns, Event
from xinyong.store.migrate import alembic_config, head_revision

MIGRATION = import_module("xinyong.store.migrations.versions.0014_audit_access_partitions")
#: The revision before this one (0014).
BEFORE: str = MIGRATION.down_revision

JAN = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
#: Already February in Beijing, still January in UTC: partitions are months of UTC, for both tables.
JAN_END = datetime(2025, 2, 1, 5, 0, tzinfo=CST)
FEB = datetime(2025, 2, 10, 8, 0, tzinfo=UTC)
MAR = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
Y1999 = datetime(1999, 7, 1, 8, 0, tzinfo=UTC)  # no partition ahead for it: the default ones hold it

#: Looked at every month, so each month holds some of its access log.
REGULAR = "subject:regular"


def _postgres_only(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only")


def _checks(store: Store, at: datetime, month: str, n: int = 2) -> None:
    """`n` batch checks at `at`, each one entry indexed under the regular subject and one of the month's own."""
    with store.unit_of_work() as conn:
        events = [
            Event(
                at,
                "airline",
                "platform",
                "check.request",
                "action:air_ticket",
                concerns=Concerns("check", [REGULAR, f"subject:{month}-{i}"], ["deny", "review"]),
            )
            for i in range(n)
        ]
        audit_rows.record(conn, events)


def _index(conn: sa.Connection) -> list[tuple[str, int, str, str]]:
    return sorted(audit_rows.iter_index(conn))


def _children(conn: sa.Connection, table: str) -> dict[str, str]:
    """Each partition of `table` with its bounds as PostgreSQL states them."""
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:table)"
        ),
        {"table": table},
    ).all()
    return {str(name): str(bounds) for name, bounds in rows}


def _twins(conn: sa.Connection) -> None:
    """The access index has exactly one partition per partition of the log, with the same bounds."""
    log, access = _children(conn, "audit_log"), _children(conn, "audit_access")
    assert {name.replace("audit_log", "audit_access", 1): bounds for name, bounds in log.items()} == access
    assert "audit_access_default" in access


def _misplaced(conn: sa.Connection) -> list[tuple[Any, ...]]:
    """Index rows not in the month partition of their entry, or whose `at` is not their entry's."""
    query = (
        "SELECT a.object, a.seq, a.tableoid::regclass::text, l.tableoid::regclass::text FROM audit_access a"
        " JOIN audit_log l ON l.seq = a.seq"
        " WHERE a.at <> l.at"
        " OR a.tableoid::regclass::text <> replace(l.tableoid::regclass::text, 'audit_log', 'audit_access')"
    )
    return [tuple(row) for row in conn.execute(sa.text(query))]


def _to(store: Store, revision: str, *, down: bool) -> None:
    with store.engine.connect() as connection, connection.begin():
        (command.downgrade if down else command.upgrade)(alembic_config(connection), revision)


def test_the_index_is_partitioned_like_the_log(store: Store) -> None:
    if store.dialect == "sqlite":
        # SQLite keeps the one table of migration 0008, keyed by (object, seq), without a rowid.
        with store.connect() as conn:
            assert not partitions.is_partitioned(conn, "audit_access")
            columns = [c["name"] for c in sa.inspect(conn).get_columns("audit_access")]
            assert sa.inspect(conn).get_pk_constraint("audit_access")["constrained_columns"] == ["object", "seq"]
            ddl = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 'audit_access'")).scalar_one()
        assert columns == ["object", "seq", "action", "result"]
        assert "WITHOUT ROWID" in ddl
        return
    with store.connect() as conn:
        assert partitions.is_partitioned(conn, "audit_access")
        key = conn.execute(sa.text("SELECT pg_get_partkeydef('audit_access'::regclass)")).scalar_one()
        primary = sa.inspect(conn).get_pk_constraint("audit_access")["constrained_columns"]
        _twins(conn)
        listed = {p.name for p in partitions.partitions(conn) if p.table == "audit_access"}
        assert listed == set(_children(conn, "audit_access"))
    assert key == "RANGE (at)"
    assert primary == ["object", "seq", "at"]


def test_ensure_makes_a_months_access_partition_with_its_log_partition(store: Store) -> None:
    _postgres_only(store)
    with store.unit_of_work() as conn:
        created = partitions.ensure(conn, datetime(2031, 11, 5, tzinfo=UTC))
        assert partitions.ensure(conn, datetime(2031, 11, 5, tzinfo=UTC)) == []
    months = ["m203111", "m203112", "m203201", "m203202"]
    made = [name for name in created if name.startswith("audit_")]
    assert made == [name for m in months for name in (f"audit_log_{m}", f"audit_access_{m}")]
    with store.connect() as conn:
        _twins(conn)


def test_ensure_moves_both_tables_rows_out_of_their_default_partitions(store: Store) -> None:
    _postgres_only(store)
    _checks(store, Y1999, "1999")
    with store.connect() as conn:
        assert _misplaced(conn) == []
        where = conn.execute(sa.text("SELECT DISTINCT tableoid::regclass::text FROM audit_access")).scalars().all()
        assert where == ["audit_access_default"]
    with store.unit_of_work() as conn:
        created = partitions.ensure(conn, NOW)
    assert {"audit_log_m199907", "audit_access_m199907"} <= set(created)
    with store.connect() as conn:
        where = conn.execute(sa.text("SELECT DISTINCT tableoid::regclass::text FROM audit_access")).scalars().all()
        assert where == ["audit_access_m199907"]
        assert _misplaced(conn) == []
        assert {p.name: p.rows for p in partitions.partitions(conn) if p.default} == {
            "records_default": 0,
            "audit_log_default": 0,
            "audit_access_default": 0,
        }
        _twins(conn)
    assert auditing.verify(store, None).ok


@pytest.fixture
def months(store: Store) -> Store:
    """Checks in January (one at its last hour in UTC, already February in Beijing), February and March."""
    _postgres_only(store)
    with store.unit_of_work() as conn:
        for month in (JAN, FEB, MAR):
            partitions.ensure(conn, month)
    _checks(store, JAN, "01", 3)
    _checks(store, JAN_END, "01end", 1)
    _checks(store, FEB, "02")
    _checks(store, MAR, "03")
    return store


def test_each_index_row_lands_in_its_entrys_month(months: Store) -> None:
    with months.connect() as conn:
        assert _misplaced(conn) == []
        january = conn.execute(sa.text("SELECT count(*) FROM audit_access_m202501")).scalar_one()
    assert january == 2 * 4  # three checks on the 10th and one on the 31st (UTC), two subjects each


def test_archiving_a_month_detaches_its_access_partition(months: Store) -> None:
    store = months
    with store.connect() as conn:
        before = _index(conn)
        january_seqs = set(conn.execute(sa.text("SELECT seq FROM audit_log_m202501")).scalars())
    assert january_seqs == {1, 2, 3, 4}
    statements: list[str] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(statement)

    with store.unit_of_work() as conn:
        sa.event.listen(conn, "before_cursor_execute", grab)
        gone = partitions.detach(conn, "audit_log_m202501", at=NOW)
        sa.event.remove(conn, "before_cursor_execute", grab)
    assert [c.name(start) for c, start in partitions.companions(gone)] == ["audit_access_m202501"]
    # No row is deleted: the month's rows leave with their partition.
    assert not [s for s in statements if s.lstrip().upper().startswith("DELETE")], statements

    with store.connect() as conn:
        after = _index(conn)
        # Every row of the other months is still there, and none of January's.
        assert after == [row for row in before if row[1] not in january_seqs]
        assert {row[1] for row in before} - {row[1] for row in after} == january_seqs
        # The month's access rows are a table of their own, to be dumped with the month and dropped.
        kept = conn.execute(sa.text("SELECT object, seq, action, result FROM audit_access_m202501")).all()
        assert sorted(tuple(row) for row in kept) == [row for row in before if row[1] in january_seqs]
        assert "audit_access_m202501" not in _children(conn, "audit_access")
        _twins(conn)
        # The subject's access log lists the months still held, newest first; January's subjects have none.
        looks = audit_rows.accesses(conn, {REGULAR}, {"check"})
        assert [look.seq for look in looks] == sorted((row[1] for row in after if row[0] == REGULAR), reverse=True)
        assert {look.at.month for look in looks} == {2, 3}
        assert audit_rows.accesses(conn, {"subject:01-0", "subject:01end-0"}, {"check"}) == []
        assert audit_rows.accesses(conn, {"subject:02-1"}, {"check"})
        last = audit_rows.tail(conn)
    assert last is not None
    assert last.action == "store.detach"
    assert last.detail["detached_with"] == ["audit_access_m202501"]
    result = auditing.verify(store, None)
    assert result.ok, result.problem
    # Writing goes on, into the months still attached.
    _checks(store, MAR, "03b", 1)
    assert auditing.verify(store, None).ok


def test_an_access_partition_is_never_detached_on_its_own(months: Store) -> None:
    for name, reason in (
        ("audit_access_m202501", "detach audit_log_m202501"),
        ("audit_access_default", "default"),
    ):
        with pytest.raises(Conflict, match=reason), months.unit_of_work() as conn:
            partitions.detach(conn, name, at=NOW)
    with months.connect() as conn:
        _twins(conn)


def test_a_missing_access_partition_is_made_and_detached_with_its_month(months: Store) -> None:
    """A log month whose access partition is missing (made by hand, say) still takes its rows with it."""
    with months.unit_of_work() as conn:
        conn.execute(sa.text("ALTER TABLE audit_access DETACH PARTITION audit_access_m202501"))
        conn.execute(sa.text("INSERT INTO audit_access SELECT * FROM audit_access_m202501"))
        conn.execute(sa.text("DROP TABLE audit_access_m202501"))
        assert conn.execute(sa.text("SELECT count(*) FROM audit_access_default")).scalar_one() == 8
    with months.unit_of_work() as conn:
        partitions.detach(conn, "audit_log_m202501", at=NOW)
    with months.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audit_access_default")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM audit_access_m202501")).scalar_one() == 8
    assert auditing.verify(months, None).ok


def test_the_detach_command_names_both_tables(months: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_DATABASE_URL", months.url)
    monkeypatch.setenv("XINYONG_NOW", NOW.isoformat())
    result = CliRunner().invoke(app, ["store", "partitions", "--detach", "audit_log_m202501", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["detached"], shown["detached_with"]) == ("audit_log_m202501", ["audit_access_m202501"])
    names = {p["name"] for p in shown["partitions"]}
    assert {"audit_log_m202502", "audit_access_m202502", "audit_access_default"} <= names
    assert not {"audit_log_m202501", "audit_access_m202501"} & names


def test_the_access_log_reads_each_partitions_key(months: Store) -> None:
    """A subject's access log (`audit_rows.accesses`) reads every access partition through its primary key
    (object, seq, at), newest first, with no sequential scan, as the unpartitioned key served it."""
    statements: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    with months.connect() as conn:
        sa.event.listen(conn, "before_cursor_execute", grab)
        audit_rows.accesses(conn, {REGULAR}, {"check"})
        sa.event.remove(conn, "before_cursor_execute", grab)
        statement, parameters = next((s, p) for s, p in statements if "audit_access" in s)
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())
        names = list(_children(conn, "audit_access"))
    assert "Seq Scan" not in plan, plan
    for name in names:
        assert f"{name}_pkey" in plan, plan


def test_the_access_log_fetches_each_entry_from_its_month(months: Store) -> None:
    """Each indexed look fetches its log entry by (seq, at), one probe per row, whatever the statistics: a
    plain join on seq was planned as a merge over the whole log, newest entry first, down to the subject's
    oldest look."""
    statements: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    with months.connect() as conn:
        conn.exec_driver_sql("ANALYZE audit_log")
        conn.exec_driver_sql("ANALYZE audit_access")
        sa.event.listen(conn, "before_cursor_execute", grab)
        looks = audit_rows.accesses(conn, {REGULAR}, {"check"})
        sa.event.remove(conn, "before_cursor_execute", grab)
        statement, parameters = next((s, p) for s, p in statements if "audit_access" in s)
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}", parameters).scalars())
    assert "Merge Join" not in plan, plan
    assert "Hash Join" not in plan, plan
    assert "Nested Loop" in plan, plan
    assert "(at = audit_access.at)" in plan, plan
    # Each probe is pruned at run time to its entry's month: the log's other partitions are never read.
    probed = [line for line in plan.splitlines() if "on audit_log_" in line and "never executed" not in line]
    assert {line.split(" on ")[1].split()[0] for line in probed} == {
        "audit_log_m202501",
        "audit_log_m202502",
        "audit_log_m202503",
    }, plan
    assert [look.seq for look in looks] == sorted((look.seq for look in looks), reverse=True)
    assert len(looks) == 4 + 2 + 2  # every check of the three months (four in January) looked at the subject


def test_upgrade_and_downgrade_keep_every_access_row(store: Store) -> None:
    """From the head down to the revision before 0014 and up again, with rows in months and in the default
    partition: every index row stays, and on PostgreSQL each goes back to its entry's month."""
    if store.dialect == "postgresql":
        with store.unit_of_work() as conn:
            partitions.ensure(conn, JAN)
    _checks(store, JAN, "01", 3)
    _checks(store, JAN_END, "01end", 1)
    _checks(store, FEB, "02")
    _checks(store, Y1999, "1999")  # in the default partitions on PostgreSQL
    with store.connect() as conn:
        before = _index(conn)
        log = [row.seq for row in audit_rows.iter_rows(conn)]
    assert len(before) == 2 * 8

    _to(store, BEFORE, down=True)
    with store.engine.connect() as conn:
        assert _index(conn) == before
        columns = [c["name"] for c in sa.inspect(conn).get_columns("audit_access")]
        assert columns == ["object", "seq", "action", "result"]
        assert sa.inspect(conn).get_pk_constraint("audit_access")["constrained_columns"] == ["object", "seq"]
        if store.dialect == "postgresql":
            assert not partitions.is_partitioned(conn, "audit_access")
            # The BRIN index of seq that archiving used at that revision is back.
            assert {ix["name"] for ix in sa.inspect(conn).get_indexes("audit_access")} == {"ix_audit_access_seq"}
            assert conn.execute(sa.text("SELECT to_regclass('audit_access_m202501')")).scalar() is None
    assert auditing.verify(store, None).ok

    _to(store, head_revision(), down=False)
    with store.connect() as conn:
        assert _index(conn) == before
        assert [row.seq for row in audit_rows.iter_rows(conn)] == log
        if store.dialect == "postgresql":
            assert partitions.is_partitioned(conn, "audit_access")
            assert _misplaced(conn) == []
            _twins(conn)
            placed = conn.execute(
                sa.text("SELECT tableoid::regclass::text, count(*) FROM audit_access GROUP BY 1 ORDER BY 1")
            ).all()
            assert [tuple(row) for row in placed] == [
                ("audit_access_default", 4),
                ("audit_access_m202501", 8),
                ("audit_access_m202502", 4),
            ]
    assert auditing.verify(store, None).ok
    # The writer goes on after the round trip.
    _checks(store, FEB, "02b", 1)
    assert auditing.verify(store, None).ok


def test_the_upgrade_refuses_index_rows_without_their_entry(store: Store) -> None:
    """An index row naming an entry the log does not hold has no month; the upgrade stops rather than drop
    it, and leaves the database at the revision before."""
    _postgres_only(store)
    _checks(store, JAN, "01", 1)
    _to(store, BEFORE, down=True)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO audit_access (object, seq, action, result) VALUES ('subject:x', 99, 'check', 'deny')")
        )
    with pytest.raises(RuntimeError, match="entries the audit log does not hold: 1"):
        _to(store, head_revision(), down=False)
    with store.engine.connect() as conn:
        assert not partitions.is_partitioned(conn, "audit_access")
        assert conn.execute(sa.text("SELECT count(*) FROM audit_access")).scalar_one() == 3
