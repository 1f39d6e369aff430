"""The publisher reads a chunk of subjects' listing records through the subject index: a plan through the
record-type index walks every listing record of the store for each chunk, a cost that grows with the store."""

from __future__ import annotations

from pathlib import Path

from xinyong.catalog import default_catalog
from xinyong.store import Store
from xinyong.store.screening import listing_query


def test_sqlite_finds_listing_records_through_the_subject_index(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    store.init()
    try:
        # A chunk as the publisher reads it: thousands of subjects and every listing type of the catalog.
        # (With a handful of subjects SQLite takes the subject index anyway; with 100 or more it did not.)
        types = [code for code, rt in default_catalog().record_types.items() if rt.places_on]
        query = listing_query(list(range(1, 5_001)), types)
        with store.connect() as conn:
            sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            plan = [str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    finally:
        store.dispose()
    assert plan == ["SEARCH records USING INDEX ix_records_subject_pk (subject_pk=?)"]


def test_sqlite_reads_rating_record_chunks_in_pk_order(tmp_path: Path) -> None:
    from xinyong.store.ratings import record_chunk_query

    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    store.init()
    try:
        query = record_chunk_query(["id", "confirmed"], 50_000, 100_000, current_only=True)
        with store.connect() as conn:
            sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
            plan = [str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    finally:
        store.dispose()
    # Through the primary key, one window, in order: never through the link index with a sort of everything.
    assert plan[0].startswith("SEARCH records USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
