"""PostgreSQL's time partitions of records and the audit log (migration 0007, store.partitions), and the
guarantees the unpartitioned tables gave that must survive them, checked on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import IntegrityError
from store_samples import MakeRecord
from typer.testing import CliRunner

from xinyong.cli.app import app
from xinyong.errors import Conflict, InvalidInput
from xinyong.store import NewSubject, Store, audit_rows, bulk_records, partitions, records, roles, screening, subjects
from xinyong.store.audit_rows import Event
from xinyong.store.migrate import alembic_config, head_revision
from xinyong.store.schema import audit_log, subject_roles

Y2025 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
Y2027 = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
Y1999 = datetime(1999, 7, 1, 8, 0, tzinfo=UTC)  # no partition is made for it ahead: the default one holds it


def _postgres_only(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("partitions exist on PostgreSQL only")


def _where(conn: sa.Connection, table: str, key: str, value: object) -> str:
    """The partition a row of `table` lives in (tableoid names the partition, not the parent)."""
    query = sa.text(f"SELECT tableoid::regclass::text FROM {table} WHERE {key} = :value")
    return str(conn.execute(query, {"value": value}).scalar_one())


def _rows(conn: sa.Connection, table: str, order: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {order}"))]


def _record_keys(conn: sa.Connection) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sa.text("SELECT * FROM record_keys ORDER BY pk"))]


def _expected_keys(conn: sa.Connection) -> list[tuple[Any, ...]]:
    query = "SELECT pk, agency, record_id, version, superseded_at IS NULL FROM records ORDER BY pk"
    return [tuple(row) for row in conn.execute(sa.text(query))]


def _events(*instants: datetime) -> list[Event]:
    return [Event(at, "op", "operator", "read", f"subject:S{i}", purpose="复核") for i, at in enumerate(instants)]


@pytest.fixture
def unmigrated(db_url: str) -> Iterator[Store]:
    """A store at revision 0006, the last one before partitioning."""
    store = Store(db_url)
    with store.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006")
    try:
        yield store
    finally:
        store.dispose()


def _populate(conn: sa.Connection, make_record: MakeRecord) -> dict[str, int]:
    """Versions over three years (one superseded across years), a role and a link explanation pointing at
    versions, and audit entries over several months: what a registry has before it is partitioned."""
    person = subjects.create(conn, NewSubject(kind="person", name="张三", name_norm="张三"), at=Y2025)
    org = subjects.create(conn, NewSubject(kind="org", name="某公司", name_norm="某公司"), at=Y2025)
    first = records.insert_version(conn, make_record("R1", subject_pk=person.pk), recorded_at=Y1999)
    records.insert_version(conn, make_record("R2"), recorded_at=Y2025)
    later = records.supersede(conn, make_record("R1", subject_pk=person.pk, row_hash="h2"), at=Y2027)
    bulk_records.bulk_insert(conn, [make_record(f"B{i}") for i in range(50)], recorded_at=Y2025)
    roles.set_legal_rep(conn, org.pk, person.pk, date(2024, 1, 1), source_record_pk=first.pk)
    # As the table was at that revision (its levels moved to level sets in 0009).
    conn.execute(
        sa.text(
            "INSERT INTO link_explanations (run, record_pk, subject_pk, rank, probability, match_weight, levels)"
            " VALUES ('run-1', :record, :subject, 1, 0.99, 7.0, '{}')"
        ),
        {"record": later.pk, "subject": person.pk},
    )
    audit_rows.record(conn, _events(Y1999, Y2025, Y2025.replace(month=4), Y2027))
    return {"first": first.pk, "later": later.pk}


def test_upgrade_keeps_every_row_and_places_it_by_time(unmigrated: Store, make_record: MakeRecord) -> None:
    _postgres_only(unmigrated)
    with unmigrated.engine.begin() as conn:
        pks = _populate(conn, make_record)
    with unmigrated.engine.connect() as conn:
        before = {table: _rows(conn, table, order) for table, order in (("records", "pk"), ("audit_log", "seq"))}
        roles_before = _rows(conn, "subject_roles", "pk")
    assert unmigrated.init() == head_revision()
    with unmigrated.connect() as conn:
        assert partitions.is_partitioned(conn, "records")
        assert partitions.is_partitioned(conn, "audit_log")
        assert _rows(conn, "records", "pk") == before["records"]
        assert _rows(conn, "audit_log", "seq") == before["audit_log"]
        assert _rows(conn, "subject_roles", "pk") == roles_before
        assert _record_keys(conn) == _expected_keys(conn)
        assert len(before["records"]) == 53
        # Every period that had rows got its partition: nothing is left in the default ones.
        assert _where(conn, "records", "pk", pks["first"]) == "records_y1999"
        assert _where(conn, "records", "pk", pks["later"]) == "records_y2027"
        assert [_where(conn, "audit_log", "seq", seq) for seq in (1, 2, 3, 4)] == [
            "audit_log_m199907",
            "audit_log_m202503",
            "audit_log_m202504",
            "audit_log_m202702",
        ]
        assert {p.name: p.rows for p in partitions.partitions(conn) if p.default} == {
            "records_default": 0,
            "audit_log_default": 0,
            "audit_access_default": 0,
        }
        # Foreign keys to a version now point at record_keys, which has the unique pk they need.
        referring = conn.execute(
            sa.text(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
                " WHERE contype = 'f' AND confrelid IN ('records'::regclass, 'record_keys'::regclass)"
            )
        ).all()
        assert {target for _, target in referring} == {"record_keys"}
        assert {owner for owner, _ in referring} == {
            "subject_roles",
            "link_explanations",
            "review_items",
            "objections",
            "repairs",
            "notices",
        }
    # The pk sequence moved with the column: new versions get fresh pks.
    with unmigrated.unit_of_work() as conn:
        fresh = records.insert_version(conn, make_record("R9"), recorded_at=Y2027)
    assert fresh.pk > max(row[0] for row in before["records"])


def test_downgrade_and_upgrade_again_keep_every_row(unmigrated: Store, make_record: MakeRecord) -> None:
    _postgres_only(unmigrated)
    with unmigrated.engine.begin() as conn:
        _populate(conn, make_record)
    unmigrated.init()
    with unmigrated.connect() as conn:
        before = _rows(conn, "records", "pk"), _rows(conn, "audit_log", "seq")
    with unmigrated.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
    with unmigrated.engine.connect() as conn:
        assert not partitions.is_partitioned(conn)
        assert (_rows(conn, "records", "pk"), _rows(conn, "audit_log", "seq")) == before
        assert conn.execute(sa.text("SELECT to_regclass('record_keys')")).scalar() is None
    unmigrated.init()
    with unmigrated.connect() as conn:
        assert (_rows(conn, "records", "pk"), _rows(conn, "audit_log", "seq")) == before
        assert _record_keys(conn) == _expected_keys(conn)


def test_inserts_land_in_their_period_or_the_default_partition(store: Store, make_record: MakeRecord) -> None:
    _postgres_only(store)
    with store.unit_of_work() as conn:
        created = partitions.ensure(conn, Y2025)
        assert {"records_y2025", "audit_log_m202503", "audit_log_m202506"} <= set(created)
        a = records.insert_version(conn, make_record("A"), recorded_at=Y2025)
        b = records.insert_version(conn, make_record("B"), recorded_at=Y1999)
        bulk = bulk_records.bulk_insert(conn, [make_record("C")], recorded_at=Y2025)
        audit_rows.record(conn, _events(Y2025, Y1999))
    with store.connect() as conn:
        assert _where(conn, "records", "pk", a.pk) == "records_y2025"
        assert _where(conn, "records", "pk", bulk[0]) == "records_y2025"
        assert _where(conn, "records", "pk", b.pk) == "records_default"
        assert [_where(conn, "audit_log", "seq", seq) for seq in (1, 2)] == ["audit_log_m202503", "audit_log_default"]
        assert _record_keys(conn) == _expected_keys(conn)


def test_ensure_moves_stray_rows_out_of_the_default_partition(store: Store, make_record: MakeRecord) -> None:
    _postgres_only(store)
    with store.unit_of_work() as conn:
        old = records.insert_version(conn, make_record("OLD"), recorded_at=Y1999)
        audit_rows.record(conn, _events(Y1999))
    with store.unit_of_work() as conn:
        keys_before = _record_keys(conn)
        created = partitions.ensure(conn, Y2025)
        assert {"records_y1999", "audit_log_m199907", "records_y2025", "audit_log_m202503"} <= set(created)
        assert partitions.ensure(conn, Y2025) == []  # idempotent
    with store.connect() as conn:
        assert _where(conn, "records", "pk", old.pk) == "records_y1999"
        assert _where(conn, "audit_log", "seq", 1) == "audit_log_m199907"
        assert _record_keys(conn) == keys_before  # moving a row is not inserting a version
        assert records.get(conn, old.pk) == old
        assert {p.name: p.rows for p in partitions.partitions(conn) if p.default} == {
            "records_default": 0,
            "audit_log_default": 0,
            "audit_access_default": 0,
        }


def test_versions_stay_unique_across_partitions(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        partitions.ensure(conn, Y2025)
        records.insert_version(conn, make_record("R1"), recorded_at=Y2025)
    # The same version again, recorded in another year (another partition on PostgreSQL): still refused.
    with pytest.raises(Conflict, match="R1 version 1 cannot be stored"), store.unit_of_work() as conn:
        records.insert_version(conn, make_record("R1", row_hash="other"), recorded_at=Y2027)
    # A second current version of the same record is refused too, wherever it would land.
    with pytest.raises(Conflict, match="R1 version 2 cannot be stored"), store.unit_of_work() as conn:
        records.insert_version(conn, make_record("R1", version=2), recorded_at=Y1999)
    with pytest.raises((IntegrityError, psycopg.IntegrityError)), store.unit_of_work() as conn:  # COPY: the driver's
        bulk_records.bulk_insert(conn, [make_record("R1", version=2)], recorded_at=Y2027)
    # Superseding across a year boundary keeps exactly one current version.
    with store.unit_of_work() as conn:
        records.supersede(conn, make_record("R1", row_hash="v2"), at=Y2027)
    with store.connect() as conn:
        assert [(v.version, v.current) for v in records.history(conn, "court.110105", "R1")] == [(1, False), (2, True)]
        if store.dialect == "postgresql":
            assert _record_keys(conn) == _expected_keys(conn)


def test_foreign_keys_to_versions_are_still_enforced(store: Store) -> None:
    with store.unit_of_work() as conn:
        org = subjects.create(conn, NewSubject(kind="org", name="某公司", name_norm="某公司"), at=Y2025)
        person = subjects.create(conn, NewSubject(kind="person", name="张三", name_norm="张三"), at=Y2025)
    with pytest.raises(IntegrityError), store.unit_of_work() as conn:
        conn.execute(
            subject_roles.insert().values(
                org_pk=org.pk,
                person_pk=person.pk,
                role="legal_representative",
                valid_from=date(2024, 1, 1),
                source_record_pk=987654,
            )
        )


def test_linkage_updates_leave_keys_alone_and_deletes_follow(store: Store, make_record: MakeRecord) -> None:
    _postgres_only(store)
    with store.unit_of_work() as conn:
        person = subjects.create(conn, NewSubject(kind="person", name="张三", name_norm="张三"), at=Y2025)
        row = records.insert_version(conn, make_record("R1"), recorded_at=Y2025)
        records.set_links(conn, [records.LinkUpdate(row.pk, person.pk, "id")], at=Y2025)
        assert _record_keys(conn) == _expected_keys(conn)
        conn.execute(sa.text("DELETE FROM records WHERE pk = :pk"), {"pk": row.pk})
        assert _record_keys(conn) == []


def test_audit_seqs_cannot_repeat_or_skip_in_the_database(store: Store) -> None:
    with store.unit_of_work() as conn:
        audit_rows.record(conn, _events(Y2025, Y2025))
        first = audit_rows.tail(conn)
    assert first is not None
    values = {**asdict(first), "detail": dict(first.detail), "at": Y2027}  # the same seq, another month
    with pytest.raises(IntegrityError), store.unit_of_work() as conn:
        conn.execute(audit_log.insert().values(**values))
    if store.dialect == "postgresql":  # SQLite relies on `append`'s gap check and the write lock alone
        with pytest.raises(IntegrityError, match="do not continue the log"), store.unit_of_work() as conn:
            conn.execute(audit_log.insert().values(**{**values, "seq": first.seq + 2}))
    with pytest.raises(Conflict), store.unit_of_work() as conn:
        audit_rows.append(conn, [first])
    with store.unit_of_work() as conn:
        audit_rows.record(conn, _events(Y2027))
    with store.connect() as conn:
        assert [row.seq for row in audit_rows.read_range(conn)] == [1, 2, 3]


def test_the_trigger_waits_on_the_appenders_lock() -> None:
    from importlib import import_module

    migration = import_module("xinyong.store.migrations.versions.0007_partitions")
    assert migration.AUDIT_APPEND_LOCK == audit_rows._APPEND_LOCK


def test_detach_archives_only_superseded_partitions(store: Store, make_record: MakeRecord) -> None:
    _postgres_only(store)
    with store.unit_of_work() as conn:
        partitions.ensure(conn, Y1999)
        records.insert_version(conn, make_record("R1"), recorded_at=Y1999)
        records.insert_version(conn, make_record("R2"), recorded_at=Y1999)
        records.supersede(conn, make_record("R1", row_hash="v2"), at=Y2025)
    with pytest.raises(Conflict, match="holds 1 current"), store.unit_of_work() as conn:
        partitions.detach(conn, "records_y1999", at=Y2025)
    with store.unit_of_work() as conn:
        records.supersede(conn, make_record("R2", row_hash="v2"), at=Y2025)
        assert partitions.detach(conn, "records_y1999", at=Y2025).rows >= 0
    with store.connect() as conn:
        assert "records_y1999" not in {p.name for p in partitions.partitions(conn)}
        assert [v.version for v in records.history(conn, "court.110105", "R1")] == [2]
        assert conn.execute(sa.text("SELECT count(*) FROM records_y1999")).scalar() == 2  # kept, to archive
    # The archived version's key is still taken: it cannot come back as new.
    with pytest.raises(Conflict), store.unit_of_work() as conn:
        records.insert_version(conn, make_record("R1", version=1), recorded_at=Y2027)
    with store.unit_of_work() as conn:
        partitions.ensure(conn, Y2025)
    for name, reason in (("records_default", "default"), ("audit_log_m202503", "not over"), ("x", "not a")):
        with pytest.raises((Conflict, InvalidInput), match=reason), store.unit_of_work() as conn:
            partitions.detach(conn, name, at=Y2025)


def test_partitions_command(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XINYONG_DATABASE_URL", store.url)
    monkeypatch.setenv("XINYONG_NOW", "2025-03-01")
    result = CliRunner().invoke(app, ["store", "partitions", "--ensure", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    if store.dialect == "sqlite":
        assert (shown["partitioned"], shown["created"], shown["partitions"]) == (False, [], [])
        detach = CliRunner().invoke(app, ["store", "partitions", "--detach", "records_y2025"])
        assert detach.exit_code == 1
        assert "not partitioned" in detach.output
        return
    assert shown["partitioned"] is True
    assert {"records_y2025", "audit_log_m202503", "audit_log_m202506"} <= set(shown["created"])
    names = [p["name"] for p in shown["partitions"]]
    assert names[names.index("records_y2025") + 1] == "records_y2026"
    assert {"records_default", "audit_log_default"} <= set(names)
    again = CliRunner().invoke(app, ["store", "partitions", "--ensure", "--json"])
    assert json.loads(again.stdout)["created"] == []


def test_sqlite_is_left_as_it_was(store: Store) -> None:
    if store.dialect != "sqlite":
        pytest.skip("the SQLite side of migration 0007")
    with store.unit_of_work() as conn:
        assert not partitions.is_partitioned(conn)
        assert partitions.ensure(conn, Y2025) == []
        assert partitions.partitions(conn) == []
        assert partitions.layout_tables(conn) == set()
    assert {ix["name"] for ix in sa.inspect(store.engine).get_indexes("audit_log")} == {"ix_audit_log_object_seq"}


#: The store's hot reads, as the code issues them, and (part of the name of) the index each must use.
HOT_QUERIES: dict[str, tuple[Any, str]] = {
    "subject file": (lambda c: records.for_subject(c, 1, current_only=False), "_subject_pk_idx"),
    "current version": (lambda c: records.current(c, "court.110105", "R1"), "_agency_record_id_idx"),
    "record history": (lambda c: records.history(c, "court.110105", "R1"), "_agency_record_id_version_idx"),
    "ingestion re-send check": (
        lambda c: bulk_records.known_records(c, "court.110105", ["R1", "R2"]),
        "_agency_record_id_version_idx",
    ),
    "version by pk": (lambda c: records.get(c, 1), "_pkey"),
    "publisher round": (
        lambda c: screening.subjects_in_span(c, screening.Span(0, 0, 10, 10), limit=10),
        "_pkey",
    ),
    "screening targets": (lambda c: screening.targets_from(c, [1, 2]), "ix_measure_targets_source_pk"),
    "change feed": (lambda c: screening.events_after(c, 0), "pk_measure_events"),
    "audit by subject": (lambda c: audit_rows.for_object(c, "subject:S1"), "_object_seq_idx"),
    "audit tail": (lambda c: audit_rows.tail(c), "_pkey"),
}


@pytest.mark.parametrize("name", sorted(HOT_QUERIES))
def test_hot_queries_have_an_index_on_every_partition(store: Store, name: str) -> None:
    _postgres_only(store)
    statements: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append((statement, parameters))

    with store.connect() as conn:
        partitions.ensure(conn, Y2025)  # several partitions, so that each one's index is asked for
        sa.event.listen(conn, "before_cursor_execute", grab)
        query, index = HOT_QUERIES[name]
        query(conn)
        sa.event.remove(conn, "before_cursor_execute", grab)
        statement, parameters = statements[-1]
        # With sequential scans priced out, the planner still takes one wherever no index applies.
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())
    assert "Seq Scan" not in plan, plan
    assert index in plan, plan
