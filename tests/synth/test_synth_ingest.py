"""The generator's promise kept end to end: ingesting its feeds gives exactly the counts truth/feeds.json states."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from synth_feeds import Province

from xinyong.catalog import default_catalog
from xinyong.clock import CST, FixedClock
from xinyong.ingest import ingest_paths
from xinyong.store import Store


def test_ingest_reports_what_truth_expects(province: Province, store: Store, tmp_path: Path) -> None:
    as_of = province.params.as_of
    clock = FixedClock(datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=CST))
    doc = json.loads((province.out / "truth" / "feeds.json").read_text(encoding="utf-8"))
    catalog = default_catalog()
    for feed in doc["feeds"]:
        got = ingest_paths(store, catalog, clock, [province.out / feed["path"]], feed["agency"], home=tmp_path)
        expected = {k: feed[k] for k in ("rows", "accepted", "rejected", "unchanged", "superseded")}
        assert {k: getattr(got, k) for k in expected} == expected, feed["agency"]


def _state(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """What a load leaves, without the pks, batches and instants that depend on how it was cut up."""
    queries = {
        "versions": "SELECT r.agency, r.record_id, r.version, r.row_hash, r.link, s.id_value,"
        " r.superseded_at IS NULL FROM records r LEFT JOIN subjects s ON s.pk = r.subject_pk",
        "subjects": "SELECT kind, id_kind, id_value, name, name_norm FROM subjects",
        "roles": "SELECT o.id_value, p.id_value, sr.role, sr.valid_from, sr.valid_to FROM subject_roles sr"
        " JOIN subjects o ON o.pk = sr.org_pk JOIN subjects p ON p.pk = sr.person_pk",
    }
    with store.connect() as conn:
        return {
            name: sorted((tuple(map(_plain, row)) for row in conn.exec_driver_sql(sql)), key=repr)
            for name, sql in queries.items()
        }


def _plain(value: object) -> object:
    # The two databases give a day as a date or as text, a truth value as a bool or as 0/1.
    if isinstance(value, bool):
        return int(value)
    return value.isoformat() if isinstance(value, date) else value


def test_how_a_load_is_cut_into_chunks_changes_nothing_stored(province: Province, store: Store, tmp_path: Path) -> None:
    """The same feeds, committed in chunks of 5,000 rows or of a few dozen (corrections, duplicates and role
    claims falling in one chunk or across several), leave the same versions, subjects and roles."""
    as_of = province.params.as_of
    clock = FixedClock(datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=CST))
    doc = json.loads((province.out / "truth" / "feeds.json").read_text(encoding="utf-8"))
    catalog = default_catalog()
    small = Store(f"sqlite:///{tmp_path / 'small-chunks.db'}")
    small.init()
    try:
        for feed, rows in zip(doc["feeds"], (29, 97, 211, 13, 5), strict=False):
            path = [province.out / feed["path"]]
            ingest_paths(store, catalog, clock, path, feed["agency"], home=tmp_path / "a")
            ingest_paths(small, catalog, clock, path, feed["agency"], home=tmp_path / "b", chunk_rows=rows)
        assert _state(small) == _state(store)
    finally:
        small.dispose()
