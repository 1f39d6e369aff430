"""End to end with the synthetic province: every feed, in feeds.json order, ingested into an empty store
reports exactly the counts truth/feeds.json expects, and the counts account for every row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xinyong.catalog import Catalog
from xinyong.clock import clock_from
from xinyong.ingest import ingest_paths
from xinyong.store import Store, records

synth = pytest.importorskip("xinyong.synth")

COUNTS = ("rows", "accepted", "rejected", "unchanged", "superseded")


@pytest.mark.integration
def test_every_feed_matches_its_truth(tmp_path: Path, store: Store, catalog: Catalog) -> None:
    params = synth.SynthParams(orgs=600, persons=900, years=3)
    synth.generate(tmp_path / "province", params)
    truth = json.loads((tmp_path / "province" / "truth" / "feeds.json").read_text(encoding="utf-8"))
    clock = clock_from(truth["ingest_now"]["from"])
    assert {feed["format"] for feed in truth["feeds"]} == {"csv", "jsonl", "parquet", "xlsx"}
    stored = 0
    for feed in truth["feeds"]:
        path = tmp_path / "province" / feed["path"]
        summary = ingest_paths(store, catalog, clock, [path], feed["agency"], home=tmp_path / "home")
        got = {name: getattr(summary, name) for name in COUNTS}
        assert got == {name: feed[name] for name in COUNTS}, feed["agency"]
        assert summary.accepted + summary.rejected + summary.unchanged + summary.superseded == summary.rows
        stored += summary.accepted + summary.superseded
    with store.connect() as conn:
        assert records.count(conn) == stored
        assert records.count(conn, current_only=True) == sum(feed["accepted"] for feed in truth["feeds"])
