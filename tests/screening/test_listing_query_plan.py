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
