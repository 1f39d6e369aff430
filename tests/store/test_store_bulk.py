"""Bulk loading: many versions in one go (COPY on PostgreSQL), exactly once, with their pks known."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from store_samples import MakeRecord, at

from xinyong.errors import Conflict
from xinyong.store import Store, bulk_records, records


def test_bulk_insert_stores_exactly_the_rows_given(store: Store, make_record: MakeRecord) -> None:
    rows = [
        make_record(
            f"R{n:05d}",
            subject_name=f"被执行人{n}",
            amount=Decimal(n) / 100,
            valid_to=date(2025, 1, 1) + timedelta(days=n % 365) if n % 2 else None,
            extra={"序号": n, "说明": "批量"},
            source_row=n + 2,
        )
        for n in range(1200)
    ]
    with store.unit_of_work() as conn:
        pks = bulk_records.bulk_insert(conn, rows, recorded_at=at(0))
    assert len(pks) == len(set(pks)) == 1200
    with store.connect() as conn:
        stored = list(records.iter_versions(conn))
    assert len(stored) == 1200
    assert [r.pk for r in stored] == sorted(pks)
    by_pk = {r.pk: r for r in stored}
    for pk, data in zip(pks, rows, strict=True):
        row = by_pk[pk]
        assert (row.record_id, row.subject_name, row.amount, row.valid_to, row.extra, row.source_row) == (
            data.record_id,
            data.subject_name,
            data.amount,
            data.valid_to,
            data.extra,
            data.source_row,
        )
        assert row.recorded_at == at(0)
        assert row.superseded_at is None
        assert row.version == 1


def test_bulk_pks_follow_earlier_rows(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        single = records.insert_version(conn, make_record("A"), recorded_at=at(0))
        pks = bulk_records.bulk_insert(conn, [make_record("B"), make_record("C")], recorded_at=at(0))
        after = records.insert_version(conn, make_record("D"), recorded_at=at(0))
    assert single.pk < pks[0] < pks[1] < after.pk
    with store.connect() as conn:
        assert [records.get(conn, pk).record_id for pk in pks] == ["B", "C"]  # type: ignore[union-attr]


def test_bulk_correction_supersedes_then_inserts(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        bulk_records.bulk_insert(conn, [make_record(f"R{n}") for n in range(5)], recorded_at=at(0))
    with store.unit_of_work() as conn:
        found = bulk_records.current_versions(conn, "court.110105", ["R1", "R3", "R9"])
        assert sorted(found) == ["R1", "R3"]
        assert found["R1"].version == 1
        assert found["R1"].row_hash == "hash-R1"
        ended = bulk_records.supersede_many(conn, [found["R1"].pk, found["R3"].pk], at=at(1))
        fixes = [make_record(k, version=found[k].version + 1, status="fulfilled", row_hash="h2") for k in ("R1", "R3")]
        bulk_records.bulk_insert(conn, fixes, recorded_at=at(1))
    assert ended == 2
    with store.connect() as conn:
        now = {r.record_id: (r.version, r.status) for r in records.as_of(conn, at(1))}
        before = {r.record_id: (r.version, r.status) for r in records.as_of(conn, at(0.5))}
        assert records.count(conn) == 7
    assert now == {
        "R0": (1, "in_force"),
        "R1": (2, "fulfilled"),
        "R2": (1, "in_force"),
        "R3": (2, "fulfilled"),
        "R4": (1, "in_force"),
    }
    assert before == {f"R{n}": (1, "in_force") for n in range(5)}


def test_superseding_an_ended_version_again_is_a_conflict(store: Store, make_record: MakeRecord) -> None:
    with store.unit_of_work() as conn:
        (pk,) = bulk_records.bulk_insert(conn, [make_record()], recorded_at=at(0))
        bulk_records.supersede_many(conn, [pk], at=at(1))
    with (
        pytest.raises(Conflict, match="1 of 1 record versions were already superseded"),
        store.unit_of_work() as conn,
    ):
        bulk_records.supersede_many(conn, [pk], at=at(2))


def test_a_failed_bulk_load_leaves_nothing(store: Store, make_record: MakeRecord) -> None:
    class Boom(Exception):
        pass

    def load_then_fail() -> None:
        with store.unit_of_work() as conn:
            bulk_records.bulk_insert(conn, [make_record(f"R{n}") for n in range(50)], recorded_at=at(0))
            raise Boom

    with pytest.raises(Boom):
        load_then_fail()
    with store.connect() as conn:
        assert records.count(conn) == 0
    with store.unit_of_work() as conn:
        assert bulk_records.bulk_insert(conn, [], recorded_at=at(0)) == []


def test_superseding_on_postgresql_needs_no_statistics(store: Store, make_record: MakeRecord) -> None:
    """A table analysed while small, then grown: ending versions goes to each version's tuple id, not
    through a scan of every current version (what `pk IN (...) AND superseded_at
    IS NULL` was planned as, once per statement, at 10⁶ versions)."""
    if store.dialect != "postgresql":
        pytest.skip("the plan in question is PostgreSQL's")
    with store.unit_of_work() as conn:
        conn.exec_driver_sql("ANALYZE records")
        pks = bulk_records.bulk_insert(conn, [make_record(f"R{i}") for i in range(3000)], recorded_at=at(0))
        statement = bulk_records.SUPERSEDE_BY_TID
        for n in range(1, 6):
            statement = statement.replace("%s", f"${n}", 1)
        conn.exec_driver_sql(f"PREPARE ending (timestamptz, tid[], oid, timestamptz, timestamptz) AS {statement}")
        query = f"SELECT tableoid, tableoid::regclass::text, ctid::text FROM records WHERE pk = {pks[7]}"
        table, partition, tid = conn.exec_driver_sql(query).one()
        when = f"'{at(0).isoformat()}'"
        explain = f"EXPLAIN EXECUTE ending ('{at(1).isoformat()}', '{{\"{tid}\"}}', {table}, {when}, {when})"
        plan = "\n".join(row[0] for row in conn.exec_driver_sql(explain))
        # The partition holding the version is read at the tuple id, the others are pruned.
        assert f"Tid Scan on {partition}" in plan
        assert plan.count("Scan on records_") == 1, plan
        assert "Index" not in plan
        assert "Bitmap" not in plan
        assert bulk_records.supersede_many(conn, pks[:100], at=at(1)) == 100
