"""The publisher's read of listing records on PostgreSQL (`screening.listing_query_by_key`): one probe of the
subject index per subject, whatever the statistics (the SQLite plan is checked in tests/screening)."""

from __future__ import annotations

import pytest
from store_samples import MakeRecord, at

from xinyong.catalog import default_catalog
from xinyong.store import NewSubject, Store, bulk_records
from xinyong.store import subjects as subjects_repo
from xinyong.store.screening import Span, listing_query, listing_query_by_key, predecessor_subjects


def test_postgresql_finds_listing_records_one_subject_at_a_time(store: Store, make_record: MakeRecord) -> None:
    """On partitions analysed while empty and then loaded, `subject_pk IN (...)` was planned as a scan of
    every version per chunk; the lateral form probes the subject index once per subject, whatever the
    statistics say, and finds the same versions."""
    if store.dialect != "postgresql":
        pytest.skip("the plan in question is PostgreSQL's")
    types = [code for code, rt in default_catalog().record_types.items() if rt.places_on]
    made = [NewSubject(kind="org", name=f"公司{i}", name_norm=f"公司{i}") for i in range(40)]
    with store.unit_of_work() as conn:
        conn.exec_driver_sql("ANALYZE records")
        subjects = [s.pk for s in subjects_repo.create_many(conn, made, at=at(0))]
        versions = [
            make_record(f"R{i}", record_type=types[i % len(types)] if i % 3 else "inspection.result", subject_pk=pk)
            for i, pk in enumerate(subjects * 50)
        ]
        pks = bulk_records.bulk_insert(conn, versions, recorded_at=at(0))
    with store.connect() as conn:
        query = listing_query_by_key(subjects[:10], types)
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
        by_key = sorted(row.pk for row in conn.execute(query))
        by_list = sorted(row.pk for row in conn.execute(listing_query(subjects[:10], types)))
    assert "Nested Loop" in plan, plan
    assert "subject_pk_idx" in plan, plan
    assert "record_type" not in plan.split("Filter")[0], plan  # the type's index is never read
    assert by_key == by_list
    wanted = set(subjects[:10])
    expected = [pk for pk, v in zip(pks, versions, strict=True) if v.subject_pk in wanted and v.record_type in types]
    assert by_key == sorted(expected)


def test_postgresql_reads_rating_chunks_by_pk_window(store: Store, make_record: MakeRecord) -> None:
    """Ratings read a window of pks, not `LIMIT n` after a pk: without statistics PostgreSQL read every
    current version after the start through the partial index of current versions and sorted them."""
    if store.dialect != "postgresql":
        pytest.skip("the plan in question is PostgreSQL's")
    from xinyong.store.ratings import record_chunk_query

    with store.unit_of_work() as conn:
        conn.exec_driver_sql("ANALYZE records")
        (org,) = subjects_repo.create_many(conn, [NewSubject(kind="org", name="公司", name_norm="公司")], at=at(0))
        versions = [make_record(f"R{i}", subject_pk=org.pk, link="id") for i in range(3000)]
        pks = bulk_records.bulk_insert(conn, versions, recorded_at=at(0))
    query = record_chunk_query(["id", "confirmed"], pks[999], pks[1999], current_only=True)
    with store.connect() as conn:
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
        found = [row.pk for row in conn.execute(query)]
    assert "agency_record_id" not in plan, plan  # never the partial index of current versions
    assert "pk <= " in plan, plan  # the window bounds the read
    assert found == pks[1000:2000]


def test_postgresql_finds_each_predecessor_by_one_probe(store: Store, make_record: MakeRecord) -> None:
    """The publisher's look for the subjects that corrections took records from (`predecessor_subjects`):
    on partitions analysed while empty, each version of the span is one probe of the (agency, record_id,
    version) index, never a scan of every version per version."""
    if store.dialect != "postgresql":
        pytest.skip("the plan in question is PostgreSQL's")
    made = [NewSubject(kind="org", name=f"公司{i}", name_norm=f"公司{i}") for i in range(40)]
    with store.unit_of_work() as conn:
        conn.exec_driver_sql("ANALYZE records")
        subjects = [s.pk for s in subjects_repo.create_many(conn, made, at=at(0))]
        first = bulk_records.bulk_insert(
            conn, [make_record(f"R{i}", subject_pk=pk) for i, pk in enumerate(subjects * 50)], recorded_at=at(0)
        )
        # Every tenth record corrected to name the next subject.
        moved = list(range(0, len(first), 10))
        bulk_records.supersede_many(conn, [first[i] for i in moved], at=at(1))
        second = bulk_records.bulk_insert(
            conn,
            [make_record(f"R{i}", version=2, subject_pk=subjects[(i + 1) % len(subjects)]) for i in moved],
            recorded_at=at(1),
        )
    span = Span(first[-1], 0, second[-1], 0)
    with store.connect() as conn:
        query = predecessor_subjects(span, 0, postgres=True)
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        plan = "\n".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
        found = sorted(pk for (pk,) in conn.execute(query))
    assert "Nested Loop" in plan, plan
    assert "agency_record_id_version_idx" in plan, plan
    assert found == sorted(subjects[i % len(subjects)] for i in moved)
